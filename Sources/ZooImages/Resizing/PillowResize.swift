/// Resizing as `keras.utils.load_img` does it: Pillow 13's `Image.resize(size, resample, box)` on
/// 8-bit images, bit for bit.
///
/// Convolving filters use Pillow's antialiased two-pass resampler (support scaled by the
/// downscale factor, fixed-point coefficients, horizontal pass then vertical pass); images
/// with alpha (2 or 4 channels) are resampled premultiplied (`RGBa` / `La`) as Pillow does.
/// `.nearest` follows Pillow's affine-transform path. Safe to call from any number of tasks.
public enum PillowResize {
    /// Largest accepted output side.
    static let maxDimension = 1 << 16
    /// Largest accepted number of output bytes.
    static let maxValues = 1 << 28

    /// `Image.resize((width, height), filter, box)`. `box` is the source region
    /// `(x0, y0, x1, y1)` in pixels (Pillow reads it as float32); nil means the whole image.
    /// Throws `ImageError.invalidArgument` for a non-positive or absurd size, or a box outside
    /// the image, inverted or not finite.
    public static func resize(_ image: Image, width: Int, height: Int, filter: PillowInterpolation,
                              box: (x0: Double, y0: Double, x1: Double, y1: Double)? = nil) throws -> Image {
        guard width > 0, height > 0 else {
            throw ImageError.invalidArgument("height and width must be > 0, got \(width)x\(height)")
        }
        guard width <= maxDimension, height <= maxDimension, width * height * image.channels <= maxValues else {
            throw ImageError.invalidArgument("resize target \(width)x\(height)x\(image.channels) is too large")
        }
        let region = box ?? (0, 0, Double(image.width), Double(image.height))
        guard region.x0.isFinite, region.y0.isFinite, region.x1.isFinite, region.y1.isFinite else {
            throw ImageError.invalidArgument("the resize box must be finite")
        }
        // Python's `self.size == size and box == (0, 0, *self.size)`: a plain copy.
        if image.width == width, image.height == height,
           region == (0, 0, Double(image.width), Double(image.height)) {
            return image
        }
        let b = (Float(region.x0), Float(region.y0), Float(region.x1), Float(region.y1))
        guard b.0 >= 0, b.1 >= 0 else { throw ImageError.invalidArgument("box offset can't be negative") }
        guard b.2 <= Float(image.width), b.3 <= Float(image.height) else {
            throw ImageError.invalidArgument("box can't exceed original image size")
        }
        guard b.2 - b.0 >= 0, b.3 - b.1 >= 0 else { throw ImageError.invalidArgument("box can't be empty") }

        let premultiplied = filter != .nearest && (image.channels == 2 || image.channels == 4)
        var input = image
        if premultiplied { input = try premultiply(image) }
        var output = try resampleCore(input, width: width, height: height, filter: filter, box: b)
        if premultiplied { output = try unpremultiply(output) }
        return output
    }

    /// `keras.utils.load_img`'s resize step for `target_size=(height, width)`: nothing when the
    /// image already has that size, else `Image.resize`, with `keep_aspect_ratio` cropping the
    /// largest centred box of the target aspect ratio first (Keras's integer arithmetic).
    public static func loadImageResize(_ image: Image, height: Int, width: Int, interpolation: PillowInterpolation,
                                       keepAspectRatio: Bool = false) throws -> Image {
        guard width > 0, height > 0 else {
            throw ImageError.invalidArgument("target_size must be positive, got \(height)x\(width)")
        }
        if image.width == width, image.height == height { return image }
        guard keepAspectRatio else { return try resize(image, width: width, height: height, filter: interpolation) }
        guard width <= maxDimension, height <= maxDimension else {
            throw ImageError.invalidArgument("resize target \(width)x\(height) is too large")
        }
        let cropHeight = min(image.height, (image.width * height) / width)
        let cropWidth = min(image.width, (image.height * width) / height)
        let top = (image.height - cropHeight) / 2
        let left = (image.width - cropWidth) / 2
        return try resize(image, width: width, height: height, filter: interpolation,
                          box: (Double(left), Double(top), Double(left + cropWidth), Double(top + cropHeight)))
    }

    // MARK: Pillow's C `_resize`

    static func resampleCore(_ image: Image, width: Int, height: Int, filter: PillowInterpolation,
                             box: (Float, Float, Float, Float)) throws -> Image {
        let (x0, y0, x1, y1) = box
        // Integer box of exactly the output size: a crop.
        if x0 - Float(Int(x0)) == 0, x1 - x0 == Float(width), y0 - Float(Int(y0)) == 0, y1 - y0 == Float(height) {
            return try crop(image, x: Int(x0), y: Int(y0), width: width, height: height)
        }
        if filter == .nearest {
            return try nearest(image, width: width, height: height, box: box)
        }
        guard let kernel = ResampleKernels.pillowFilter(filter) else {
            return try nearest(image, width: width, height: height, box: box)
        }
        return try resample(image, width: width, height: height, kernel: kernel, box: box)
    }

    static func crop(_ image: Image, x: Int, y: Int, width: Int, height: Int) throws -> Image {
        let c = image.channels
        return try Image(width: width, height: height, channels: c) { out in
            image.pixels.withUnsafeBufferPointer { src in
                for row in 0..<height {
                    let sy = y + row
                    guard sy >= 0, sy < image.height else { continue }
                    for col in 0..<width {
                        let sx = x + col
                        guard sx >= 0, sx < image.width else { continue }
                        for ch in 0..<c { out[(row * width + col) * c + ch] = src[(sy * image.width + sx) * c + ch] }
                    }
                }
            }
        }
    }

