import Foundation
import ZooGraph

/// Per-channel affine maps without trainable weights: Keras's Normalization (`(x - mean) /
/// max(sqrt(variance), 1e-7)`, or its inverse) and Rescaling with per-channel scale and offset
/// (`x * scale + offset`). Both are `y = x * a[c] + b[c]`; the backward pass is `dx = dy * a[c]`.
struct ChannelAffineOp: DifferentiableOp {
    /// Where the per-channel factors come from.
    enum Source: Sendable {
        case normalization(NormalizationAttributes)
        case rescaling(scale: [Double], offset: [Double])
    }
    let source: Source

    var backwardReads: (inputs: Bool, output: Bool) { (false, false) }

    /// Per channel: Normalization's mean and standard deviation (`max(sqrt(variance), 1e-7)`,
    /// from the constants or the `mean` / `variance` weights), or Rescaling's scale and offset;
    /// nil when the weights do not fit `channels`.
    private func statistics(channels: Int, weights: [String: [Float]]) -> (first: [Float], second: [Float])? {
        func expand(_ list: [Double]) -> [Float] { (list.count == 1 ? [Double](repeating: list[0], count: channels) : list).map(Float.init) }
        switch source {
        case .rescaling(let scale, let offset):
            return (expand(scale), expand(offset))
        case .normalization(let a):
            let mean = a.mean.map(expand) ?? weights["mean"] ?? [Float](repeating: 0, count: channels)
            let variance = a.variance.map(expand) ?? weights["variance"] ?? [Float](repeating: 1, count: channels)
            guard mean.count == channels, variance.count == channels else { return nil }
            return (mean, variance.map { max($0.squareRoot(), Float(NormalizationAttributes.epsilon)) })
        }
    }

    /// `dy/dx` per channel: 1 / std, std (inverted) or the scale.
    private func slope(channels: Int, weights: [String: [Float]]) -> [Float] {
        guard let (first, second) = statistics(channels: channels, weights: weights) else { return [Float](repeating: .nan, count: channels) }
        switch source {
        case .rescaling: return first
        case .normalization(let a): return a.invert ? second : second.map { 1 / $0 }
        }
    }

    /// The same float32 operations Keras computes: `(x - mean) / std`, `mean + x * std`, `x * scale + offset`.
    private func run(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, channels: Int, weights: [String: [Float]]) {
        guard channels > 0 else { return }
        guard let (first, second) = statistics(channels: channels, weights: weights) else {
            for i in 0..<count { y[i] = .nan }
            return
        }
        switch source {
        case .normalization(let a) where a.invert:
            for i in 0..<count { let c = i % channels; y[i] = first[c] + x[i] * second[c] }
        case .normalization:
            for i in 0..<count { let c = i % channels; y[i] = (x[i] - first[c]) / second[c] }
        case .rescaling:
            for i in 0..<count { let c = i % channels; y[i] = x[i] * first[c] + second[c] }
        }
    }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        run(call.inputs[0], call.output, count: call.outputCount, channels: call.outputShape.last ?? 1, weights: weights)
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        var y = FloatTensor(zeros: context.outputShape)
        let channels = context.outputShape.last ?? 1
        inputs[0].values.withUnsafeBufferPointer { x in
            y.values.withUnsafeMutableBufferPointer { out in
                guard let xb = x.baseAddress, let ob = out.baseAddress else { return }
                run(xb, ob, count: out.count, channels: channels, weights: weights)
            }
        }
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        guard request.inputs[0] else { return OpGradients(inputs: [nil]) }
        let channels = gradient.shape.last ?? 1
        let a = slope(channels: channels, weights: weights)
        var dx = gradient
        for i in dx.values.indices { dx.values[i] *= a[i % channels] }
        return OpGradients(inputs: [dx])
    }
}

