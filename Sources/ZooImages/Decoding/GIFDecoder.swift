import CZooCodecs

/// GIF through giflib (CZooCodecs): the first frame only (`expand_animations=False`, and
/// what Pillow's `open` shows), on the logical screen.
///
/// tensorflow: 3 channels only (TensorFlow refuses 1 and 4 for GIF); transparent and
/// uncovered pixels are 0. pillow: the palette image with its transparency, then Pillow's
/// `convert` (alpha 0 on the transparent index for rgba, the index's colour for rgb).
enum GIFDecoder {
    static func header(_ bytes: [UInt8], file: String) throws -> (width: Int, height: Int) {
        guard bytes.count >= 10 else { throw ImageError.corrupt(file: file, format: "GIF", reason: "truncated: no screen descriptor") }
        return (Int(bytes[6]) | Int(bytes[7]) << 8, Int(bytes[8]) | Int(bytes[9]) << 8)
    }

    static func decode(_ bytes: [UInt8], file: String, options: DecodeOptions) throws -> Image {
        if options.profile == .tensorflow && options.colorMode != .rgb {
            throw ImageError.unsupported(file: file, format: "GIF", feature: "\(options.colorMode.channels) channels on the tensorflow profile (tf.io.decode_image: channels must be 0 or 3 for GIF)")
        }
        var info = zoo_gif_info()
        var message = [CChar](repeating: 0, count: 256)
        var status = bytes.withUnsafeBufferPointer { zoo_gif_read_info($0.baseAddress, $0.count, &info, &message, message.count) }
        try CodecStatus.check(status, file: file, format: "GIF", message: message)
        let width = Int(info.width), height = Int(info.height)
        try ImageDecoder.checkLimit(file: file, width: width, height: height, maxPixels: options.maxPixels)
        let n = width * height
        var indices = [UInt8](repeating: 0, count: n)
        var covered = [UInt8](repeating: 0, count: n)
        var palette = [UInt8](repeating: 0, count: 768)
        var count: Int32 = 0, transparent: Int32 = -1
        status = bytes.withUnsafeBufferPointer { b in
            indices.withUnsafeMutableBufferPointer { ix in
                covered.withUnsafeMutableBufferPointer { cv in
                    palette.withUnsafeMutableBufferPointer { pl in
                        zoo_gif_decode_first(b.baseAddress, b.count, UInt64(max(0, options.maxPixels)), ix.baseAddress, cv.baseAddress, n,
                                             pl.baseAddress, &count, &transparent, &message, message.count)
                    }
                }
            }
        }
        try CodecStatus.check(status, file: file, format: "GIF", message: message, maxPixels: options.maxPixels, size: (width, height))
        let paletteCount = Int(count)
        switch options.profile {
        case .tensorflow:
            return try Image(width: width, height: height, channels: 3) { out in
                for i in 0..<n where covered[i] != 0 {
                    let k = Int(indices[i])
                    guard k != Int(transparent), k < paletteCount else { continue }
                    out[3 * i] = palette[3 * k]; out[3 * i + 1] = palette[3 * k + 1]; out[3 * i + 2] = palette[3 * k + 2]
                }
            }
        case .pillow:
            // Uncovered screen pixels take the transparent index if any, else the background.
            let fill = transparent >= 0 ? UInt8(truncatingIfNeeded: transparent) : UInt8(truncatingIfNeeded: info.background)
            let rgba = try Image(width: width, height: height, channels: 4) { out in
                for i in 0..<n {
                    let k = Int(covered[i] != 0 ? indices[i] : fill)
                    if k < paletteCount {
                        out[4 * i] = palette[3 * k]; out[4 * i + 1] = palette[3 * k + 1]; out[4 * i + 2] = palette[3 * k + 2]
                    }
                    out[4 * i + 3] = k == Int(transparent) ? 0 : 255
                }
            }
            return try ColorConversion.pillow(rgba, to: options.colorMode)
        }
    }
}
