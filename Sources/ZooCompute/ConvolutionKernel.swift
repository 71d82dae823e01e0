import Dispatch
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
    func im2col(rows: Range<Int>, input: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        var dst = out
        for r in rows {
            let n = r / (outH * outW)
            let oy = (r / outW) % outH
            let ox = r % outW
            for ky in 0..<kh {
                let iy = oy * sh - padTop + ky * dh
                for kx in 0..<kw {
                    let ix = ox * sw - padLeft + kx * dw
                    if iy >= 0, iy < inH, ix >= 0, ix < inW {
                        dst.update(from: input + ((n * inH + iy) * inW + ix) * inC, count: inC)
                    } else {
                        dst.update(repeating: 0, count: inC)
                    }
                    dst += inC
                }
            }
        }
    }
}

/// A Conv2D (or Dense, as a 1x1 convolution over a 1x1 image) with its prepared weights and
/// fused epilogue: bias, an optional residual input and an optional ReLU.
struct ConvolutionKernel: Sendable {
    let geometry: ConvGeometry
    let weights: MatrixMultiply.PreparedMatrix
    let bias: [Float]?
    let relu: Bool

    /// Rows per im2col chunk: about 256 KiB of patches, so a chunk stays in L2.
    var chunkRows: Int { max(16, min(geometry.rows, (64 * 1024) / max(geometry.patch, 1))) }

    /// Floats of im2col scratch each worker needs (0 for pointwise convolutions).
    var scratchFloats: Int { geometry.isPointwise ? 0 : chunkRows * geometry.patch }

    /// Runs the convolution; `scratch(worker)` gives each worker `scratchFloats` floats of its own.
    func run(input: UnsafePointer<Float>, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, threads: Int,
             scratch scratchFor: @Sendable (Int) -> UnsafeMutablePointer<Float>) {
        let g = geometry
        let chunk = chunkRows
        let chunks = (g.rows + chunk - 1) / chunk
        // Short and wide (late ResNet stages at batch 1, Dense): too few rows to share, so the
        // threads split the output columns instead, at 32-column panel boundaries.
        let panels = (g.outC + 31) / 32
        if threads > 1, chunks < threads * 2, panels >= threads * 2 {
            runSplittingColumns(input: input, residual: residual, output: output, threads: threads, scratch: scratchFor)
            return
        }
        let workers = max(1, min(threads, chunks))
        nonisolated(unsafe) let input = input, output = output, residual = residual
        bias.withUnsafeBufferPointerIfPresent { bias in
            nonisolated(unsafe) let bias = bias
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let scratch = g.isPointwise ? nil : scratchFor(worker)
                var c = worker
                while c < chunks {
                    let rows = (c * chunk)..<min(g.rows, (c + 1) * chunk)
                    if let scratch {
                        g.im2col(rows: rows, input: input, into: scratch)
                        MatrixMultiply.run(rows: 0..<rows.count, a: scratch, lda: g.patch, b: weights,
                                           c: output + rows.lowerBound * g.outC, ldc: g.outC, bias: bias,
                                           residual: residual.map { $0 + rows.lowerBound * g.outC }, ldr: g.outC, relu: relu)
                    } else {
                        MatrixMultiply.run(rows: rows, a: input, lda: g.inC, b: weights, c: output, ldc: g.outC, bias: bias,
                                           residual: residual, ldr: g.outC, relu: relu)
                    }
                    c += workers
                }
            }
        }
    }

    private func runSplittingColumns(input: UnsafePointer<Float>, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                                     threads: Int, scratch scratchFor: @Sendable (Int) -> UnsafeMutablePointer<Float>) {
        let g = geometry
        let chunk = chunkRows
        let panels = (g.outC + 31) / 32
        let workers = min(threads, panels)
        nonisolated(unsafe) let input = input, output = output, residual = residual
        bias.withUnsafeBufferPointerIfPresent { bias in
            nonisolated(unsafe) let bias = bias
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let first = panels * worker / workers * 32
                let last = min(g.outC, panels * (worker + 1) / workers * 32)
                let columns = first..<last
                let scratch = g.isPointwise ? nil : scratchFor(worker)
                var start = 0
                while start < g.rows {
                    let rows = start..<min(g.rows, start + chunk)
                    if let scratch {
                        g.im2col(rows: rows, input: input, into: scratch)
                        MatrixMultiply.run(rows: 0..<rows.count, columns: columns, a: scratch, lda: g.patch, b: weights,
                                           c: output + rows.lowerBound * g.outC, ldc: g.outC, bias: bias,
                                           residual: residual.map { $0 + rows.lowerBound * g.outC }, ldr: g.outC, relu: relu)
                    } else {
                        MatrixMultiply.run(rows: rows, columns: columns, a: input, lda: g.inC, b: weights, c: output, ldc: g.outC,
                                           bias: bias, residual: residual, ldr: g.outC, relu: relu)
                    }
                    start = rows.upperBound
                }
            }
        }
    }

    var flops: Double { 2 * Double(geometry.rows) * Double(geometry.patch) * Double(geometry.outC) }
}

extension Optional where Wrapped == [Float] {
    func withUnsafeBufferPointerIfPresent<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let array): return array.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}