/// LayerNormalization over the last axis: `(x - mean) / sqrt(var + epsilon) * gamma + beta`
/// per row, the statistics in float32 as Keras computes them. Backward: the standard layer-norm
/// gradient through the row statistics, plus dgamma and dbeta.
struct LayerNormalizationOp: DifferentiableOp {
    let attributes: LayerNormAttributes

    var backwardReads: (inputs: Bool, output: Bool) { (true, false) }

    /// Sum of `count` floats in eight interleaved partial sums (so the loop vectorises), added
    /// up at the end, then the tail.
    @inline(__always)
    static func sum(_ v: UnsafePointer<Float>, _ count: Int, minus offset: Float = 0, squared: Bool = false) -> Float {
        var partial = SIMD8<Float>()
        let shift = SIMD8<Float>(repeating: offset)
        var j = 0
        let raw = UnsafeRawPointer(v)
        while j + 8 <= count {
            let d = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) - shift
            partial += squared ? d * d : d
            j += 8
        }
        var total = partial.sum()
        while j < count {
            let d = v[j] - offset
            total += squared ? d * d : d
            j += 1
        }
        return total
    }

    private func normalize(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Range<Int>, width: Int,
                           gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?, inverse: UnsafeMutablePointer<Float>?) {
        let epsilon = Float(attributes.epsilon)
        for r in rows {
            let row = x + r * width
            let mean = Self.sum(row, width) / Float(width)
            let variance = Self.sum(row, width, minus: mean, squared: true) / Float(width)
            let inv = 1 / (variance + epsilon).squareRoot()
            inverse?[r] = inv
            let out = y + r * width
            switch (gamma, beta) {
            case let (g?, b?): for j in 0..<width { out[j] = (row[j] - mean) * inv * g[j] + b[j] }
            case let (g?, nil): for j in 0..<width { out[j] = (row[j] - mean) * inv * g[j] }
            case let (nil, b?): for j in 0..<width { out[j] = (row[j] - mean) * inv + b[j] }
            default: for j in 0..<width { out[j] = (row[j] - mean) * inv }
            }
        }
    }

    /// Rows shared between `threads` threads when the tensor is large.
    private func normalize(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                           gamma: [Float]?, beta: [Float]?, inverse: UnsafeMutablePointer<Float>?, threads: Int = 1) {
        let workers = rows * width >= 1 << 15 ? max(1, min(threads, rows)) : 1
        nonisolated(unsafe) let (x, y, inverse) = (x, y, inverse)
        gamma.withOptionalBuffer { g in
            beta.withOptionalBuffer { b in
                nonisolated(unsafe) let (g, b) = (g, b)
                Parallel.forEach(workers) { worker in
                    normalize(x, y, rows: (rows * worker / workers)..<(rows * (worker + 1) / workers), width: width, gamma: g, beta: b, inverse: inverse)
                }
            }
        }
    }

    private func parameters(_ weights: [String: [Float]], width: Int) -> (gamma: [Float]?, beta: [Float]?) {
        let gamma = attributes.scale ? weights["gamma"].flatMap { $0.count == width ? $0 : nil } ?? [Float](repeating: 1, count: width) : nil
        let beta = attributes.center ? weights["beta"].flatMap { $0.count == width ? $0 : nil } ?? [Float](repeating: 0, count: width) : nil
        return (gamma, beta)
    }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        let width = call.outputShape.last ?? 1
        let (gamma, beta) = parameters(weights, width: width)
        normalize(call.inputs[0], call.output, rows: call.outputCount / max(width, 1), width: width, gamma: gamma, beta: beta, inverse: nil,
                  threads: call.threads)
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        let width = context.outputShape.last ?? 1
        let rows = inputs[0].values.count / max(width, 1)
        let (gamma, beta) = parameters(weights, width: width)
        var y = FloatTensor(zeros: context.outputShape)
        var inverse = [Float](repeating: 0, count: rows)
        inputs[0].values.withUnsafeBufferPointer { x in
            y.values.withUnsafeMutableBufferPointer { out in
                inverse.withUnsafeMutableBufferPointer { inv in
                    guard let xb = x.baseAddress, let ob = out.baseAddress else { return }
                    normalize(xb, ob, rows: rows, width: width, gamma: gamma, beta: beta, inverse: inv.baseAddress)
                }
            }
        }
        cache.saved = [inverse]
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        let width = gradient.shape.last ?? 1
        let rows = gradient.values.count / max(width, 1)
        let (gamma, _) = parameters(weights, width: width)
        let inverse = cache.saved.first ?? []
        let x = inputs[0].values, g = gradient.values
        var dx = [Float](repeating: 0, count: request.inputs[0] ? x.count : 0)
        var dgamma = [Float](repeating: 0, count: width), dbeta = [Float](repeating: 0, count: width)
        guard inverse.count == rows else { return OpGradients(inputs: [request.inputs[0] ? FloatTensor(shape: inputs[0].shape, values: dx) : nil]) }
        for r in 0..<rows {
            let base = r * width
            var mean: Float = 0
            for j in 0..<width { mean += x[base + j] }
            mean /= Float(width)
            let inv = inverse[r]
            // xhat and the gradient with respect to it.
            var sumG: Float = 0, sumGX: Float = 0
            for j in 0..<width {
                let xhat = (x[base + j] - mean) * inv
                let gx = g[base + j] * (gamma?[j] ?? 1)
                dgamma[j] += g[base + j] * xhat
                dbeta[j] += g[base + j]
                sumG += gx
                sumGX += gx * xhat
            }
            if request.inputs[0] {
                let n = Float(width)
                for j in 0..<width {
                    let xhat = (x[base + j] - mean) * inv
                    let gx = g[base + j] * (gamma?[j] ?? 1)
                    dx[base + j] = inv * (gx - sumG / n - xhat * sumGX / n)
                }
            }
        }
        var result = OpGradients(inputs: [request.inputs[0] ? FloatTensor(shape: inputs[0].shape, values: dx) : nil])
        if request.weights {
            if attributes.scale { result.weights["gamma"] = dgamma }
            if attributes.center { result.weights["beta"] = dbeta }
        }
        return result
    }
}

