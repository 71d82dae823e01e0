import ZooGraph

/// SeparableConv2D: a depthwise convolution (no bias, linear) into an intermediate tensor of
/// `inC * depthMultiplier` channels, then a 1x1 pointwise convolution with the bias and the
/// activation. Both halves are the existing op families (`DepthwiseConvolutionOp`,
/// `ConvolutionOp`) on Keras's weight names; the backward pass runs them in reverse, the
/// intermediate kept from the forward pass.
struct SeparableConvolutionOp: DifferentiableOp {
    let attributes: SeparableConvAttributes

    var backwardReads: (inputs: Bool, output: Bool) { (true, true) }

    private var depthwise: DepthwiseConvolutionOp { DepthwiseConvolutionOp(attributes: attributes.depthwise) }
    private var pointwise: ConvolutionOp { ConvolutionOp(attributes: attributes.pointwise) }

    private func halves(_ weights: [String: [Float]]) -> (depthwise: [String: [Float]], pointwise: [String: [Float]]) {
        var point: [String: [Float]] = [:]
        point["kernel"] = weights["pointwise_kernel"]
        point["bias"] = weights["bias"]
        return (["depthwise_kernel": weights["depthwise_kernel"] ?? []], point)
    }

    /// The intermediate shape (batch first) for an input shape.
    private func middleShape(input: [Int], output: [Int]) -> [Int] {
        [input[0], output[1], output[2], input[3] * attributes.depthMultiplier]
    }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        let (dw, pw) = halves(weights)
        let middle = middleShape(input: call.inputShapes[0], output: call.outputShape)
        let count = middle.reduce(1, *)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        defer { scratch.deallocate() }
        depthwise.infer(InferenceCall(inputs: call.inputs, inputShapes: call.inputShapes, output: scratch, outputShape: middle, threads: call.threads),
                        weights: dw)
        let rows = count / max(middle[3], 1)
        let (k, n) = (middle[3], attributes.filters)
        guard let kernel = pw["kernel"], kernel.count == k * n else { return }
        kernel.withUnsafeBufferPointer { w in
            guard let wb = w.baseAddress else { return }
            let packed = Gemm.PackedB(k: k, n: n, b: Gemm.Operand(pointer: wb, stride: n, transposed: false))
            Gemm.multiply(m: rows, a: Gemm.Operand(pointer: UnsafePointer(scratch), stride: k, transposed: false), b: packed,
                          c: call.output, ldc: n, accumulate: false, threads: call.threads)
        }
        if attributes.useBias, let bias = pw["bias"], bias.count == n {
            for r in 0..<rows { for c in 0..<n { call.output[r * n + c] += bias[c] } }
        }
        ActivationFunctions.apply(attributes.activation, call.output, count: call.outputCount, rowLength: n)
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        let (dw, pw) = halves(weights)
        var middleContext = context
        middleContext.outputShape = middleShape(input: inputs[0].shape, output: context.outputShape)
        var depthwiseCache = OpCache()
        let middle = try depthwise.forward(inputs, weights: dw, context: middleContext, cache: &depthwiseCache)
        var pointwiseCache = OpCache()
        let y = try pointwise.forward([middle], weights: pw, context: context, cache: &pointwiseCache)
        // saved[0]: the intermediate; saved[1...]: what the pointwise half kept.
        cache.saved = [middle.values] + pointwiseCache.saved
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        let (dw, pw) = halves(weights)
        let middleShape = middleShape(input: inputs[0].shape, output: output.shape)
        let middle = FloatTensor(shape: middleShape, values: cache.saved.first ?? [Float](repeating: 0, count: middleShape.reduce(1, *)))
        var pointwiseCache = OpCache()
        pointwiseCache.saved = Array(cache.saved.dropFirst())
        let point = pointwise.backward(gradient, inputs: [middle], output: output, weights: pw, context: context, cache: pointwiseCache,
                                       request: GradientRequest(inputs: [true], weights: request.weights))
        var middleContext = context
        middleContext.outputShape = middleShape
        let dMiddle = point.inputs[0] ?? FloatTensor(zeros: middleShape)
        let depth = depthwise.backward(dMiddle, inputs: inputs, output: middle, weights: dw, context: middleContext, cache: OpCache(),
                                       request: GradientRequest(inputs: request.inputs, weights: request.weights))
        var result = OpGradients(inputs: depth.inputs)
        if request.weights {
            result.weights["depthwise_kernel"] = depth.weights["depthwise_kernel"]
            result.weights["pointwise_kernel"] = point.weights["kernel"]
            if attributes.useBias { result.weights["bias"] = point.weights["bias"] }
        }
        return result
    }
}
