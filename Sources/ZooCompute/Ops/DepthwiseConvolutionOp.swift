import ZooGraph

/// DepthwiseConv2D with a depth multiplier: output channel c*m + j reads input channel c
/// through kernel[ky][kx][c][j] (Keras's (kh, kw, cin, multiplier) layout).
/// Backward: the same taps, accumulated into dx, dkernel and dbias.
/// A Conv2D with groups equal to its input channels (ConvNeXt's) runs here too: its kernel
/// (kh, kw, 1, cin*m) is named `kernel` and has the same bytes.
struct DepthwiseConvolutionOp: DifferentiableOp {
    let attributes: ConvAttributes
    /// The kernel's weight name: `depthwise_kernel`, or `kernel` for a grouped Conv2D.
    var kernelName = "depthwise_kernel"

    init(attributes: ConvAttributes) { self.attributes = attributes }

    /// The op of a Conv2D whose groups equal its input channels.
    init(groupedConvolution attributes: ConvAttributes) {
        self.attributes = attributes.asDepthwise
        self.kernelName = "kernel"
    }

    var backwardReads: (inputs: Bool, output: Bool) { (true, true) }

    /// A ZeroPadding2D folded in front by the inference core (top, bottom, left, right): read as
    /// zeros outside the real input, exactly as if the padded tensor had been built.
    var zeroPad: (top: Int, bottom: Int, left: Int, right: Int) = (0, 0, 0, 0)

    private func geometry(_ input: [Int], _ output: [Int]) -> ConvGeometry {
        let padded = [input[1] + zeroPad.top + zeroPad.bottom, input[2] + zeroPad.left + zeroPad.right, input[3]]
        var g = ConvGeometry(batch: input[0], input: padded, output: Array(output.dropFirst()),
                             attributes: attributes, outChannels: input[3] * attributes.filters)
        (g.inH, g.inW) = (input[1], input[2])
        g.padTop += zeroPad.top
        g.padLeft += zeroPad.left
        return g
    }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        let g = geometry(call.inputShapes[0], call.outputShape)
        guard let kernel = weights[kernelName], kernel.count == g.kh * g.kw * g.inC * attributes.filters else { return }
        LayerKernels.depthwise(g, multiplier: attributes.filters, kernel: kernel, bias: attributes.useBias ? weights["bias"] : nil,
                               activation: attributes.activation, input: call.inputs[0], output: call.output, threads: call.threads)
    }

    /// Calls body(output offset, input offset, kernel offset) for every in-bounds tap.
    private func forEachTap(_ g: ConvGeometry, _ body: (Int, Int, Int) -> Void) {
        let m = attributes.filters
        for n in 0..<g.batch {
            for oy in 0..<g.outH {
                for ox in 0..<g.outW {
                    let out = ((n * g.outH + oy) * g.outW + ox) * g.outC
                    for ky in 0..<g.kh {
                        let iy = oy * g.sh - g.padTop + ky * g.dh
                        guard iy >= 0, iy < g.inH else { continue }
                        for kx in 0..<g.kw {
                            let ix = ox * g.sw - g.padLeft + kx * g.dw
                            guard ix >= 0, ix < g.inW else { continue }
                            body(out, ((n * g.inH + iy) * g.inW + ix) * g.inC, (ky * g.kw + kx) * g.inC * m)
                        }
                    }
                }
            }
        }
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        let x = inputs[0]
        let g = geometry(x.shape, context.outputShape)
        let m = attributes.filters
        guard let kernel = weights[kernelName], kernel.count == g.kh * g.kw * g.inC * m else {
            throw ComputeError.missingWeight(layer: "depthwise_conv2d", weight: kernelName)
        }
        var y = FloatTensor(zeros: context.outputShape)
        // The inference core's loop (bias and activation included).
        x.values.withUnsafeBufferPointer { xs in
            y.values.withUnsafeMutableBufferPointer { out in
                guard let xb = xs.baseAddress, let ob = out.baseAddress else { return }
                LayerKernels.depthwise(g, multiplier: m, kernel: kernel, bias: attributes.useBias ? weights["bias"] : nil,
                                       activation: .linear, input: xb, output: ob, threads: context.threads)
            }
        }
        ActivationOp.apply(attributes.activation, to: &y.values, rowLength: g.outC, keepingInputIn: &cache)
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        let x = inputs[0]
        let g = geometry(x.shape, output.shape)
        let m = attributes.filters
        var dz = gradient.values
        ActivationOp.differentiate(attributes.activation, input: cache.saved.first, output: output.values, gradient: &dz, rowLength: g.outC)
        let kernel = weights[kernelName] ?? []
        var dk = [Float](repeating: 0, count: g.kh * g.kw * g.inC * m)
        var dx = [Float](repeating: 0, count: request.inputs[0] ? x.values.count : 0)
        let wantInput = request.inputs[0]
        x.values.withUnsafeBufferPointer { xs in
            dz.withUnsafeBufferPointer { d in
                forEachTap(g) { o, i, t in
                    for c in 0..<g.inC {
                        var sum: Float = 0
                        for j in 0..<m {
                            let grad = d[o + c * m + j]
                            dk[t + c * m + j] += xs[i + c] * grad
                            if wantInput { sum += grad * kernel[t + c * m + j] }
                        }
                        if wantInput { dx[i + c] += sum }
                    }
                }
            }
        }
        var result = OpGradients(inputs: [wantInput ? FloatTensor(shape: x.shape, values: dx) : nil])
        if request.weights {
            result.weights[kernelName] = dk
            if attributes.useBias { result.weights["bias"] = columnSums(dz, rows: g.rows, columns: g.outC) }
        }
        return result
    }
}
