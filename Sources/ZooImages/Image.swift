/// An 8-bit image as decoders produce it: `height × width × channels`, interleaved (HWC), row
/// major, the layout of a Keras `channels_last` tensor.
///
/// `channels` is 1 (grayscale), 2 (grayscale + alpha), 3 (RGB) or 4 (RGBA). The initializer checks
/// that `pixels` holds exactly `height * width * channels` bytes, so every `Image` is consistent
/// and code that walks it cannot read out of bounds.
public struct Image: Sendable, Hashable {
    /// Width in pixels (at least 1).
    public let width: Int
    /// Height in pixels (at least 1).
    public let height: Int
    /// Interleaved channels per pixel: 1, 2, 3 or 4.
    public let channels: Int
    /// `height * width * channels` bytes, row by row.
    public private(set) var pixels: [UInt8]

    /// Wraps `pixels` as an image; throws `ImageError.invalidArgument` when the sizes disagree.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws {
        try Image.checkShape(width: width, height: height, channels: channels, count: pixels.count)
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image of `value` everywhere.
    public init(width: Int, height: Int, channels: Int, filledWith value: UInt8 = 0) throws {
        try Image.checkShape(width: width, height: height, channels: channels, count: nil)
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = [UInt8](repeating: value, count: width * height * channels)
    }

    /// Builds an image by letting `body` fill a zeroed buffer of exactly the image's size.
    init(width: Int, height: Int, channels: Int, unsafeUninitializedCapacity body: (UnsafeMutableBufferPointer<UInt8>) throws -> Void) throws {
        try Image.checkShape(width: width, height: height, channels: channels, count: nil)
        self.width = width
        self.height = height
        self.channels = channels
        var buffer = [UInt8](repeating: 0, count: width * height * channels)
        try buffer.withUnsafeMutableBufferPointer { try body($0) }
        self.pixels = buffer
    }

    /// Number of pixels, `width * height`.
    public var pixelCount: Int { width * height }

    /// The byte at row `y`, column `x`, channel `c` (all zero-based; checked).
    public subscript(y: Int, x: Int, c: Int) -> UInt8 {
        precondition(y >= 0 && y < height && x >= 0 && x < width && c >= 0 && c < channels, "Image index out of range")
        return pixels[(y * width + x) * channels + c]
    }

    static func checkShape(width: Int, height: Int, channels: Int, count: Int?) throws {
        guard width > 0, height > 0 else {
            throw ImageError.invalidArgument("an image needs a positive width and height, got \(width)x\(height)")
        }
        guard (1...4).contains(channels) else {
            throw ImageError.invalidArgument("an image has 1 to 4 channels, got \(channels)")
        }
        let (area, o1) = width.multipliedReportingOverflow(by: height)
        let (total, o2) = area.multipliedReportingOverflow(by: channels)
        guard !o1, !o2 else { throw ImageError.invalidArgument("an image of \(width)x\(height)x\(channels) is too large") }
        if let count, count != total {
            throw ImageError.invalidArgument("a \(height)x\(width)x\(channels) image needs \(total) bytes, got \(count)")
        }
    }
}

/// A float32 image in the same HWC layout, as Keras's resize and preprocessing produce it.
public struct FloatImage: Sendable, Hashable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Interleaved channels per pixel: 1 to 4.
    public let channels: Int
    /// `height * width * channels` floats, row by row.
    public var pixels: [Float] {
        get { storage }
        set {
            precondition(newValue.count == storage.count, "FloatImage.pixels must keep \(storage.count) values")
            storage = newValue
        }
    }
    private var storage: [Float]

    /// Wraps `pixels`; throws `ImageError.invalidArgument` when the sizes disagree.
    public init(width: Int, height: Int, channels: Int, pixels: [Float]) throws {
        try Image.checkShape(width: width, height: height, channels: channels, count: pixels.count)
        self.width = width
        self.height = height
        self.channels = channels
        self.storage = pixels
    }

    /// The 8-bit image's values as floats (what Keras's `img_to_array` returns).
    public init(_ image: Image) {
        self.width = image.width
        self.height = image.height
        self.channels = image.channels
        self.storage = image.pixels.map { Float($0) }
    }

    /// Mutable access to the pixel storage without copying (its count cannot change).
    public mutating func withUnsafeMutablePixels<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// The value at row `y`, column `x`, channel `c` (checked).
    public subscript(y: Int, x: Int, c: Int) -> Float {
        precondition(y >= 0 && y < height && x >= 0 && x < width && c >= 0 && c < channels, "FloatImage index out of range")
        return storage[(y * width + x) * channels + c]
    }
}
