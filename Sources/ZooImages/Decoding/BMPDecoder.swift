/// A bounded parser of the BMP container (no Debian library decodes BMP).
///
/// Accepted: BITMAPCOREHEADER (12) and BITMAPINFOHEADER (40) through V5 (124), 1/4/8-bit
/// palette, 16-bit (555, or 565 by BI_BITFIELDS), 24-bit, 32-bit (BI_RGB or byte-aligned
/// BI_BITFIELDS / BI_ALPHABITFIELDS masks), bottom-up and top-down rows. RLE and embedded
/// JPEG/PNG are refused as `unsupported`. Every offset and size is bounds- and overflow-checked.
///
/// tensorflow reproduces TensorFlow's own BMP decoder: 24/32-bit (and 8-bit, whose indices
/// it returns as gray levels, ignoring the palette), the 4th byte of 32-bit pixels as alpha
/// whatever the masks, no 1-channel output. pillow reproduces Pillow's BmpImagePlugin:
/// palette colours, 32-bit BI_RGB read as RGB (alpha ignored), masks honoured, 5/6-bit
/// fields scaled by `v * 255 / max` (truncating).
enum BMPDecoder {
    struct Layout {
        var width = 0, height = 0, topDown = false, bpp = 0, compression = 0
        var headerSize = 0, pixelOffset = 0
        var masks: [UInt32] = []
        var palette: [(UInt8, UInt8, UInt8)] = []
    }

    private static func u16(_ b: [UInt8], _ at: Int) -> Int? {
        guard at >= 0, at <= b.count - 2 else { return nil }
        return Int(b[at]) | Int(b[at + 1]) << 8
    }

