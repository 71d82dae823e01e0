/// The image container formats Keras reads (TensorFlow's `decode_image` and Pillow agree on
/// these four). Detected from the leading magic bytes only, never from the file extension.
public enum ImageFormat: String, Sendable {
    case jpeg, png, gif, bmp

    /// The format whose signature starts `bytes`, or `nil` when none matches.
    public static func detect(_ bytes: [UInt8]) -> ImageFormat? {
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        if bytes.count >= 8, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.count >= 6, bytes[0..<4].elementsEqual([0x47, 0x49, 0x46, 0x38]), bytes[4] == 0x37 || bytes[4] == 0x39, bytes[5] == 0x61 { return .gif }
        if bytes.count >= 2, bytes[0] == 0x42, bytes[1] == 0x4D { return .bmp }
        return nil
    }

    /// The name used in error messages ("JPEG", "PNG", ...).
    var displayName: String { rawValue.uppercased() }
}
