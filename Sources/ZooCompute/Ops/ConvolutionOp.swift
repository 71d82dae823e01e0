import ZooGraph

/// Conv2D with strides, `valid`/`same` padding and dilation, as an im2col product:
/// y = act(cols(x) W + b) with W the HWIO kernel viewed as (kh*kw*cin) x cout.
/// Backward: dz = act'(dy); dW = cols(x)^T dz; db = column sums of dz; dx = col2im(dz W^T).
///
/// The patch matrix is never built whole: rows go through in chunks of about 1M floats (the
/// forward product, dW accumulated chunk by chunk, dx's col2im chunk by chunk), so a layer costs
/// a few MiB of scratch instead of kh*kw times its input (925 MB for VGG16's block1 at batch 8).
/// The chunking does not depend on the thread count, so neither do the results. A 1x1 stride-1
/// convolution reads the NHWC input itself. A 3x3 stride-1 convolution runs its forward pass,
/// and for `same` padding its input gradient (a `same` convolution of dz with the kernel rotated
/// 180 degrees and its channels swapped), as Winograd where the inference core would (within
/// about 1e-6 of the direct product).
struct ConvolutionOp: DifferentiableOp {
    let attributes: ConvAttributes

    var backwardReads: (inputs: Bool, output: Bool) { (true, true) }

    private func geometry(_ input: [Int], _ output: [Int]) -> ConvGeometry {
        ConvGeometry(batch: input[0], input: Array(input.dropFirst()), output: Array(output.dropFirst()),
                     attributes: attributes, outChannels: attributes.filters)
    }

    /// Rows of the patch matrix per chunk.
    static func chunkRows(_ g: ConvGeometry) -> Int { max(256, (1 << 20) / max(g.patch, 1)) }

    /// Calls `body(rows, patches)` for consecutive row ranges, `patches` the im2col rows of that
    /// range (row stride `g.patch`), or the input rows themselves for a pointwise convolution.
    private static func forEachChunk(_ g: ConvGeometry, input: UnsafePointer<Float>, _ body: (Range<Int>, UnsafePointer<Float>) -> Void) {
        if g.isPointwise {
            body(0..<g.rows, input)
            return
        }
        let chunk = chunkRows(g)
        let cols = UnsafeMutablePointer<Float>.allocate(capacity: min(chunk, g.rows) * g.patch)
        defer { cols.deallocate() }
        var start = 0
        while start < g.rows {
            let end = min(g.rows, start + chunk)
            g.im2col(rows: start..<end, input: input, into: cols)
            body(start..<end, UnsafePointer(cols))
            start = end
        }
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        let x = inputs[0]
        let g = geometry(x.shape, context.outputShape)
        guard let kernel = weights["kernel"], kernel.count == g.patch * g.outC, x.values.count == g.batch * g.inH * g.inW * g.inC else {
            throw ComputeError.missingWeight(layer: "conv2d", weight: "kernel")
        }
        var y = FloatTensor(zeros: context.outputShape)
        if try !Self.winograd(g, kernel: kernel, input: x.values, into: &y.values, threads: context.threads) {
            kernel.withUnsafeBufferPointer { w in
                x.values.withUnsafeBufferPointer { xs in
                    y.values.withUnsafeMutableBufferPointer { out in
                        guard let wb = w.baseAddress, let xb = xs.baseAddress, let ob = out.baseAddress else { return }
                        let packed = Gemm.PackedB(k: g.patch, n: g.outC, b: Gemm.Operand(pointer: wb, stride: g.outC, transposed: false))
                        Self.forEachChunk(g, input: xb) { rows, patches in
                            Gemm.multiply(m: rows.count, a: Gemm.Operand(pointer: patches, stride: g.patch, transposed: false), b: packed,
                                          c: ob + rows.lowerBound * g.outC, ldc: g.outC, accumulate: false, threads: context.threads)
                        }
                    }
                }
            }
        }
        if attributes.useBias, let bias = weights["bias"], bias.count == g.outC {
            y.values.withUnsafeMutableBufferPointer { out in
                for r in 0..<g.rows { for c in 0..<g.outC { out[r * g.outC + c] += bias[c] } }
            }
        }
        ActivationOp.apply(attributes.activation, to: &y.values, rowLength: g.outC, keepingInputIn: &cache)
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        let x = inputs[0]
        let g = geometry(x.shape, output.shape)
        var dz = gradient.values
        ActivationOp.differentiate(attributes.activation, input: cache.saved.first, output: output.values, gradient: &dz, rowLength: g.outC)
        var result = OpGradients(inputs: [nil])
        if request.weights {
            // dW = sum over row chunks of patches^T dz (patches rebuilt, not kept from the forward pass).
            var dw = [Float](repeating: 0, count: g.patch * g.outC)
            x.values.withUnsafeBufferPointer { xs in
                dz.withUnsafeBufferPointer { d in
                    dw.withUnsafeMutableBufferPointer { out in
                        guard let xb = xs.baseAddress, let db = d.baseAddress, let ob = out.baseAddress else { return }
                        Self.forEachChunk(g, input: xb) { rows, patches in
                            let packed = Gemm.PackedB(k: rows.count, n: g.outC,
                                                      b: Gemm.Operand(pointer: db + rows.lowerBound * g.outC, stride: g.outC, transposed: false))
                            Gemm.multiply(m: g.patch, a: Gemm.Operand(pointer: patches, stride: g.patch, transposed: true), b: packed,
                                          c: ob, ldc: g.outC, accumulate: rows.lowerBound > 0, threads: context.threads)
                        }
                    }
                }
            }
            result.weights["kernel"] = dw
            if attributes.useBias { result.weights["bias"] = columnSums(dz, rows: g.rows, columns: g.outC) }
        }
        guard request.inputs[0], let kernel = weights["kernel"], kernel.count == g.patch * g.outC else { return result }
        if attributes.padding == .same, g.kh == 3, g.kw == 3, g.sh == 1, g.sw == 1, g.dh == 1, g.dw == 1 {
            // dx = same-conv(dz, rot180(W) with cin and cout swapped).
            var flipped = [Float](repeating: 0, count: kernel.count)
            for ky in 0..<3 {
                for kx in 0..<3 {
                    let source = ((2 - ky) * 3 + (2 - kx)) * g.inC * g.outC, target = (ky * 3 + kx) * g.inC * g.outC
                    for i in 0..<g.inC { for o in 0..<g.outC { flipped[target + o * g.inC + i] = kernel[source + i * g.outC + o] } }
                }
            }
            let back = ConvGeometry(batch: g.batch, input: [g.outH, g.outW, g.outC], output: [g.inH, g.inW],
                                    attributes: ConvAttributes(filters: g.inC, kernel: [3, 3], padding: .same), outChannels: g.inC)
            var dx = FloatTensor(zeros: x.shape)
            if (try? Self.winograd(back, kernel: flipped, input: dz, into: &dx.values, threads: context.threads)) == true {
                result.inputs[0] = dx
                return result
            }
        }
        // dx = col2im(dz W^T), chunk by chunk.
        var dx = FloatTensor(zeros: x.shape)
        kernel.withUnsafeBufferPointer { w in
            dz.withUnsafeBufferPointer { d in
                dx.values.withUnsafeMutableBufferPointer { out in
                    guard let wb = w.baseAddress, let db = d.baseAddress, let ob = out.baseAddress else { return }
                    let packed = Gemm.PackedB(k: g.outC, n: g.patch, b: Gemm.Operand(pointer: wb, stride: g.outC, transposed: true))
                    if g.isPointwise {
                        Gemm.multiply(m: g.rows, a: Gemm.Operand(pointer: db, stride: g.outC, transposed: false), b: packed,
                                      c: ob, ldc: g.patch, accumulate: false, threads: context.threads)
                        return
                    }
                    let chunk = Self.chunkRows(g)
                    let cols = UnsafeMutablePointer<Float>.allocate(capacity: min(chunk, g.rows) * g.patch)
                    defer { cols.deallocate() }
                    var start = 0
                    while start < g.rows {
                        let end = min(g.rows, start + chunk)
                        Gemm.multiply(m: end - start, a: Gemm.Operand(pointer: db + start * g.outC, stride: g.outC, transposed: false), b: packed,
                                      c: cols, ldc: g.patch, accumulate: false, threads: context.threads)
                        g.col2im(rows: start..<end, UnsafePointer(cols), into: ob)
                        start = end
                    }
                }
            }
        }
        result.inputs[0] = dx
        return result
    }

