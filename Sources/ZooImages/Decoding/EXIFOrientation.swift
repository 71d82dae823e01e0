/// The EXIF orientation of a JPEG (IFD0 tag 0x0112 in the APP1 "Exif" segment), and the
/// flip/rotation that displays the image upright (what Pillow's `ImageOps.exif_transpose` does).
enum EXIFOrientation: Int, Sendable {
    case up = 1, mirrored = 2, rotated180 = 3, flippedVertically = 4
    case transposed = 5, rotated90 = 6, transversed = 7, rotated270 = 8

    /// The orientation from the first APP1 Exif segment, or nil (absent, malformed, out of range).
    static func read(jpeg b: [UInt8]) -> EXIFOrientation? {
        var i = 2
        while i + 4 <= b.count, b[i] == 0xFF {
            let marker = b[i + 1]
            if marker == 0xDA || marker == 0xD9 { return nil }
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 2 else { return nil }
            let start = i + 4, end = i + 2 + length
            guard end <= b.count else { return nil }
            if marker == 0xE1, end - start >= 14, b[start..<(start + 6)].elementsEqual([0x45, 0x78, 0x69, 0x66, 0, 0]) {
                return parseTIFF(Array(b[(start + 6)..<end]))
            }
            i = end
        }
        return nil
    }

    private static func parseTIFF(_ t: [UInt8]) -> EXIFOrientation? {
        guard t.count >= 8 else { return nil }
        let little: Bool
        if t[0] == 0x49 && t[1] == 0x49 { little = true } else if t[0] == 0x4D && t[1] == 0x4D { little = false } else { return nil }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at <= t.count - 2 else { return nil }
            return little ? Int(t[at]) | Int(t[at + 1]) << 8 : Int(t[at]) << 8 | Int(t[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let a = u16(at), let b = u16(at + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard let ifd = u32(4), let count = u16(ifd) else { return nil }
        for k in 0..<count {
            let entry = ifd + 2 + 12 * k
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112 {
                guard let type = u16(entry + 2), type == 3, let value = u16(entry + 8) else { return nil }
                return EXIFOrientation(rawValue: value)
            }
        }
        return nil
    }

    /// The image as displayed: rows and columns permuted, pixel values untouched.
    func apply(to src: Image) throws -> Image {
        if self == .up { return src }
        let w = src.width, h = src.height, c = src.channels
        let swaps = rawValue >= 5
        let ow = swaps ? h : w, oh = swaps ? w : h
        return try Image(width: ow, height: oh, channels: c) { out in
            src.pixels.withUnsafeBufferPointer { p in
                for y in 0..<oh {
                    for x in 0..<ow {
                        let (sy, sx): (Int, Int)
                        switch self {
                        case .up: (sy, sx) = (y, x)
                        case .mirrored: (sy, sx) = (y, w - 1 - x)
                        case .rotated180: (sy, sx) = (h - 1 - y, w - 1 - x)
                        case .flippedVertically: (sy, sx) = (h - 1 - y, x)
                        case .transposed: (sy, sx) = (x, y)
                        case .rotated90: (sy, sx) = (h - 1 - x, y)
                        case .transversed: (sy, sx) = (h - 1 - x, w - 1 - y)
                        case .rotated270: (sy, sx) = (x, w - 1 - y)
                        }
                        let d = (y * ow + x) * c, s = (sy * w + sx) * c
                        for k in 0..<c { out[d + k] = p[s + k] }
                    }
                }
            }
        }
    }
}
