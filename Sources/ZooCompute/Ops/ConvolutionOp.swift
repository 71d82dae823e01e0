import ZooGraph

/// Conv2D with strides, `valid`/`same` padding and dilation, as an im2col product:
/// y = act(cols(x) W + b) with W the HWIO kernel viewed as (kh*kw*cin) x cout.
/// Backward: dz = act'(dy); dW = cols(x)^T dz; db = column sums of dz; dx = col2im(dz W^T).
/// A 1x1 stride-1 convolution multiplies the NHWC input itself (no im2col copy). A 3x3
/// stride-1 convolution runs its forward pass, and for `same` padding its input gradient (a
/// `same` convolution of dz with the kernel rotated 180 degrees and its channels swapped), as
/// Winograd where the inference core would (within about 1e-6 of the direct product).
struct ConvolutionOp: DifferentiableOp {
    let attributes: ConvAttributes

    var backwardReads: (inputs: Bool, output: Bool) { (true, true) }

    private func geometry(_ input: [Int], _ output: [Int]) -> ConvGeometry {
        ConvGeometry(batch: input[0], input: Array(input.dropFirst()), output: Array(output.dropFirst()),
                     attributes: attributes, outChannels: attributes.filters)
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        let x = inputs[0]
        let g = geometry(x.shape, context.outputShape)
        guard let kernel = weights["kernel"], kernel.count == g.patch * g.outC else {
            throw ComputeError.missingWeight(layer: "conv2d", weight: "kernel")
        }
        var y = FloatTensor(zeros: context.outputShape)
        if try !Self.winograd(g, kernel: kernel, input: x.values, into: &y.values, threads: context.threads) {
            let cols = g.isPointwise ? x.values : columns(g, x.values)
            Gemm.multiply(m: g.rows, n: g.outC, k: g.patch, a: cols, transposeA: false, b: kernel, transposeB: false,
                          into: &y.values, accumulate: false, threads: context.threads)
        }
        if attributes.useBias, let bias = weights["bias"], bias.count == g.outC {
            y.values.withUnsafeMutableBufferPointer { out in
                for r in 0..<g.rows { for c in 0..<g.outC { out[r * g.outC + c] += bias[c] } }
            }
        }
        ActivationOp.apply(attributes.activation, to: &y.values, rowLength: g.outC)
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        let x = inputs[0]
        let g = geometry(x.shape, output.shape)
        var dz = gradient.values
        ActivationOp.differentiate(attributes.activation, output: output.values, gradient: &dz, rowLength: g.outC)
        var result = OpGradients(inputs: [nil])
        if request.weights {
            // The patches are rebuilt rather than kept from the forward pass: im2col costs a
            // copy, keeping it would cost kh*kw times the input's memory per layer.
            let cols = g.isPointwise ? x.values : columns(g, x.values)
            var dw = [Float](repeating: 0, count: g.patch * g.outC)
            Gemm.multiply(m: g.patch, n: g.outC, k: g.rows, a: cols, transposeA: true, b: dz, transposeB: false,
                          into: &dw, accumulate: false, threads: context.threads)
            result.weights["kernel"] = dw
            if attributes.useBias { result.weights["bias"] = columnSums(dz, rows: g.rows, columns: g.outC) }
        }
        if request.inputs[0], let kernel = weights["kernel"], attributes.padding == .same, g.kh == 3, g.kw == 3,
           g.sh == 1, g.sw == 1, g.dh == 1, g.dw == 1 {
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
        if request.inputs[0], let kernel = weights["kernel"] {
            var dcols = [Float](repeating: 0, count: g.rows * g.patch)
            Gemm.multiply(m: g.rows, n: g.patch, k: g.outC, a: dz, transposeA: false, b: kernel, transposeB: true,
                          into: &dcols, accumulate: false, threads: context.threads)
            if g.isPointwise {
                result.inputs[0] = FloatTensor(shape: x.shape, values: dcols)
            } else {
                var dx = FloatTensor(zeros: x.shape)
                g.col2im(dcols, into: &dx.values)
                result.inputs[0] = dx
            }
        }
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

    private func columns(_ g: ConvGeometry, _ input: [Float]) -> [Float] {
        var cols = [Float](repeating: 0, count: g.rows * g.patch)
        input.withUnsafeBufferPointer { x in
            cols.withUnsafeMutableBufferPointer { c in
                guard let xBase = x.baseAddress, let cBase = c.baseAddress else { return }
                g.im2col(rows: 0..<g.rows, input: xBase, into: cBase)
            }
        }
        return cols
    }
}

extension ConvGeometry {
    /// The adjoint of `im2col`: adds each patch row's values back onto the input pixels they
    /// were read from (taps in the padding are dropped). `input` is zero or partial sums.
    func col2im(_ cols: [Float], into input: inout [Float]) {
        cols.withUnsafeBufferPointer { src in
            input.withUnsafeMutableBufferPointer { dst in
                var row = 0
                for n in 0..<batch {
                    for oy in 0..<outH {
                        for ox in 0..<outW {
                            var tap = row * patch
                            for ky in 0..<kh {
                                let iy = oy * sh - padTop + ky * dh
                                for kx in 0..<kw {
                                    let ix = ox * sw - padLeft + kx * dw
                                    if iy >= 0, iy < inH, ix >= 0, ix < inW {
                                        let base = ((n * inH + iy) * inW + ix) * inC
                                        for c in 0..<inC { dst[base + c] += src[tap + c] }
                                    }
                                    tap += inC
                                }
                            }
                            row += 1
                        }
                    }
                }
            }
        }
    }
}
