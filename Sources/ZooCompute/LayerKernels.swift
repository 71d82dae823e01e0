import Dispatch
import Foundation
import ZooGraph

/// The non-GEMM layers: depthwise convolution, pooling, padding, elementwise ops.
enum LayerKernels {
    /// DepthwiseConv2D with Keras padding, bias and activation.
    static func depthwise(_ g: ConvGeometry, multiplier: Int, kernel: [Float], bias: [Float]?, activation: Activation,
                          input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let outC = g.inC * multiplier
        for n in 0..<g.batch {
            for oy in 0..<g.outH {
                for ox in 0..<g.outW {
                    let out = output + ((n * g.outH + oy) * g.outW + ox) * outC
                    for c in 0..<outC { out[c] = bias?[c] ?? 0 }
                    for ky in 0..<g.kh {
                        let iy = oy * g.sh - g.padTop + ky * g.dh
                        guard iy >= 0, iy < g.inH else { continue }
                        for kx in 0..<g.kw {
                            let ix = ox * g.sw - g.padLeft + kx * g.dw
                            guard ix >= 0, ix < g.inW else { continue }
                            let pixel = input + ((n * g.inH + iy) * g.inW + ix) * g.inC
                            let taps = (ky * g.kw + kx) * g.inC * multiplier
                            for c in 0..<g.inC {
                                let v = pixel[c]
                                for m in 0..<multiplier { out[c * multiplier + m] += v * kernel[taps + c * multiplier + m] }
                            }
                        }
                    }
                }
            }
        }
        applyActivation(activation, output, count: g.batch * g.outH * g.outW * outC, rowLength: outC)
    }

    /// Max or average pooling; `same` padding ignores padded pixels (TensorFlow semantics).
    /// `zeroPad` (top, bottom, left, right) is a ZeroPadding2D fused in front: those pixels count
    /// as zeros, exactly as if the padded tensor had been built.
    static func pool(max isMax: Bool, batch: Int, input shape: [Int], output outShape: [Int], attributes a: PoolAttributes,
                     zeroPad: (Int, Int, Int, Int) = (0, 0, 0, 0), input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                     threads: Int = 1) {
        let (inH, inW, c) = (shape[0], shape[1], shape[2])
        let (outH, outW) = (outShape[0], outShape[1])
        let (paddedH, paddedW) = (inH + zeroPad.0 + zeroPad.1, inW + zeroPad.2 + zeroPad.3)
        var padTop = 0, padLeft = 0
        if a.padding == .same {
            padTop = max((outH - 1) * a.strides[0] + a.size[0] - paddedH, 0) / 2
            padLeft = max((outW - 1) * a.strides[1] + a.size[1] - paddedW, 0) / 2
        }
        // Output lines (image, row) are shared between threads when there is enough work.
        let (top, left) = (padTop, padLeft)
        let lines = batch * outH
        let workers = lines * outW * c >= 32 * 1024 ? Swift.max(1, Swift.min(threads, lines)) : 1
        nonisolated(unsafe) let input = input, output = output
        Parallel.forEach(workers) { worker in
            for line in (lines * worker / workers)..<(lines * (worker + 1) / workers) {
                let (n, oy) = line.quotientAndRemainder(dividingBy: outH)
                for ox in 0..<outW {
                    let out = output + ((n * outH + oy) * outW + ox) * c
                    for ch in 0..<c { out[ch] = isMax ? -Float.infinity : 0 }
                    var count = 0
                    var sawZero = false
                    for ky in 0..<a.size[0] {
                        let py = oy * a.strides[0] - top + ky
                        guard py >= 0, py < paddedH else { continue }
                        for kx in 0..<a.size[1] {
                            let px = ox * a.strides[1] - left + kx
                            guard px >= 0, px < paddedW else { continue }
                            count += 1
                            let iy = py - zeroPad.0, ix = px - zeroPad.2
                            guard iy >= 0, iy < inH, ix >= 0, ix < inW else { sawZero = true; continue }
                            let pixel = input + ((n * inH + iy) * inW + ix) * c
                            if isMax {
                                for ch in 0..<c { out[ch] = Swift.max(out[ch], pixel[ch]) }
                            } else {
                                for ch in 0..<c { out[ch] += pixel[ch] }
                            }
                        }
                    }
                    if isMax && sawZero { for ch in 0..<c { out[ch] = Swift.max(out[ch], 0) } }
                    if !isMax, count > 0 {
                        let scale = 1 / Float(count)
                        for ch in 0..<c { out[ch] *= scale }
                    }
                }
            }
        }
    }

    static func globalPool(max isMax: Bool, batch: Int, pixels: Int, channels: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        for n in 0..<batch {
            let out = output + n * channels
            for ch in 0..<channels { out[ch] = isMax ? -Float.infinity : 0 }
            for p in 0..<pixels {
                let pixel = input + (n * pixels + p) * channels
                if isMax {
                    for ch in 0..<channels { out[ch] = Swift.max(out[ch], pixel[ch]) }
                } else {
                    for ch in 0..<channels { out[ch] += pixel[ch] }
                }
            }
            if !isMax {
                let scale = 1 / Float(pixels)
                for ch in 0..<channels { out[ch] *= scale }
            }
        }
    }

    static func zeroPad(batch: Int, input shape: [Int], top: Int, left: Int, output outShape: [Int],
                        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let (inH, inW, c) = (shape[0], shape[1], shape[2])
        let (outH, outW) = (outShape[0], outShape[1])
        output.update(repeating: 0, count: batch * outH * outW * c)
        for n in 0..<batch {
            for y in 0..<inH {
                (output + ((n * outH + y + top) * outW + left) * c).update(from: input + (n * inH + y) * inW * c, count: inW * c)
            }
        }
    }

    static func applyActivation(_ activation: Activation, _ data: UnsafeMutablePointer<Float>, count: Int, rowLength: Int) {
        ActivationFunctions.apply(activation, data, count: count, rowLength: rowLength)
    }
}
