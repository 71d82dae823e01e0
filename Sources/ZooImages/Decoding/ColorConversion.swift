/// The channel conversions of the two Keras paths, applied to a decoder's native output.
enum ColorConversion {
    /// Pillow's RGB -> L (ITU-R 601-2 luma in 16-bit fixed point, rounded).
    @inline(__always)
    static func pillowLuma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let red: UInt32 = UInt32(r) * 19595
        let green: UInt32 = UInt32(g) * 38470
        let blue: UInt32 = UInt32(b) * 7471
        return UInt8((red + green + blue + 0x8000) >> 16)
    }

    /// Pillow's `convert("RGB" | "L" | "RGBA")` from a native image with 1 (L), 2 (LA),
    /// 3 (RGB) or 4 (RGBA) channels: alpha is dropped, never composited; L replicates; RGB to
    /// L uses `pillowLuma`; a missing alpha becomes 255.
    static func pillow(_ src: Image, to mode: ColorMode) throws -> Image {
        let n = src.pixelCount, sc = src.channels
        if sc == mode.channels { return src }
        return try Image(width: src.width, height: src.height, channels: mode.channels) { out in
            src.pixels.withUnsafeBufferPointer { p in
                for i in 0..<n {
                    let s = i * sc
                    let gray = sc <= 2
                    let r = p[s], g = gray ? p[s] : p[s + 1], b = gray ? p[s] : p[s + 2]
                    let a: UInt8 = sc == 2 ? p[s + 1] : (sc == 4 ? p[s + 3] : 255)
                    switch mode {
                    case .grayscale:
                        out[i] = gray ? r : pillowLuma(r, g, b)
                    case .rgb:
                        out[3 * i] = r; out[3 * i + 1] = g; out[3 * i + 2] = b
                    case .rgba:
                        out[4 * i] = r; out[4 * i + 1] = g; out[4 * i + 2] = b; out[4 * i + 3] = a
                    }
                }
            }
        }
    }

    /// TensorFlow's channel adjustment for its own BMP decoder: 1 -> 3 replicates, a missing
    /// alpha becomes 255, an alpha is dropped for 3 channels.
    static func replicateOrStrip(_ src: Image, to channels: Int) throws -> Image {
        let n = src.pixelCount, sc = src.channels
        if sc == channels { return src }
        return try Image(width: src.width, height: src.height, channels: channels) { out in
            src.pixels.withUnsafeBufferPointer { p in
                for i in 0..<n {
                    let s = i * sc
                    for c in 0..<channels {
                        if c == 3 {
                            out[i * channels + 3] = sc == 4 ? p[s + 3] : 255
                        } else {
                            out[i * channels + c] = sc == 1 ? p[s] : p[s + c]
                        }
                    }
                }
            }
        }
    }

    /// Pillow's CMYK -> RGB (`cmyk2rgb`: R = (255-K) - (C*(255-K))/255, rounded as MULDIV255),
    /// from Pillow's CMYK values (an Adobe JPEG's inverted samples are inverted back first).
    static func pillowCMYKToRGB(_ cmyk: [UInt8], width: Int, height: Int, inverted: Bool) throws -> Image {
        let n = width * height
        return try Image(width: width, height: height, channels: 3) { out in
            cmyk.withUnsafeBufferPointer { p in
                for i in 0..<n {
                    func v(_ c: Int) -> Int { inverted ? 255 - Int(p[4 * i + c]) : Int(p[4 * i + c]) }
                    let nk = 255 - v(3)
                    for c in 0..<3 {
                        let t = v(c) * nk + 128
                        let mul = ((t >> 8) + t) >> 8
                        out[3 * i + c] = UInt8(clamping: nk - mul)
                    }
                }
            }
        }
    }

    /// TensorFlow's CMYK -> RGB (jpeg_mem.cc): with an Adobe marker R = K*C/255 on the stored
    /// (inverted) samples, else R = (255-K)*(255-C)/255, truncating.
    static func tensorflowCMYKToRGB(_ cmyk: [UInt8], width: Int, height: Int, adobe: Bool) throws -> Image {
        let n = width * height
        return try Image(width: width, height: height, channels: 3) { out in
            cmyk.withUnsafeBufferPointer { p in
                for i in 0..<n {
                    let k = Int(p[4 * i + 3])
                    for c in 0..<3 {
                        let v = Int(p[4 * i + c])
                        out[3 * i + c] = UInt8(clamping: adobe ? (k * v) / 255 : ((255 - k) * (255 - v)) / 255)
                    }
                }
            }
        }
    }
}
