import CZooKernels
import Dispatch
import Foundation
import ZooGraph

/// The non-GEMM layers: depthwise convolution, pooling, padding, elementwise ops.
enum LayerKernels {
    /// DepthwiseConv2D with Keras padding, bias and activation: output rows (image, row) are
    /// shared between threads, each output pixel accumulates its taps eight channels at a time
    /// (SIMD), and the activation runs on each row while it is in cache.
    static func depthwise(_ g: ConvGeometry, multiplier: Int, kernel: [Float], bias: [Float]?, activation: Activation,
                          input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, threads: Int = 1) {
        let outC = g.inC * multiplier
        guard outC > 0, kernel.count >= g.kh * g.kw * outC else { return }
        let lines = g.batch * g.outH
        let work = Double(g.rows) * Double(g.kh * g.kw * outC)
        let workers = work >= Double(1 << 18) ? max(1, min(threads, lines)) : 1
        kernel.withUnsafeBufferPointer { k in
            guard let kb = k.baseAddress else { return }
            let biasCopy = bias.flatMap { $0.count == outC ? $0 : nil }
            nonisolated(unsafe) let (src, dst, taps) = (input, output, kb)
            Parallel.forEach(workers) { worker in
                let first = lines * worker / workers, last = lines * (worker + 1) / workers
                biasCopy.withOptionalBuffer { b in
                    for line in first..<last {
                        let n = line / g.outH, oy = line % g.outH
                        let row = dst + line * g.outW * outC
                        if multiplier == 1 {
                            // The C kernel: taps accumulated in registers, 64 channels at a time.
                            var args = zoo_depthwise_args(in_h: Int32(g.inH), in_w: Int32(g.inW), channels: Int32(g.inC), kh: Int32(g.kh), kw: Int32(g.kw),
                                                          sh: Int32(g.sh), sw: Int32(g.sw), dh: Int32(g.dh), dw: Int32(g.dw),
                                                          pad_top: Int32(g.padTop), pad_left: Int32(g.padLeft), oy: Int32(oy), out_w: Int32(g.outW),
                                                          kernel: taps, bias: b)
                            zoo_depthwise_row(&args, src + n * g.inH * g.inW * g.inC, row)
                            ActivationFunctions.apply(activation, row, count: g.outW * outC, rowLength: outC)
                            continue
                        }
                        for ox in 0..<g.outW {
                            let out = row + ox * outC
                            if let b { out.update(from: b, count: outC) } else { out.update(repeating: 0, count: outC) }
                            for ky in 0..<g.kh {
                                let iy = oy * g.sh - g.padTop + ky * g.dh
                                guard iy >= 0, iy < g.inH else { continue }
                                for kx in 0..<g.kw {
                                    let ix = ox * g.sw - g.padLeft + kx * g.dw
                                    guard ix >= 0, ix < g.inW else { continue }
                                    let pixel = src + ((n * g.inH + iy) * g.inW + ix) * g.inC
                                    let tap = taps + (ky * g.kw + kx) * outC
                                    if multiplier == 1 {
                                        multiplyAdd(out, pixel, tap, count: outC)
                                    } else {
                                        for c in 0..<g.inC {
                                            let v = pixel[c]
                                            for m in 0..<multiplier { out[c * multiplier + m] += v * tap[c * multiplier + m] }
                                        }
                                    }
                                }
                            }
                        }
                        ActivationFunctions.apply(activation, row, count: g.outW * outC, rowLength: outC)
                    }
                }
            }
        }
    }

    /// `out[i] += a[i] * b[i]` for `count` floats, eight at a time.
    @inline(__always)
    static func multiplyAdd(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
        var c = 0
        let o = UnsafeMutableRawPointer(out), x = UnsafeRawPointer(a), y = UnsafeRawPointer(b)
        while c + 8 <= count {
            let offset = c * 4
            let sum = o.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                + x.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) * y.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            o.storeBytes(of: sum, toByteOffset: offset, as: SIMD8<Float>.self)
            c += 8
        }
        while c < count {
            out[c] += a[c] * b[c]
            c += 1
        }
    }

    /// An activation over `count` values, shared between threads in whole rows when large.
    static func applyActivation(_ activation: Activation, _ data: UnsafeMutablePointer<Float>, count: Int, rowLength: Int, threads: Int) {
        let rows = count / max(rowLength, 1)
        let costly = activation != .linear && activation != .relu
        let workers = costly && count >= 1 << 15 ? max(1, min(threads, rows)) : 1
        guard workers > 1 else {
            ActivationFunctions.apply(activation, data, count: count, rowLength: rowLength)
            return
        }
        nonisolated(unsafe) let base = data
        Parallel.forEach(workers) { worker in
            let first = rows * worker / workers, last = rows * (worker + 1) / workers
            ActivationFunctions.apply(activation, base + first * rowLength, count: (last - first) * rowLength, rowLength: rowLength)
        }
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

extension Optional where Wrapped == [Float] {
    /// Calls `body` with a pointer to the array's elements, or nil.
    func withOptionalBuffer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let array): return array.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}
