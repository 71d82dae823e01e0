import Foundation

/// How one image file becomes model input pixels: decoded and resized as one of Keras's two
/// paths does it, to float32 RGB (or grayscale, RGBA) in 0...255, before preprocessing.
///
/// - `.dataset`: `image_dataset_from_directory` (TensorFlow's decoders, `tf.image.resize` with
///   half-pixel centres and no antialias, optional crop or pad to the aspect ratio).
/// - `.loadImage`: `keras.utils.load_img(target_size=...)` then `img_to_array` (Pillow's
///   decoders and antialiased resampling, optional `keep_aspect_ratio` centre crop).
public struct ImageLoading: Sendable {
    /// Which Keras resize path, with its interpolation.
    public enum Resize: Sendable, Equatable {
        /// `image_dataset_from_directory(interpolation:, crop_to_aspect_ratio / pad_to_aspect_ratio)`.
        case dataset(DatasetInterpolation, AspectRatioMode)
        /// `load_img(interpolation:, keep_aspect_ratio:)`.
        case loadImage(PillowInterpolation, keepAspectRatio: Bool)

        /// Keras's default for the path named `path` ("dataset" or "load-img"): bilinear for
        /// the dataset, nearest for load_img.
        public static func named(_ path: String, interpolation: String?, aspectRatio: AspectRatioMode = .stretch) throws -> Resize {
            switch path {
            case "dataset":
                let name = interpolation ?? "bilinear"
                guard let method = DatasetInterpolation(rawValue: name) else {
                    throw ImageError.invalidArgument("interpolation '\(name)' is not one of image_dataset_from_directory's: \(DatasetInterpolation.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return .dataset(method, aspectRatio)
            case "load-img", "load_img":
                let name = interpolation ?? "nearest"
                guard let method = PillowInterpolation(rawValue: name) else {
                    throw ImageError.invalidArgument("interpolation '\(name)' is not one of load_img's: \(PillowInterpolation.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                guard aspectRatio != .pad else {
                    throw ImageError.invalidArgument("load_img has no pad to aspect ratio; use crop (keep_aspect_ratio) or the dataset resize path")
                }
                return .loadImage(method, keepAspectRatio: aspectRatio == .crop)
            default:
                throw ImageError.invalidArgument("resize path '\(path)' is not 'dataset' (image_dataset_from_directory) or 'load-img' (keras.utils.load_img)")
            }
        }
    }

    /// Output height in pixels.
    public var height: Int
    /// Output width in pixels.
    public var width: Int
    /// The resize path.
    public var resize: Resize
    /// Keras's `color_mode`.
    public var colorMode: ColorMode
    /// Apply the EXIF orientation tag (Keras ignores it).
    public var applyEXIFOrientation: Bool
    /// Refuse images declaring more pixels than this, before decoding (decompression bombs).
    public var maxPixels: Int

    /// Options for `height` x `width` output.
    public init(height: Int, width: Int, resize: Resize = .dataset(.bilinear, .stretch), colorMode: ColorMode = .rgb,
                applyEXIFOrientation: Bool = false, maxPixels: Int = 178_956_970) {
        self.height = height
        self.width = width
        self.resize = resize
        self.colorMode = colorMode
        self.applyEXIFOrientation = applyEXIFOrientation
        self.maxPixels = maxPixels
    }

    /// Channels per output pixel.
    public var channels: Int {
        switch colorMode {
        case .rgb: return 3
        case .grayscale: return 1
        case .rgba: return 4
        }
    }

    /// The decoder settings of the chosen path.
    public var decodeOptions: DecodeOptions {
        let profile: DecoderProfile
        switch resize {
        case .dataset: profile = .tensorflow
        case .loadImage: profile = .pillow
        }
        return DecodeOptions(profile: profile, colorMode: colorMode, applyEXIFOrientation: applyEXIFOrientation, maxPixels: maxPixels)
    }

    /// Decodes and resizes the image at `path`.
    public func load(_ path: String) throws -> FloatImage {
        let image = try ImageDecoder.decode(contentsOf: path, options: decodeOptions)
        return try resized(image)
    }

    /// Decodes and resizes the image at `path` straight into `destination` (exactly
    /// `height * width * channels` floats), as `load(_:)` would return it, without an
    /// intermediate image.
    public func load(_ path: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard destination.count == height * width * channels else {
            throw ImageError.invalidArgument("\(path): a buffer of \(destination.count) floats cannot hold \(height)x\(width)x\(channels)")
        }
        try resize(ImageDecoder.decode(contentsOf: path, options: decodeOptions), into: destination)
    }

    /// Decodes and resizes encoded image bytes; `file` names them in errors.
    public func load(bytes: [UInt8], file: String) throws -> FloatImage {
        try resized(ImageDecoder.decode(bytes, file: file, options: decodeOptions))
    }

    /// Resizes an already decoded image as the chosen path does.
    public func resized(_ image: Image) throws -> FloatImage {
        guard height > 0, width > 0 else { throw ImageError.invalidArgument("image size must be positive, got \(height)x\(width)") }
        var pixels = [Float](repeating: 0, count: height * width * image.channels)
        try pixels.withUnsafeMutableBufferPointer { try resize(image, into: $0) }
        return try FloatImage(width: width, height: height, channels: image.channels, pixels: pixels)
    }

    /// The one resize of both paths, writing `height * width * image.channels` floats.
    private func resize(_ image: Image, into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard height > 0, width > 0 else { throw ImageError.invalidArgument("image size must be positive, got \(height)x\(width)") }
        switch resize {
        case .dataset(let method, let aspect):
            try TensorFlowResize.resize(image, height: height, width: width, method: method, aspectRatio: aspect, into: destination)
        case .loadImage(let method, let keep):
            let resized = try PillowResize.loadImageResize(image, height: height, width: width, interpolation: method, keepAspectRatio: keep)
            guard resized.pixels.count == destination.count else {
                throw ImageError.invalidArgument("resized to \(resized.height)x\(resized.width)x\(resized.channels), expected \(height)x\(width)x\(image.channels)")
            }
            resized.pixels.withUnsafeBufferPointer { source in
                for index in source.indices { destination[index] = Float(source[index]) }
            }
        }
    }
}