    private static func u32(_ b: [UInt8], _ at: Int) -> UInt32? {
        guard at >= 0, at <= b.count - 4 else { return nil }
        return UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    private static func corrupt(_ file: String, _ reason: String) -> ImageError {
        .corrupt(file: file, format: "BMP", reason: reason)
    }

    static func header(_ bytes: [UInt8], file: String) throws -> (width: Int, height: Int) {
        let l = try parse(bytes, file: file, withPalette: false)
        return (l.width, l.height)
    }

    static func parse(_ b: [UInt8], file: String, withPalette: Bool) throws -> Layout {
        var l = Layout()
        guard let offset = u32(b, 10), let hs = u32(b, 14) else { throw corrupt(file, "truncated: file header too short") }
        l.pixelOffset = Int(offset)
        l.headerSize = Int(hs)
        if l.headerSize == 12 {
            guard let w = u16(b, 18), let h = u16(b, 20), let bpp = u16(b, 24) else { throw corrupt(file, "truncated: core header too short") }
            l.width = w; l.height = h; l.bpp = bpp
        } else if [40, 52, 56, 64, 108, 124].contains(l.headerSize) {
            guard let w = u32(b, 18), let h = u32(b, 22), let bpp = u16(b, 28), let comp = u32(b, 30) else {
                throw corrupt(file, "truncated: info header too short")
            }
            let sw = Int(Int32(bitPattern: w)), sh = Int(Int32(bitPattern: h))
            guard sw > 0, sh != Int(Int32.min) else { throw corrupt(file, "invalid size \(sw)x\(sh)") }
            l.width = sw; l.height = abs(sh); l.topDown = sh < 0; l.bpp = bpp; l.compression = Int(comp)
        } else {
            throw ImageError.unsupported(file: file, format: "BMP", feature: "a \(l.headerSize)-byte header")
        }
        guard l.width > 0, l.height > 0 else { throw corrupt(file, "declares a size of \(l.width)x\(l.height)") }
        guard withPalette else { return l }
        switch l.compression {
        case 0: break
        case 3, 6:
            let count = (l.compression == 6 || l.headerSize >= 56) ? 4 : 3
            let base = 14 + 40   // masks follow the 40 bytes of BITMAPINFOHEADER fields (inside V2+ headers)
            for i in 0..<count {
                guard let m = u32(b, base + 4 * i) else { throw corrupt(file, "truncated: colour masks missing") }
                l.masks.append(m)
            }
        case 1, 2: throw ImageError.unsupported(file: file, format: "BMP", feature: "RLE compression")
        case 4, 5: throw ImageError.unsupported(file: file, format: "BMP", feature: "embedded JPEG/PNG compression")
        default: throw ImageError.unsupported(file: file, format: "BMP", feature: "compression \(l.compression)")
        }
        guard [1, 4, 8, 16, 24, 32].contains(l.bpp) else {
            throw ImageError.unsupported(file: file, format: "BMP", feature: "\(l.bpp) bits per pixel")
        }
        if l.bpp <= 8 {
            let entry = l.headerSize == 12 ? 3 : 4
            let declared = l.headerSize == 12 ? 0 : Int(u32(b, 46) ?? 0)
            let count = declared > 0 ? min(declared, 1 << l.bpp) : 1 << l.bpp
            var start = 14 + l.headerSize
            if l.headerSize == 40 && (l.compression == 3 || l.compression == 6) { start += 4 * l.masks.count }
            for i in 0..<count {
                let at = start + i * entry
                guard at >= 0, at <= b.count - 3 else { break }
                l.palette.append((b[at + 2], b[at + 1], b[at]))
            }
        }
        return l
    }

    static func decode(_ bytes: [UInt8], file: String, options: DecodeOptions) throws -> Image {
        let l = try parse(bytes, file: file, withPalette: true)
        try ImageDecoder.checkLimit(file: file, width: l.width, height: l.height, maxPixels: options.maxPixels)
        if options.profile == .tensorflow {
            if options.colorMode == .grayscale {
                throw ImageError.unsupported(file: file, format: "BMP", feature: "1 channel on the tensorflow profile (tf.io.decode_image: channels must be 0, 3 or 4 for BMP)")
            }
            guard [8, 24, 32].contains(l.bpp) else {
                throw ImageError.unsupported(file: file, format: "BMP", feature: "\(l.bpp) bits per pixel on the tensorflow profile (TensorFlow decodes 8, 24 and 32)")
            }
        }
        // Row stride, padded to 4 bytes; all arithmetic checked.
        let (bits, o1) = l.width.multipliedReportingOverflow(by: l.bpp)
        guard !o1, bits <= Int.max - 31 else { throw corrupt(file, "row size overflows") }
        let stride = (bits + 31) / 32 * 4
        let (size, o2) = stride.multipliedReportingOverflow(by: l.height)
        let (end, o3) = l.pixelOffset.addingReportingOverflow(size)
        guard !o2, !o3, l.pixelOffset >= 14 else { throw corrupt(file, "pixel data offset out of range") }
        guard end <= bytes.count else {
            throw corrupt(file, "truncated: pixel data needs \(size) bytes at offset \(l.pixelOffset), the file has \(bytes.count)")
        }
        let native = try pixels(bytes, l, stride: stride, profile: options.profile, file: file)
        switch options.profile {
        case .tensorflow: return try ColorConversion.replicateOrStrip(native, to: options.colorMode.channels)
        case .pillow: return try ColorConversion.pillow(native, to: options.colorMode)
        }
    }

    /// Where a 32/16-bit mask's field sits and how wide it is (nil for an empty mask).
    private static func field(_ mask: UInt32) -> (shift: UInt32, max: UInt32)? {
        guard mask != 0 else { return nil }
        let shift = UInt32(mask.trailingZeroBitCount)
        let value = mask >> shift
        guard value & (value &+ 1) == 0 else { return nil }   // contiguous bits only
        return (shift, value)
    }

    private static func pixels(_ b: [UInt8], _ l: Layout, stride: Int, profile: DecoderProfile, file: String) throws -> Image {
        let w = l.width, h = l.height
        func rowStart(_ y: Int) -> Int { l.pixelOffset + (l.topDown ? y : h - 1 - y) * stride }
        var masks = l.masks
        if masks.isEmpty {
            if l.bpp == 16 { masks = [0x7C00, 0x03E0, 0x001F] }
            if l.bpp == 32 { masks = [0xFF0000, 0xFF00, 0xFF] }
        }
        // Channels of the native image.
        let channels: Int
        switch (profile, l.bpp) {
        case (.tensorflow, 8): channels = 1
        case (.tensorflow, 32): channels = 4
        case (.pillow, 32): channels = masks.count == 4 && masks[3] != 0 ? 4 : 3
        default: channels = 3
        }
        var fields: [(shift: UInt32, max: UInt32)] = []
        if profile == .pillow && (l.bpp == 16 || l.bpp == 32) {
            for m in masks.prefix(channels) {
                guard let f = field(m), f.max <= 255 else {
                    throw ImageError.unsupported(file: file, format: "BMP", feature: String(format: "colour mask 0x%08x", m))
                }
                fields.append(f)
            }
        }
        return try Image(width: w, height: h, channels: channels) { out in
            for y in 0..<h {
                let row = rowStart(y)
                for x in 0..<w {
                    let o = (y * w + x) * channels
                    switch l.bpp {
                    case 1, 4, 8:
                        let bitPos = x * l.bpp
                        let byte = b[row + bitPos / 8]
                        let shift = 8 - l.bpp - bitPos % 8
                        let index = Int(byte >> UInt8(shift)) & ((1 << l.bpp) - 1)
                        if channels == 1 {
                            out[o] = UInt8(index)
                        } else if index < l.palette.count {
                            let c = l.palette[index]
                            out[o] = c.0; out[o + 1] = c.1; out[o + 2] = c.2
                        }
                    case 24:
                        let p = row + 3 * x
                        out[o] = b[p + 2]; out[o + 1] = b[p + 1]; out[o + 2] = b[p]
                    case 32 where profile == .tensorflow:
                        let p = row + 4 * x
                        out[o] = b[p + 2]; out[o + 1] = b[p + 1]; out[o + 2] = b[p]; out[o + 3] = b[p + 3]
                    default:
                        let p = row + (l.bpp / 8) * x
                        let v: UInt32 = l.bpp == 16 ? UInt32(b[p]) | UInt32(b[p + 1]) << 8
                            : UInt32(b[p]) | UInt32(b[p + 1]) << 8 | UInt32(b[p + 2]) << 16 | UInt32(b[p + 3]) << 24
                        for (c, f) in fields.enumerated() {
                            let raw = (v >> f.shift) & f.max
                            out[o + c] = f.max == 255 ? UInt8(raw) : UInt8(raw * 255 / f.max)
                        }
                    }
                }
            }
        }
    }
}
