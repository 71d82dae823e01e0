/// Resizing as `keras.utils.image_dataset_from_directory` does it: `tf.image.resize` (antialias
/// off, half-pixel centres), Keras `smart_resize` for `crop_to_aspect_ratio=True` and
/// `tf.image.resize_with_pad` for `pad_to_aspect_ratio=True`.
///
/// The kernels reproduce TensorFlow's CPU ops (`ResizeBilinear`, `ResizeNearestNeighbor`,
/// `ResizeBicubic`, `ResizeArea`, `ScaleAndTranslate`) in float32 with their expression order, so
/// results agree with TensorFlow to float rounding. Safe to call from any number of tasks.
public enum TensorFlowResize {
    /// Largest accepted output side.
    static let maxDimension = 1 << 16
    /// Largest accepted number of output values (`height * width * channels`).
    static let maxValues = 1 << 28

    /// Resizes a decoded 8-bit image the way the dataset pipeline does; the result holds
    /// float32 values on the 0...255 scale (integral for `.nearest`).
    ///
    /// `.crop` with `.gaussian` or `.mitchellcubic` throws, as Keras's `smart_resize` rejects
    /// those methods. Throws `ImageError.invalidArgument` for sizes that are not positive or
    /// absurdly large, and for a `.pad` whose fitted image would be empty.
    public static func resize(_ image: Image, height: Int, width: Int, method: DatasetInterpolation, aspectRatio: AspectRatioMode = .stretch) throws -> FloatImage {
        try image.pixels.withUnsafeBufferPointer { buffer in
            try resize(buffer, inHeight: image.height, inWidth: image.width, channels: image.channels,
                       height: height, width: width, method: method, aspectRatio: aspectRatio)
        }
    }

    /// `tf.image.resize` of a float32 image (no aspect-ratio handling).
    public static func resize(_ image: FloatImage, height: Int, width: Int, method: DatasetInterpolation) throws -> FloatImage {
        try image.pixels.withUnsafeBufferPointer { buffer in
            try resize(buffer, inHeight: image.height, inWidth: image.width, channels: image.channels,
                       height: height, width: width, method: method, aspectRatio: .stretch)
        }
    }

    static func checkTarget(height: Int, width: Int, channels: Int) throws {
        guard height > 0, width > 0 else {
            throw ImageError.invalidArgument("resize needs a positive target size, got \(height)x\(width)")
        }
        guard height <= maxDimension, width <= maxDimension, height * width * channels <= maxValues else {
            throw ImageError.invalidArgument("resize target \(height)x\(width)x\(channels) is too large")
        }
    }

    static func resize<T: ResizeSample>(_ buffer: UnsafeBufferPointer<T>, inHeight: Int, inWidth: Int, channels: Int,
                                        height: Int, width: Int, method: DatasetInterpolation,
                                        aspectRatio: AspectRatioMode) throws -> FloatImage {
        try checkTarget(height: height, width: width, channels: channels)
        guard let base = buffer.baseAddress, buffer.count == inHeight * inWidth * channels else {
            throw ImageError.invalidArgument("resize got an inconsistent image")
        }
        var output = [Float](repeating: 0, count: height * width * channels)
        try output.withUnsafeMutableBufferPointer { out in
            try resize(base, inHeight: inHeight, inWidth: inWidth, channels: channels, height: height, width: width,
                       method: method, aspectRatio: aspectRatio, into: out, zeroed: true)
        }
        return try FloatImage(width: width, height: height, channels: channels, pixels: output)
    }

