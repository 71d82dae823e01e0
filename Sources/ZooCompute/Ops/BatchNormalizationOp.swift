import ZooGraph

/// BatchNormalization over the last axis, as Keras runs it.
/// - Training mode (the layer is trainable and the model trains): batch statistics over every
///   other axis, biased variance; y = gamma (x - mean) / sqrt(var + eps) + beta; and the moving
///   statistics move toward them: moving = moving * momentum + batch * (1 - momentum).
/// - Inference mode (also a frozen layer inside `fit`): the moving statistics, unchanged.
/// Backward (training mode), with xhat = (x - mean) * inv, inv = 1 / sqrt(var + eps), per channel:
///   dbeta = sum(dy), dgamma = sum(dy * xhat),
///   dx = gamma * inv / N * (N dy - dbeta - xhat dgamma);
/// inference mode: dx = dy * gamma * inv, and the same dgamma / dbeta with the moving statistics.
struct BatchNormalizationOp: DifferentiableOp {
    let attributes: BatchNormAttributes
    /// The activation layer the inference core runs in the same pass (DenseNet's ReLU after
    /// each BatchNormalization that cannot be folded, since a Concatenate feeds it).
    var fusedActivation: Activation?

    init(attributes: BatchNormAttributes, fusedActivation: Activation? = nil) {
        self.attributes = attributes
        self.fusedActivation = fusedActivation
    }

    var backwardReads: (inputs: Bool, output: Bool) { (true, false) }

