import ZooGraph

/// Conv2D with strides, `valid`/`same` padding and dilation, as an im2col product:
/// y = act(cols(x) W + b) with W the HWIO kernel viewed as (kh*kw*cin) x cout.
/// Backward: dz = act'(dy); dW = cols(x)^T dz; db = column sums of dz; dx = col2im(dz W^T).
/// A 1x1 stride-1 convolution multiplies the NHWC input itself (no im2col copy).
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
        let cols = g.isPointwise ? x.values : columns(g, x.values)
        Gemm.multiply(m: g.rows, n: g.outC, k: g.patch, a: cols, transposeA: false, b: kernel, transposeB: false,
                      into: &y.values, accumulate: false, threads: context.threads)
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