    /// `resize(_:height:width:method:aspectRatio:)` writing into `destination`, which must hold
    /// exactly `height * width * channels` floats (checked).
    static func resize(_ image: Image, height: Int, width: Int, method: DatasetInterpolation, aspectRatio: AspectRatioMode,
                       into destination: UnsafeMutableBufferPointer<Float>) throws {
        try checkTarget(height: height, width: width, channels: image.channels)
        try image.pixels.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, buffer.count == image.height * image.width * image.channels else {
                throw ImageError.invalidArgument("resize got an inconsistent image")
            }
            try resize(base, inHeight: image.height, inWidth: image.width, channels: image.channels, height: height, width: width,
                       method: method, aspectRatio: aspectRatio, into: destination, zeroed: false)
        }
    }

    private static func resize<T: ResizeSample>(_ base: UnsafePointer<T>, inHeight: Int, inWidth: Int, channels: Int,
                                                height: Int, width: Int, method: DatasetInterpolation, aspectRatio: AspectRatioMode,
                                                into out: UnsafeMutableBufferPointer<Float>, zeroed: Bool) throws {
        guard out.count == height * width * channels, let dst = out.baseAddress else {
            throw ImageError.invalidArgument("resize into a buffer of \(out.count) floats, expected \(height * width * channels)")
        }
        let rowStride = inWidth * channels
        switch aspectRatio {
        case .stretch:
            let source = SourceView(base: base, height: inHeight, width: inWidth, channels: channels, rowStride: rowStride)
            run(method, source, dst, height: height, width: width, dstRowStride: width * channels)
        case .crop:
            guard method != .gaussian, method != .mitchellcubic else {
                throw ImageError.invalidArgument("crop_to_aspect_ratio supports bilinear, nearest, bicubic, area, lanczos3 and lanczos5, not \(method.rawValue)")
            }
            let crop = smartResizeCrop(height: inHeight, width: inWidth, targetHeight: height, targetWidth: width)
            let source = SourceView(base: base + crop.y * rowStride + crop.x * channels, height: crop.height,
                                    width: crop.width, channels: channels, rowStride: rowStride)
            run(method, source, dst, height: height, width: width, dstRowStride: width * channels)
        case .pad:
            let fit = try resizeWithPadGeometry(height: inHeight, width: inWidth, targetHeight: height, targetWidth: width)
            if !zeroed { out.initialize(repeating: 0) }
            let source = SourceView(base: base, height: inHeight, width: inWidth, channels: channels, rowStride: rowStride)
            run(method, source, dst + fit.top * width * channels + fit.left * channels,
                height: fit.height, width: fit.width, dstRowStride: width * channels)
        }
    }

    /// Keras `smart_resize`'s centred crop, with the float32 casts of the TensorFlow backend
    /// (the tf.data pipeline has dynamic shapes).
    static func smartResizeCrop(height: Int, width: Int, targetHeight: Int, targetWidth: Int) -> (y: Int, x: Int, height: Int, width: Int) {
        func truncate(_ value: Float, upTo limit: Int) -> Int {
            value >= Float(limit) ? limit : Int(value)
        }
        let cropHeight = max(min(height, truncate(Float(Int32(truncatingIfNeeded: width &* targetHeight)) / Float(targetWidth), upTo: height)), 1)
        let cropWidth = max(min(width, truncate(Float(Int32(truncatingIfNeeded: height &* targetWidth)) / Float(targetHeight), upTo: width)), 1)
        let y = truncate(Float(height - cropHeight) / 2, upTo: height)
        let x = truncate(Float(width - cropWidth) / 2, upTo: width)
        return (y, x, cropHeight, cropWidth)
    }

    /// `tf.image.resize_with_pad`'s fitted size and top-left padding (float32 arithmetic).
    static func resizeWithPadGeometry(height: Int, width: Int, targetHeight: Int, targetWidth: Int) throws -> (height: Int, width: Int, top: Int, left: Int) {
        let fh = Float(height), fw = Float(width), fth = Float(targetHeight), ftw = Float(targetWidth)
        let ratio = max(fw / ftw, fh / fth)
        let resizedHeightF = fh / ratio
        let resizedWidthF = fw / ratio
        let resizedHeight = Int(min(resizedHeightF.rounded(.down), fth))
        let resizedWidth = Int(min(resizedWidthF.rounded(.down), ftw))
        let top = max(0, Int(max(((fth - resizedHeightF) / 2).rounded(.down), -1)))
        let left = max(0, Int(max(((ftw - resizedWidthF) / 2).rounded(.down), -1)))
        guard resizedHeight > 0, resizedWidth > 0 else {
            throw ImageError.invalidArgument("resize_with_pad of a \(height)x\(width) image into \(targetHeight)x\(targetWidth) leaves an empty image")
        }
        guard top + resizedHeight <= targetHeight, left + resizedWidth <= targetWidth else {
            throw ImageError.invalidArgument("resize_with_pad geometry does not fit \(targetHeight)x\(targetWidth)")
        }
        return (resizedHeight, resizedWidth, top, left)
    }

    static func run<T: ResizeSample>(_ method: DatasetInterpolation, _ source: SourceView<T>, _ dst: UnsafeMutablePointer<Float>,
                                     height: Int, width: Int, dstRowStride: Int) {
        let kernels = TensorFlowKernels(source: source, dst: dst, outHeight: height, outWidth: width, dstRowStride: dstRowStride)
        switch method {
        case .bilinear: kernels.bilinear()
        case .nearest: kernels.nearest()
        case .bicubic:
            kernels.verticalThenHorizontal(
                rows: ResizeWeights.tensorFlowBicubic(inputSize: source.height, outputSize: height),
                columns: ResizeWeights.tensorFlowBicubic(inputSize: source.width, outputSize: width))
        case .area: kernels.area()
        case .lanczos3: kernels.scaleAndTranslate(radius: 3) { ResampleKernels.tfLanczos($0, radius: 3) }
        case .lanczos5: kernels.scaleAndTranslate(radius: 5) { ResampleKernels.tfLanczos($0, radius: 5) }
        case .gaussian: kernels.scaleAndTranslate(radius: 1.5, kernel: ResampleKernels.tfGaussian)
        case .mitchellcubic: kernels.scaleAndTranslate(radius: 2, kernel: ResampleKernels.tfMitchellCubic)
        }
    }
}