    /// Inference is one scale and shift per channel: gamma / sqrt(var + eps) and
    /// beta - mean * scale from the moving statistics, computed once (in double).
    func prepareInference(_ weights: [String: [Float]]) throws -> [String: [Float]] {
        guard let mean = weights["moving_mean"], let variance = weights["moving_variance"], mean.count == variance.count else {
            throw ComputeError.missingWeight(layer: "batch_normalization", weight: "moving_mean")
        }
        let (gamma, beta) = parameters(weights, channels: mean.count)
        guard gamma.count == mean.count, beta.count == mean.count else { throw ComputeError.missingWeight(layer: "batch_normalization", weight: "gamma") }
        let scale = (0..<mean.count).map { Float(Double(gamma[$0]) / (Double(variance[$0]) + attributes.epsilon).squareRoot()) }
        let shift = (0..<mean.count).map { beta[$0] - mean[$0] * scale[$0] }
        return ["scale": scale, "shift": shift]
    }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        guard let scale = weights["scale"], let shift = weights["shift"], !scale.isEmpty else { return }
        let channels = scale.count
        let rows = call.outputCount / channels
        nonisolated(unsafe) let input = call.inputs[0], out = call.output
        let activation = fusedActivation
        // Row by row (the channel loop vectorises), rows shared between the threads.
        scale.withUnsafeBufferPointer { scaleBuffer in
            shift.withUnsafeBufferPointer { shiftBuffer in
                guard let scaleBase = scaleBuffer.baseAddress, let shiftBase = shiftBuffer.baseAddress else { return }
                nonisolated(unsafe) let s = scaleBase, b = shiftBase
                let workers = rows * channels >= 1 << 15 ? max(1, min(call.threads, rows)) : 1
                Parallel.forEach(workers) { worker in
                    let range = (rows * worker / workers)..<(rows * (worker + 1) / workers)
                    for r in range {
                        let x = input + r * channels, y = out + r * channels
                        for c in 0..<channels { y[c] = x[c] * s[c] + b[c] }
                    }
                    if let activation {
                        LayerKernels.applyActivation(activation, out + range.lowerBound * channels, count: range.count * channels, rowLength: channels)
                    }
                }
            }
        }
    }

    private func parameters(_ weights: [String: [Float]], channels: Int) -> (gamma: [Float], beta: [Float]) {
        (attributes.scale ? weights["gamma"] ?? [] : [Float](repeating: 1, count: channels),
         attributes.center ? weights["beta"] ?? [] : [Float](repeating: 0, count: channels))
    }

    /// Mean and inverse standard deviation per channel: the batch's (training) or the moving ones.
    private func statistics(_ x: FloatTensor, weights: [String: [Float]], training: Bool, cache: inout OpCache) throws -> (mean: [Float], inv: [Float]) {
        let c = x.shape.last ?? 1
        let rows = x.values.count / c
        guard let movingMean = weights["moving_mean"], let movingVariance = weights["moving_variance"],
              movingMean.count == c, movingVariance.count == c else {
            throw ComputeError.missingWeight(layer: "batch_normalization", weight: "moving_mean")
        }
        let epsilon = Float(attributes.epsilon)
        guard training else {
            return (movingMean, movingVariance.map { 1 / ($0 + epsilon).squareRoot() })
        }
        // Sums in double: a batch of 16 ResNet maps has 50,000 values per channel.
        var sum = [Double](repeating: 0, count: c)
        var squares = [Double](repeating: 0, count: c)
        x.values.withUnsafeBufferPointer { v in
            for r in 0..<rows { for ch in 0..<c { sum[ch] += Double(v[r * c + ch]) } }
            let means = sum.map { $0 / Double(rows) }
            for r in 0..<rows {
                for ch in 0..<c {
                    let d = Double(v[r * c + ch]) - means[ch]
                    squares[ch] += d * d
                }
            }
        }
        let mean = sum.map { Float($0 / Double(rows)) }
        let variance = squares.map { Float($0 / Double(rows)) }
        let momentum = Float(attributes.effectiveMomentum)
        cache.stateUpdates["moving_mean"] = (0..<c).map { movingMean[$0] * momentum + mean[$0] * (1 - momentum) }
        cache.stateUpdates["moving_variance"] = (0..<c).map { movingVariance[$0] * momentum + variance[$0] * (1 - momentum) }
        return (mean, variance.map { 1 / ($0 + epsilon).squareRoot() })
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        var y = inputs[0]
        let c = y.shape.last ?? 1
        let (gamma, beta) = parameters(weights, channels: c)
        guard gamma.count == c, beta.count == c else { throw ComputeError.missingWeight(layer: "batch_normalization", weight: "gamma") }
        let (mean, inv) = try statistics(y, weights: weights, training: context.training, cache: &cache)
        cache.saved = [mean, inv]
        y.values.withUnsafeMutableBufferPointer { v in
            let rows = v.count / c
            for r in 0..<rows {
                for ch in 0..<c { v[r * c + ch] = gamma[ch] * ((v[r * c + ch] - mean[ch]) * inv[ch]) + beta[ch] }
            }
        }
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        let x = inputs[0]
        let c = x.shape.last ?? 1
        let rows = x.values.count / c
        let (gamma, _) = parameters(weights, channels: c)
        let mean = cache.saved[0], inv = cache.saved[1]
        var dbeta = [Double](repeating: 0, count: c)
        var dgamma = [Double](repeating: 0, count: c)
        x.values.withUnsafeBufferPointer { xs in
            gradient.values.withUnsafeBufferPointer { g in
                for r in 0..<rows {
                    for ch in 0..<c {
                        let i = r * c + ch
                        dbeta[ch] += Double(g[i])
                        dgamma[ch] += Double(g[i] * ((xs[i] - mean[ch]) * inv[ch]))
                    }
                }
            }
        }
        var result = OpGradients(inputs: [nil])
        if request.weights {
            if attributes.scale { result.weights["gamma"] = dgamma.map { Float($0) } }
            if attributes.center { result.weights["beta"] = dbeta.map { Float($0) } }
        }
        if request.inputs[0] {
            var dx = FloatTensor(zeros: x.shape)
            let n = Float(rows)
            x.values.withUnsafeBufferPointer { xs in
                gradient.values.withUnsafeBufferPointer { g in
                    dx.values.withUnsafeMutableBufferPointer { d in
                        if context.training {
                            let sb = dbeta.map { Float($0) }, sg = dgamma.map { Float($0) }
                            for r in 0..<rows {
                                for ch in 0..<c {
                                    let i = r * c + ch
                                    let xhat = (xs[i] - mean[ch]) * inv[ch]
                                    d[i] = gamma[ch] * inv[ch] / n * (n * g[i] - sb[ch] - xhat * sg[ch])
                                }
                            }
                        } else {
                            for r in 0..<rows { for ch in 0..<c { d[r * c + ch] = g[r * c + ch] * gamma[ch] * inv[ch] } }
                        }
                    }
                }
            }
            result.inputs[0] = dx
        }
        return result
    }
}
