import ZooGraph

/// Activation layers (`Activation(...)`, a plain `ReLU`) and the activations fused into Conv2D,
/// DepthwiseConv2D, SeparableConv2D and Dense, through `ActivationFunctions`. The backward pass
/// reads the output, and the input too for the functions whose derivative needs it (silu,
/// gelu, the hard ones, softplus).
struct ActivationOp: DifferentiableOp {
    let function: Activation

    var backwardReads: (inputs: Bool, output: Bool) { (ActivationFunctions.derivativeNeedsInput(function), true) }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        if call.inputs[0] != UnsafePointer(call.output) { call.output.update(from: call.inputs[0], count: call.outputCount) }
        LayerKernels.applyActivation(function, call.output, count: call.outputCount, rowLength: call.outputShape.last ?? 1, threads: call.threads)
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        var y = inputs[0]
        Self.apply(function, to: &y.values, rowLength: y.shape.last ?? 1)
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        var dx = gradient
        Self.differentiate(function, input: inputs.first?.values, output: output.values, gradient: &dx.values, rowLength: output.shape.last ?? 1)
        return OpGradients(inputs: [request.inputs[0] ? dx : nil])
    }

    /// Applies `function` in place; softmax normalises each run of `rowLength` values.
    static func apply(_ function: Activation, to values: inout [Float], rowLength: Int) {
        let count = values.count
        values.withUnsafeMutableBufferPointer { v in
            guard let base = v.baseAddress else { return }
            ActivationFunctions.apply(function, base, count: count, rowLength: rowLength)
        }
    }

    /// Applies `function` in place to a layer's pre-activation `values` (a fused activation),
    /// keeping them in `cache` first when its derivative needs them.
    static func apply(_ function: Activation, to values: inout [Float], rowLength: Int, keepingInputIn cache: inout OpCache) {
        if ActivationFunctions.derivativeNeedsInput(function) { cache.saved.append(values) }
        apply(function, to: &values, rowLength: rowLength)
    }

    /// Turns the gradient with respect to the activation's output into the gradient with
    /// respect to its input, in place. `input` (the pre-activation values) is needed when
    /// `ActivationFunctions.derivativeNeedsInput(function)`; without it the gradient is zeroed
    /// rather than computed from the wrong values.
    static func differentiate(_ function: Activation, input: [Float]?, output: [Float], gradient: inout [Float], rowLength: Int) {
        let count = min(gradient.count, output.count)
        let needsInput = ActivationFunctions.derivativeNeedsInput(function)
        if needsInput, (input?.count ?? 0) < count {
            for i in gradient.indices { gradient[i] = 0 }
            return
        }
        output.withUnsafeBufferPointer { y in
            gradient.withUnsafeMutableBufferPointer { g in
                guard let yb = y.baseAddress, let gb = g.baseAddress else { return }
                if needsInput, let input {
                    input.withUnsafeBufferPointer { x in
                        ActivationFunctions.differentiate(function, input: x.baseAddress, output: yb, gradient: gb, count: count, rowLength: rowLength)
                    }
                } else {
                    ActivationFunctions.differentiate(function, input: nil, output: yb, gradient: gb, count: count, rowLength: rowLength)
                }
            }
        }
    }
}

/// Keras's `ReLU` layer with arguments and `LeakyReLU`: `ActivationFunctions.relu`; the
/// backward pass reads the input.
struct ReLULayerOp: DifferentiableOp {
    let attributes: ReLUAttributes

    var backwardReads: (inputs: Bool, output: Bool) { (true, false) }

    /// Shared between threads in equal chunks when large (MobileNetV2's ReLU6 layers read whole
    /// 112x112x96 activations).
    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        nonisolated(unsafe) let (source, target) = (call.inputs[0], call.output)
        let attributes = self.attributes
        Parallel.forEachChunk(of: call.outputCount, threads: call.threads) { first, last in
            if source != UnsafePointer(target) { (target + first).update(from: source + first, count: last - first) }
            ActivationFunctions.relu(attributes, target + first, count: last - first)
        }
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        var y = inputs[0]
        let count = y.values.count
        y.values.withUnsafeMutableBufferPointer { if let base = $0.baseAddress { ActivationFunctions.relu(attributes, base, count: count) } }
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        var dx = gradient
        let count = min(dx.values.count, inputs[0].values.count)
        inputs[0].values.withUnsafeBufferPointer { x in
            dx.values.withUnsafeMutableBufferPointer { g in
                guard let xb = x.baseAddress, let gb = g.baseAddress else { return }
                ActivationFunctions.differentiateReLU(attributes, input: xb, gradient: gb, count: count)
            }
        }
        return OpGradients(inputs: [request.inputs[0] ? dx : nil])
    }
}
