/// What went wrong reading, decoding or resizing an image. Every case that comes from a file
/// names it, so a skipped-file report or a fatal error tells the user which file to look at.
public enum ImageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file could not be read (missing, a directory, permissions).
    case unreadable(file: String, reason: String)
    /// The file is empty.
    case empty(file: String)
    /// The bytes are not one of the formats Keras accepts (JPEG, PNG, GIF, BMP).
    case notAnImage(file: String, detail: String)
    /// The format is known but the data is corrupt or truncated; `format` is "JPEG", "PNG", ...
    case corrupt(file: String, format: String, reason: String)
    /// A valid file using a feature SwiftZoo does not decode (e.g. 12-bit JPEG, RLE BMP).
    case unsupported(file: String, format: String, feature: String)
    /// The declared size exceeds the pixel limit (a decompression bomb, or a legitimately huge
    /// image: raise `DecodeOptions.maxPixels`).
    case tooLarge(file: String, width: Int, height: Int, maxPixels: Int)
    /// A caller passed an invalid value (a size, a channel count, a mode).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): cannot read the file: \(reason)"
        case .empty(let file):
            return "\(file): the file is empty (0 bytes), expected a JPEG, PNG, GIF or BMP image"
        case .notAnImage(let file, let detail):
            return "\(file): not an image Keras reads (expected JPEG, PNG, GIF or BMP): \(detail)"
        case .corrupt(let file, let format, let reason):
            return "\(file): corrupt or truncated \(format): \(reason)"
        case .unsupported(let file, let format, let feature):
            return "\(file): \(format) with \(feature) is not supported"
        case .tooLarge(let file, let width, let height, let maxPixels):
            return "\(file): declares \(width)x\(height) pixels (\(width * height)), above the limit of \(maxPixels); raise the pixel limit (--max-pixels) if the image is genuine"
        case .invalidArgument(let message):
            return message
        }
    }
}