    /// Runs the convolution as Winograd when the inference core would for this geometry;
    /// false when it runs as a direct product instead.
    static func winograd(_ g: ConvGeometry, kernel: [Float], input: [Float], into output: inout [Float], threads: Int) throws -> Bool {
        guard let tile = WinogradConvolution.tile(for: g, threads: threads) else { return false }
        let weights = try kernel.withUnsafeBufferPointer {
            try WinogradConvolution.Weights(hwio: $0, inChannels: g.inC, outChannels: g.outC, tile: tile)
        }
        let convolution = WinogradConvolution(geometry: g, weights: weights, bias: nil, relu: false, threads: threads)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(convolution.scratchFloats, 1))
        defer { scratch.deallocate() }
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                guard let xb = x.baseAddress, let yb = y.baseAddress else { return }
                convolution.run(input: xb, residual: nil, output: yb, scratch: scratch)
            }
        }
        return true
    }
}

extension ConvGeometry {
    /// The adjoint of `im2col` for the patch rows `rows` (held in `cols`, one row of `patch`
    /// values each): adds each value back onto the input pixel it was read from (taps in the
    /// padding are dropped). `input` holds zeros or partial sums.
    func col2im(rows: Range<Int>, _ cols: UnsafePointer<Float>, into input: UnsafeMutablePointer<Float>) {
        let plane = outH * outW
        for (offset, row) in rows.enumerated() {
            let n = row / plane
            let oy = (row % plane) / outW
            let ox = row % outW
            var tap = offset * patch
            for ky in 0..<kh {
                let iy = oy * sh - padTop + ky * dh
                for kx in 0..<kw {
                    let ix = ox * sw - padLeft + kx * dw
                    if iy >= 0, iy < inH, ix >= 0, ix < inW {
                        let base = ((n * inH + iy) * inW + ix) * inC
                        for c in 0..<inC { input[base + c] += cols[tap + c] }
                    }
                    tap += inC
                }
            }
        }
    }
}
