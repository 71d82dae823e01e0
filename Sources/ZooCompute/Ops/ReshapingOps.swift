import ZooGraph

/// Ops that move or scale values without weights: InputLayer and Flatten (the identity; NHWC
/// flattening keeps the order), ZeroPadding2D, Dropout and Rescaling.
struct IdentityOp: DifferentiableOp {
    var backwardReads: (inputs: Bool, output: Bool) { (false, false) }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        if call.inputs[0] != UnsafePointer(call.output) { call.output.update(from: call.inputs[0], count: call.outputCount) }
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        FloatTensor(shape: context.outputShape, values: inputs.first?.values ?? [])
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        OpGradients(inputs: request.inputs.enumerated().map { i, needed in
            needed ? FloatTensor(shape: inputs[i].shape, values: gradient.values) : nil
        })
    }
}

/// ZeroPadding2D: the forward pass places the input inside zeros; the backward pass crops.
struct ZeroPaddingOp: DifferentiableOp {
    let top, bottom, left, right: Int

    var backwardReads: (inputs: Bool, output: Bool) { (false, false) }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        LayerKernels.zeroPad(batch: call.inputShapes[0][0], input: Array(call.inputShapes[0].dropFirst()), top: top, left: left,
                             output: Array(call.outputShape.dropFirst()), input: call.inputs[0], output: call.output)
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        let x = inputs[0]
        var y = FloatTensor(zeros: context.outputShape)
        copy(x, &y, pad: true)
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        guard request.inputs[0] else { return OpGradients(inputs: [nil]) }
        var dx = FloatTensor(zeros: inputs[0].shape)
        copy(gradient, &dx, pad: false)
        return OpGradients(inputs: [dx])
    }

    /// pad: input rows into the padded tensor; otherwise the padded tensor's interior out.
    private func copy(_ source: FloatTensor, _ target: inout FloatTensor, pad: Bool) {
        let small = pad ? source.shape : target.shape
        let big = pad ? target.shape : source.shape
        let (batch, h, w, c) = (small[0], small[1], small[2], small[3])
        let (bigH, bigW) = (big[1], big[2])
        source.values.withUnsafeBufferPointer { s in
            target.values.withUnsafeMutableBufferPointer { t in
                for n in 0..<batch {
                    for y in 0..<h {
                        let inner = ((n * h + y) * w) * c
                        let outer = ((n * bigH + y + top) * bigW + left) * c
                        for i in 0..<(w * c) {
                            if pad { t[outer + i] = s[inner + i] } else { t[inner + i] = s[outer + i] }
                        }
                    }
                }
            }
        }
    }
}

/// Dropout: in training, each value is zeroed with probability `rate` and the rest scaled by
/// 1 / (1 - rate) (Keras's inverted dropout); at inference the identity. The mask comes from
/// the call's seed (SplitMix64), so a run is reproducible.
struct DropoutOp: DifferentiableOp {
    let rate: Double
    /// Keras's `noise_shape` (batch first; nil = the input's size): the mask is drawn at this
    /// shape and broadcast. Nil: one draw per value.
    var noiseShape: [Int?]? = nil

    init(rate: Double, noiseShape: [Int?]? = nil) {
        self.rate = rate
        self.noiseShape = noiseShape
    }

    var backwardReads: (inputs: Bool, output: Bool) { (false, false) }

    /// Inference is the identity (the inference core aliases Dropout's value instead).
    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        if call.inputs[0] != UnsafePointer(call.output) { call.output.update(from: call.inputs[0], count: call.outputCount) }
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        var y = FloatTensor(shape: context.outputShape, values: inputs[0].values)
        guard context.training, rate > 0 else { return y }
        let keep = Float(1 / (1 - min(rate, 0.999_999)))
        var state = context.seed
        let shape = y.shape
        // The shape the mask is drawn at: the noise shape's sizes, the input's where it says None.
        let drawn = noiseShape.map { noise in zip(noise, shape).map { $0 ?? $1 } } ?? shape
        var mask = [Float](repeating: 0, count: drawn.reduce(1, *))
        for i in mask.indices {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let u = Double(z >> 11) / Double(1 << 53)
            mask[i] = u < rate ? 0 : keep
        }
        if drawn != shape {
            let small = mask
            mask = [Float](repeating: 0, count: y.values.count)
            let rowLength = shape.last ?? 1
            forEachBroadcastRow(output: shape, input: drawn) { o, i, s in
                for j in 0..<rowLength { mask[o + j] = small[i + j * s] }
            }
        }
        for i in mask.indices { y.values[i] *= mask[i] }
        cache.saved = [mask]
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        guard request.inputs[0] else { return OpGradients(inputs: [nil]) }
        var dx = FloatTensor(shape: inputs[0].shape, values: gradient.values)
        if let mask = cache.saved.first { for i in mask.indices { dx.values[i] *= mask[i] } }
        return OpGradients(inputs: [dx])
    }
}

/// Rescaling: y = x * scale + offset; dx = dy * scale.
struct RescalingOp: DifferentiableOp {
    let scale: Float
    let offset: Float

    var backwardReads: (inputs: Bool, output: Bool) { (false, false) }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        for i in 0..<call.outputCount { call.output[i] = call.inputs[0][i] * scale + offset }
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        var y = inputs[0]
        for i in y.values.indices { y.values[i] = y.values[i] * scale + offset }
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        guard request.inputs[0] else { return OpGradients(inputs: [nil]) }
        var dx = gradient
        for i in dx.values.indices { dx.values[i] *= scale }
        return OpGradients(inputs: [dx])
    }
}
