import CZooCodecs

/// PNG through libpng (CZooCodecs).
///
/// tensorflow reproduces `png_io.cc`: palette and low-bit gray expanded, tRNS to alpha,
/// gray->RGB or libpng's `rgb_to_gray(0.299, 0.587)`, alpha stripped or added with filler
/// `(1 << bit_depth) - 1` (so a 1-bit gray PNG gets alpha 1, as TensorFlow does), 16-bit
/// samples stripped to their high byte.
/// pillow decodes to Pillow's mode (L, LA, RGB, RGBA with tRNS as alpha, 16-bit gray kept
/// as I;16, other 16-bit stripped) and applies Pillow's `convert`.
enum PNGDecoder {
    static func header(_ bytes: [UInt8], file: String) throws -> (width: Int, height: Int) {
        // IHDR is the first chunk: signature (8) + length (4) + "IHDR" (4) + width + height.
        guard bytes.count >= 24 else { throw ImageError.corrupt(file: file, format: "PNG", reason: "truncated: no IHDR chunk") }
        guard bytes[12..<16].elementsEqual([0x49, 0x48, 0x44, 0x52]) else {
            throw ImageError.corrupt(file: file, format: "PNG", reason: "the first chunk is not IHDR")
        }
        func be32(_ at: Int) -> Int { Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) }
        return (be32(16), be32(20))
    }

    static func info(_ bytes: [UInt8], file: String) throws -> zoo_png_info {
        var info = zoo_png_info()
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { zoo_png_read_info($0.baseAddress, $0.count, &info, &message, message.count) }
        try CodecStatus.check(status, file: file, format: "PNG", message: message)
        return info
    }

    static func raw(_ bytes: [UInt8], file: String, width: Int, height: Int, transforms: Int32, filler: UInt32, channels: Int, depth: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height * channels * (depth / 8))
        var message = [CChar](repeating: 0, count: 256)
        var warnings: Int32 = 0
        let status = bytes.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { o in
                zoo_png_decode(b.baseAddress, b.count, UInt32(transforms), filler, Int32(channels), Int32(depth), o.baseAddress, o.count, &warnings, &message, message.count)
            }
        }
        try CodecStatus.check(status, file: file, format: "PNG", message: message)
        return out
    }

    static func decode(_ bytes: [UInt8], file: String, options: DecodeOptions) throws -> Image {
        let info = try info(bytes, file: file)
        let width = Int(info.width), height = Int(info.height)
        try ImageDecoder.checkLimit(file: file, width: width, height: height, maxPixels: options.maxPixels)
        let isColor = info.color_type & 2 != 0            // RGB, RGBA, palette
        let hasAlpha = info.color_type & 4 != 0 || info.has_trns != 0
        let sixteen = info.bit_depth == 16
        var t = Int32(ZOO_PNG_EXPAND | ZOO_PNG_TRNS_TO_ALPHA)
        switch options.profile {
        case .tensorflow:
            let want = options.colorMode.channels
            if !isColor && want >= 3 { t |= Int32(ZOO_PNG_GRAY_TO_RGB) }
            if isColor && want == 1 { t |= Int32(ZOO_PNG_RGB_TO_GRAY) }
            var filler: UInt32 = 0
            if want == 4 && !hasAlpha {
                t |= Int32(ZOO_PNG_ADD_ALPHA)
                filler = info.bit_depth >= 16 ? 0xFFFF : (UInt32(1) << UInt32(max(1, info.bit_depth))) - 1
            }
            if want != 4 && hasAlpha { t |= Int32(ZOO_PNG_STRIP_ALPHA) }
            if sixteen { t |= Int32(ZOO_PNG_STRIP_16) }
            let px = try raw(bytes, file: file, width: width, height: height, transforms: t, filler: filler, channels: want, depth: 8)
            return try Image(width: width, height: height, channels: want, pixels: px)
        case .pillow:
            let channels = (isColor ? 3 : 1) + (hasAlpha ? 1 : 0)
            if sixteen && channels == 1 {
                // Pillow mode I;16: load_img keeps it for grayscale (uint16 values), and its
                // convert("RGB"/"RGBA") clips each value to 255.
                if options.colorMode == .grayscale {
                    throw ImageError.unsupported(file: file, format: "PNG", feature: "16-bit grayscale as color_mode grayscale on the pillow profile (Keras returns uint16 values, not 8-bit)")
                }
                let px = try raw(bytes, file: file, width: width, height: height, transforms: t, filler: 0, channels: 1, depth: 16)
                let clipped = (0..<(width * height)).map { i -> UInt8 in
                    let v = Int(px[2 * i]) << 8 | Int(px[2 * i + 1])
                    return UInt8(min(v, 255))
                }
                return try ColorConversion.pillow(Image(width: width, height: height, channels: 1, pixels: clipped), to: options.colorMode)
            }
            if sixteen { t |= Int32(ZOO_PNG_STRIP_16) }
            let px = try raw(bytes, file: file, width: width, height: height, transforms: t, filler: 0, channels: channels, depth: 8)
            return try ColorConversion.pillow(Image(width: width, height: height, channels: channels, pixels: px), to: options.colorMode)
        }
    }
}