    /// `ImagingScaleAffine`: nearest neighbour with positions accumulated by repeated addition
    /// (`xo += a[0]`) from the first pixel centre; pixels mapping outside the source stay 0.
    static func nearest(_ image: Image, width: Int, height: Int, box: (Float, Float, Float, Float)) throws -> Image {
        let (x0, y0, x1, y1) = box
        let a0 = Double(x1 - x0) / Double(width)
        let a4 = Double(y1 - y0) / Double(height)
        let a2 = Double(x0), a5 = Double(y0)
        @inline(__always) func coord(_ v: Double) -> Int {
            v < 0 ? -1 : (v >= Double(Int32.max) ? Int(Int32.max) : Int(v))
        }
        let c = image.channels
        var xTable = [Int](repeating: -1, count: width)
        var xo = a2 + a0 * 0.5
        for x in 0..<width {
            let xin = coord(xo)
            if xin >= 0 && xin < image.width { xTable[x] = xin * c }
            xo += a0
        }
        return try Image(width: width, height: height, channels: c) { out in
            image.pixels.withUnsafeBufferPointer { src in
            xTable.withUnsafeBufferPointer { xs in
                var yo = a5 + a4 * 0.5
                for y in 0..<height {
                    let yi = coord(yo)
                    yo += a4
                    guard yi >= 0, yi < image.height else { continue }
                    let rowBase = yi * image.width * c
                    let outBase = y * width * c
                    for x in 0..<width where xs[x] >= 0 {
                        for ch in 0..<c { out[outBase + x * c + ch] = src[rowBase + xs[x] + ch] }
                    }
                }
            }
            }
        }
    }

    /// `ImagingResampleInner` for 8-bit images: horizontal pass over the rows the vertical pass
    /// needs, then the vertical pass; each pass skipped when Pillow skips it.
    static func resample(_ image: Image, width: Int, height: Int,
                         kernel: (function: @Sendable (Double) -> Double, support: Double),
                         box: (Float, Float, Float, Float)) throws -> Image {
        let (x0, y0, x1, y1) = box
        let c = image.channels
        let needHorizontal = width != image.width || x0 != 0 || x1 != Float(width)
        let needVertical = height != image.height || y0 != 0 || y1 != Float(height)
        let horizontal = PillowWeights.make(inputSize: image.width, in0: x0, in1: x1, outputSize: width, filter: kernel)
        let vertical = PillowWeights.make(inputSize: image.height, in0: y0, in1: y1, outputSize: height, filter: kernel)
        let firstRow = vertical.start[0]
        let lastRow = vertical.start[height - 1] + vertical.count[height - 1]

        // Pillow 13 runs the vertical pass first when the height shrinks by more than twice as
        // many pixels as the width does (measured on the whole source image, not the box).
        if needHorizontal, needVertical, height < image.height,
           image.height - height > 2 * (image.width - width) {
            let vertical1 = try Image(width: image.width, height: height, channels: c) { out in
                image.pixels.withUnsafeBufferPointer { src in
                    PillowKernels.vertical(src, width: image.width, inHeight: image.height, channels: c,
                                           rowShift: 0, weights: vertical, out: out)
                }
            }
            return try Image(width: width, height: height, channels: c) { out in
                vertical1.pixels.withUnsafeBufferPointer { src in
                    PillowKernels.horizontal(src, inWidth: image.width, inHeight: height, channels: c,
                                             firstRow: 0, rows: height, weights: horizontal, out: out)
                }
            }
        }
        var current = image
        var rowShift = 0
        if needHorizontal {
            let rows = max(lastRow - firstRow, 1)
            current = try Image(width: width, height: rows, channels: c) { out in
                image.pixels.withUnsafeBufferPointer { src in
                    PillowKernels.horizontal(src, inWidth: image.width, inHeight: image.height, channels: c,
                                             firstRow: firstRow, rows: rows, weights: horizontal, out: out)
                }
            }
            rowShift = firstRow
        }
        if needVertical {
            let source = current
            current = try Image(width: source.width, height: height, channels: c) { out in
                source.pixels.withUnsafeBufferPointer { src in
                    PillowKernels.vertical(src, width: source.width, inHeight: source.height, channels: c,
                                           rowShift: rowShift, weights: vertical, out: out)
                }
            }
        }
        return current
    }

    // MARK: Premultiplied alpha (Pillow's RGBA <-> RGBa, LA <-> La conversions)

    static func premultiply(_ image: Image) throws -> Image {
        let c = image.channels
        return try Image(width: image.width, height: image.height, channels: c) { out in
            image.pixels.withUnsafeBufferPointer { src in
                var i = 0
                while i < src.count {
                    let alpha = UInt32(src[i + c - 1])
                    for ch in 0..<(c - 1) {
                        let tmp = UInt32(src[i + ch]) * alpha + 128
                        out[i + ch] = UInt8(truncatingIfNeeded: ((tmp >> 8) + tmp) >> 8)
                    }
                    out[i + c - 1] = src[i + c - 1]
                    i += c
                }
            }
        }
    }

    static func unpremultiply(_ image: Image) throws -> Image {
        let c = image.channels
        return try Image(width: image.width, height: image.height, channels: c) { out in
            image.pixels.withUnsafeBufferPointer { src in
                var i = 0
                while i < src.count {
                    let alpha = Int(src[i + c - 1])
                    for ch in 0..<(c - 1) {
                        let v = Int(src[i + ch])
                        out[i + ch] = (alpha == 255 || alpha == 0) ? src[i + ch] : UInt8(min(255, (255 * v) / alpha))
                    }
                    out[i + c - 1] = src[i + c - 1]
                    i += c
                }
            }
        }
    }
}
