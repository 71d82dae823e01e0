import Foundation
import ZooGraph

/// Activation layers (`Activation(...)`, `ReLU`) and the activations fused into Conv2D, Dense
/// and DepthwiseConv2D: linear, relu, sigmoid, tanh and softmax over the last axis. Every
/// backward pass reads only the output: relu' = (y > 0), sigmoid' = y (1 - y), tanh' = 1 - y^2,
/// softmax: dx = y * (dy - sum(dy * y)) per row.
struct ActivationOp: DifferentiableOp {
    let function: Activation

    var backwardReads: (inputs: Bool, output: Bool) { (false, true) }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        if call.inputs[0] != UnsafePointer(call.output) { call.output.update(from: call.inputs[0], count: call.outputCount) }
        LayerKernels.applyActivation(function, call.output, count: call.outputCount, rowLength: call.outputShape.last ?? 1)
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        var y = inputs[0]
        Self.apply(function, to: &y.values, rowLength: y.shape.last ?? 1)
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        var dx = gradient
        Self.differentiate(function, output: output.values, gradient: &dx.values, rowLength: output.shape.last ?? 1)
        return OpGradients(inputs: [request.inputs[0] ? dx : nil])
    }

    /// Applies `function` in place; softmax normalises each run of `rowLength` values.
    static func apply(_ function: Activation, to values: inout [Float], rowLength: Int) {
        values.withUnsafeMutableBufferPointer { v in
            switch function {
            case .linear: return
            case .relu: for i in v.indices { v[i] = max(v[i], 0) }
            case .sigmoid: for i in v.indices { v[i] = 1 / (1 + Foundation.exp(-v[i])) }
            case .tanh: for i in v.indices { v[i] = Foundation.tanh(v[i]) }
            case .softmax:
                let n = max(rowLength, 1)
                var start = 0
                while start < v.count {
                    let end = min(start + n, v.count)
                    var peak = -Float.infinity
                    for i in start..<end { peak = max(peak, v[i]) }
                    var sum: Float = 0
                    for i in start..<end { v[i] = Foundation.exp(v[i] - peak); sum += v[i] }
                    for i in start..<end { v[i] /= sum }
                    start = end
                }
            }
        }
    }

    /// Turns the gradient with respect to the activation's output into the gradient with
    /// respect to its input, in place, from the output values.
    static func differentiate(_ function: Activation, output: [Float], gradient: inout [Float], rowLength: Int) {
        output.withUnsafeBufferPointer { y in
            gradient.withUnsafeMutableBufferPointer { g in
                switch function {
                case .linear: return
                case .relu: for i in g.indices where y[i] <= 0 { g[i] = 0 }
                case .sigmoid: for i in g.indices { g[i] *= y[i] * (1 - y[i]) }
                case .tanh: for i in g.indices { g[i] *= 1 - y[i] * y[i] }
                case .softmax:
                    let n = max(rowLength, 1)
                    var start = 0
                    while start < g.count {
                        let end = min(start + n, g.count)
                        var dot: Float = 0
                        for i in start..<end { dot += g[i] * y[i] }
                        for i in start..<end { g[i] = y[i] * (g[i] - dot) }
                        start = end
                    }
                }
            }
        }
    }
}