/// ConvNeXt's LayerScale: `x * gamma` per channel; backward `dx = dy * gamma`, `dgamma =
/// sum(dy * x)`.
struct LayerScaleOp: DifferentiableOp {
    var backwardReads: (inputs: Bool, output: Bool) { (true, false) }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        let width = call.outputShape.last ?? 1
        guard let gamma = weights["gamma"], gamma.count == width, width > 0 else { return }
        let rows = call.outputCount / width
        let workers = call.outputCount >= 1 << 15 ? max(1, min(call.threads, rows)) : 1
        nonisolated(unsafe) let (x, y) = (call.inputs[0], call.output)
        gamma.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            nonisolated(unsafe) let g = base
            Parallel.forEach(workers) { worker in
                for r in (rows * worker / workers)..<(rows * (worker + 1) / workers) {
                    for j in 0..<width { y[r * width + j] = x[r * width + j] * g[j] }
                }
            }
        }
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        let width = context.outputShape.last ?? 1
        guard let gamma = weights["gamma"], gamma.count == width else { throw ComputeError.missingWeight(layer: "layer_scale", weight: "gamma") }
        var y = inputs[0]
        for i in y.values.indices { y.values[i] *= gamma[i % width] }
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        let width = gradient.shape.last ?? 1
        let gamma = weights["gamma"] ?? [Float](repeating: 1, count: width)
        var dx = gradient
        var dgamma = [Float](repeating: 0, count: width)
        for i in dx.values.indices {
            dgamma[i % width] += gradient.values[i] * inputs[0].values[i]
            dx.values[i] *= gamma[i % width]
        }
        var result = OpGradients(inputs: [request.inputs[0] ? dx : nil])
        if request.weights { result.weights["gamma"] = dgamma }
        return result
    }
}
