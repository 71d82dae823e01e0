import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Decodes JPEG, PNG, GIF (first frame) and BMP files into 8-bit `Image`s whose pixels equal
/// what Keras gets from the same bytes on the chosen `DecoderProfile`.
///
/// The format comes from the magic bytes; the size is read from the header and checked
/// against `DecodeOptions.maxPixels` before any pixel memory is allocated. Every failure is an
/// `ImageError` naming `file`. Decoding is thread safe (no shared mutable state).
public enum ImageDecoder {
    /// Decodes `bytes`; `file` is only used in error messages.
    public static func decode(_ bytes: [UInt8], file: String, options: DecodeOptions = .init()) throws -> Image {
        let (format, width, height) = try header(bytes, file: file)
        try checkLimit(file: file, width: width, height: height, maxPixels: options.maxPixels)
        var image: Image
        switch format {
        case .jpeg: image = try JPEGDecoder.decode(bytes, file: file, options: options)
        case .png: image = try PNGDecoder.decode(bytes, file: file, options: options)
        case .gif: image = try GIFDecoder.decode(bytes, file: file, options: options)
        case .bmp: image = try BMPDecoder.decode(bytes, file: file, options: options)
        }
        if options.applyEXIFOrientation, format == .jpeg, let orientation = EXIFOrientation.read(jpeg: bytes) {
            image = try orientation.apply(to: image)
        }
        return image
    }

    /// Reads the file at `path` and decodes it; the path names the file in errors.
    public static func decode(contentsOf path: String, options: DecodeOptions = .init()) throws -> Image {
        try decode(readFile(path), file: path, options: options)
    }

    /// The format and declared size, from the header only (cheap; allocates no pixels).
    public static func header(_ bytes: [UInt8], file: String) throws -> (format: ImageFormat, width: Int, height: Int) {
        guard !bytes.isEmpty else { throw ImageError.empty(file: file) }
        guard let format = ImageFormat.detect(bytes) else {
            let head = bytes.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw ImageError.notAnImage(file: file, detail: "unknown signature \(head)")
        }
        let size: (width: Int, height: Int)
        switch format {
        case .jpeg: size = try JPEGDecoder.header(bytes, file: file)
        case .png: size = try PNGDecoder.header(bytes, file: file)
        case .gif: size = try GIFDecoder.header(bytes, file: file)
        case .bmp: size = try BMPDecoder.header(bytes, file: file)
        }
        guard size.width > 0, size.height > 0 else {
            throw ImageError.corrupt(file: file, format: format.displayName, reason: "declares a size of \(size.width)x\(size.height)")
        }
        return (format, size.width, size.height)
    }

    /// Throws `tooLarge` when `width * height` exceeds `maxPixels` (or overflows).
    static func checkLimit(file: String, width: Int, height: Int, maxPixels: Int) throws {
        let (area, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || area > maxPixels {
            throw ImageError.tooLarge(file: file, width: width, height: height, maxPixels: maxPixels)
        }
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw ImageError.unreadable(file: path, reason: code == ENOENT ? "no such file" : String(cString: strerror(code)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ImageError.unreadable(file: path, reason: String(cString: strerror(errno))) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw ImageError.unreadable(file: path, reason: "is a directory") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ImageError.unreadable(file: path, reason: "not a regular file") }
        let size = Int(info.st_size)
        guard size <= maxFileBytes else {
            throw ImageError.unreadable(file: path, reason: "the file is \(size) bytes, above the \(maxFileBytes)-byte limit for one image")
        }
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = 0
            while count < size {
                let got = read(fd, buffer.baseAddress! + count, size - count)
                if got < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if got == 0 { break }  // the file shrank while reading
                count += got
            }
        }
        if failure != 0 { throw ImageError.unreadable(file: path, reason: String(cString: strerror(failure))) }
        return bytes
    }

    /// Files above this size are not read as one image (4 GiB).
    static let maxFileBytes = 4 << 30
}

/// Turns a CZooCodecs status into the matching `ImageError`.
enum CodecStatus {
    static func check(_ status: Int32, file: String, format: String, message: [CChar], maxPixels: Int = 0, size: (Int, Int) = (0, 0)) throws {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch Int(status) {
        case 0: return
        case 2: throw ImageError.corrupt(file: file, format: format, reason: "truncated: \(text)")
        case 3: throw ImageError.unsupported(file: file, format: format, feature: text)
        case 4: throw ImageError.corrupt(file: file, format: format, reason: "out of memory: \(text)")
        case 6: throw ImageError.tooLarge(file: file, width: size.0, height: size.1, maxPixels: maxPixels)
        default: throw ImageError.corrupt(file: file, format: format, reason: text.isEmpty ? "decoder error \(status)" : text)
        }
    }
}
