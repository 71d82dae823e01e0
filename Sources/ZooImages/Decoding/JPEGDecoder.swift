import CZooCodecs

/// JPEG through libjpeg-turbo (CZooCodecs), with each Keras path's settings.
///
/// tensorflow: `JCS_GRAYSCALE` output for 1 channel (the luma plane), `JCS_RGB` for 3, CMYK
/// and YCCK files decoded to CMYK and converted as TensorFlow does (no grayscale for them),
/// 4 channels refused ("JPEG does not support 4 channels"), `tensorflowDCT`, fancy upsampling.
/// pillow: RGB (or L for grayscale files, CMYK for CMYK files) with ISLOW and fancy
/// upsampling, then Pillow's `convert`.
enum JPEGDecoder {
    /// The inverse DCT TensorFlow's `decode_image` uses by default.
    static let tensorflowDCT = Int32(ZOO_DCT_IFAST)
    /// Pillow's libjpeg default.
    static let pillowDCT = Int32(ZOO_DCT_ISLOW)

    /// Width and height from the first SOFn marker (own bounded scan, no allocation).
    static func header(_ bytes: [UInt8], file: String) throws -> (width: Int, height: Int) {
        var i = 2
        while i + 4 <= bytes.count {
            guard bytes[i] == 0xFF else {
                throw ImageError.corrupt(file: file, format: "JPEG", reason: "bad marker at byte \(i)")
            }
            let marker = bytes[i + 1]
            if marker == 0xFF { i += 1; continue }
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
            if marker == 0xD9 || marker == 0xDA { break }
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard length >= 2 else { throw ImageError.corrupt(file: file, format: "JPEG", reason: "bad segment length at byte \(i)") }
            let isSOF = (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
            if isSOF {
                guard i + 9 <= bytes.count, length >= 7 else { break }
                let height = Int(bytes[i + 5]) << 8 | Int(bytes[i + 6])
                let width = Int(bytes[i + 7]) << 8 | Int(bytes[i + 8])
                return (width, height)
            }
            i += 2 + length
        }
        throw ImageError.corrupt(file: file, format: "JPEG", reason: "truncated: no frame header (SOF) found")
    }

    static func info(_ bytes: [UInt8], file: String) throws -> zoo_jpeg_info {
        var info = zoo_jpeg_info()
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { b in
            zoo_jpeg_read_info(b.baseAddress, b.count, &info, &message, message.count)
        }
        try CodecStatus.check(status, file: file, format: "JPEG", message: message)
        return info
    }

    /// Raw libjpeg decode to `space` (ZOO_JPEG_*), `channels` bytes per pixel.
    static func raw(_ bytes: [UInt8], file: String, width: Int, height: Int, space: Int32, channels: Int, dct: Int32, fancy: Bool = true) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height * channels)
        var message = [CChar](repeating: 0, count: 256)
        var warnings: Int32 = 0
        let status = bytes.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { o in
                zoo_jpeg_decode(b.baseAddress, b.count, space, dct, fancy ? 1 : 0, o.baseAddress, o.count, &warnings, &message, message.count)
            }
        }
        try CodecStatus.check(status, file: file, format: "JPEG", message: message)
        return out
    }

    static func decode(_ bytes: [UInt8], file: String, options: DecodeOptions) throws -> Image {
        let info = try info(bytes, file: file)
        let width = Int(info.width), height = Int(info.height)
        try ImageDecoder.checkLimit(file: file, width: width, height: height, maxPixels: options.maxPixels)
        guard info.data_precision == 8 else {
            throw ImageError.unsupported(file: file, format: "JPEG", feature: "\(info.data_precision)-bit samples")
        }
        let cmyk = info.color_space == 4 || info.color_space == 5
        switch options.profile {
        case .tensorflow:
            switch options.colorMode {
            case .rgba:
                throw ImageError.unsupported(file: file, format: "JPEG", feature: "4 channels on the tensorflow profile (tf.io.decode_image: JPEG does not support 4 channels)")
            case .grayscale:
                if cmyk { throw ImageError.unsupported(file: file, format: "JPEG", feature: "CMYK to 1 channel on the tensorflow profile (tf.io.decode_image fails)") }
                let px = try raw(bytes, file: file, width: width, height: height, space: Int32(ZOO_JPEG_GRAY), channels: 1, dct: tensorflowDCT)
                return try Image(width: width, height: height, channels: 1, pixels: px)
            case .rgb:
                if cmyk {
                    let px = try raw(bytes, file: file, width: width, height: height, space: Int32(ZOO_JPEG_CMYK), channels: 4, dct: tensorflowDCT)
                    return try ColorConversion.tensorflowCMYKToRGB(px, width: width, height: height, adobe: info.saw_adobe_marker != 0)
                }
                let px = try raw(bytes, file: file, width: width, height: height, space: Int32(ZOO_JPEG_RGB), channels: 3, dct: tensorflowDCT)
                return try Image(width: width, height: height, channels: 3, pixels: px)
            }
        case .pillow:
            let native: Image
            if cmyk {
                let px = try raw(bytes, file: file, width: width, height: height, space: Int32(ZOO_JPEG_CMYK), channels: 4, dct: pillowDCT)
                native = try ColorConversion.pillowCMYKToRGB(px, width: width, height: height, inverted: info.saw_adobe_marker != 0)
            } else if info.color_space == 1 {
                let px = try raw(bytes, file: file, width: width, height: height, space: Int32(ZOO_JPEG_GRAY), channels: 1, dct: pillowDCT)
                native = try Image(width: width, height: height, channels: 1, pixels: px)
            } else {
                let px = try raw(bytes, file: file, width: width, height: height, space: Int32(ZOO_JPEG_RGB), channels: 3, dct: pillowDCT)
                native = try Image(width: width, height: height, channels: 3, pixels: px)
            }
            return try ColorConversion.pillow(native, to: options.colorMode)
        }
    }
}
