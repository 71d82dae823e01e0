import ZooGraph

/// Geometry of one 2-D convolution in NHWC, with Keras's padding arithmetic.
struct ConvGeometry: Sendable {
    var batch, inH, inW, inC: Int
    var outH, outW, outC: Int
    var kh, kw, sh, sw, dh, dw: Int
    var padTop, padLeft: Int

    init(batch: Int, input: [Int], output: [Int], attributes a: ConvAttributes, outChannels: Int) {
        self.batch = batch
        (inH, inW, inC) = (input[0], input[1], input[2])
        (outH, outW) = (output[0], output[1])
        outC = outChannels
        (kh, kw) = (a.kernel[0], a.kernel[1])
        (sh, sw) = (a.strides[0], a.strides[1])
        (dh, dw) = (a.dilation[0], a.dilation[1])
        if a.padding == .same {
            // TensorFlow's SAME: total padding split with the extra pixel at the bottom/right.
            let totalH = max((outH - 1) * sh + (kh - 1) * dh + 1 - inH, 0)
            let totalW = max((outW - 1) * sw + (kw - 1) * dw + 1 - inW, 0)
            (padTop, padLeft) = (totalH / 2, totalW / 2)
        } else {
            (padTop, padLeft) = (0, 0)
        }
    }

    var rows: Int { batch * outH * outW }
    var patch: Int { kh * kw * inC }
    /// A 1x1, stride-1, unpadded convolution reads its input rows directly (no im2col).
    var isPointwise: Bool { kh == 1 && kw == 1 && sh == 1 && sw == 1 && padTop == 0 && padLeft == 0 }

    /// Writes the im2col rows `rows` (each `patch` floats, ordered kh, kw, cin like an HWIO kernel).
    ///
    /// Without dilation the in-bounds taps of one kernel row are adjacent pixels of one input
    /// row, which NHWC stores contiguously, so each kernel row is one copy (`kw * inC` floats)
    /// plus zeros for the taps in the padding: the 7x7 stem with 3 channels copies 7 runs of 21
    /// floats per row instead of 49 runs of 3.
    func im2col(rows: Range<Int>, input: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        guard !rows.isEmpty else { return }
        var dst = out
        let plane = outH * outW
        var n = rows.lowerBound / plane
        var oy = (rows.lowerBound % plane) / outW
        var ox = rows.lowerBound % outW
        let span = kw * inC
        for _ in rows {
            let ix0 = ox * sw - padLeft
            for ky in 0..<kh {
                let iy = oy * sh - padTop + ky * dh
                if iy < 0 || iy >= inH {
                    dst.update(repeating: 0, count: span)
                } else {
                    let line = input + (n * inH + iy) * inW * inC
                    if dw == 1 {
                        let lo = min(kw, max(0, -ix0))
                        let hi = max(lo, min(kw, inW - ix0))
                        if lo > 0 { dst.update(repeating: 0, count: lo * inC) }
                        if hi > lo { (dst + lo * inC).update(from: line + (ix0 + lo) * inC, count: (hi - lo) * inC) }
                        if hi < kw { (dst + hi * inC).update(repeating: 0, count: (kw - hi) * inC) }
                    } else {
                        for kx in 0..<kw {
                            let ix = ix0 + kx * dw
                            if ix >= 0, ix < inW {
                                (dst + kx * inC).update(from: line + ix * inC, count: inC)
                            } else {
                                (dst + kx * inC).update(repeating: 0, count: inC)
                            }
                        }
                    }
                }
                dst += span
            }
            ox += 1
            if ox == outW {
                ox = 0
                oy += 1
                if oy == outH { oy = 0; n += 1 }
            }
        }
    }
}
