import ZooGraph

/// A tensor and a number (`ScalarArithmetic`: Keras 3 op nodes such as `x + 3.0`, tf-keras
/// `TFOpLambda`s): element-wise, in float32 like Keras (the number is cast to float32 first,
/// so `x * (1 / 6)` multiplies by `Float(1.0 / 6.0)`, and `x / 6` divides).
struct ScalarArithmeticOp: DifferentiableOp {
    let arithmetic: ScalarArithmetic

    /// Only `c / x` reads its input back (d/dx = -c / x^2).
    var backwardReads: (inputs: Bool, output: Bool) {
        (arithmetic.operation == .divide && arithmetic.constantFirst, false)
    }

    /// In place or not, shared between threads in equal chunks when large.
    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        nonisolated(unsafe) let (source, target) = (call.inputs[0], call.output)
        let arithmetic = self.arithmetic
        Parallel.forEachChunk(of: call.outputCount, threads: call.threads) { first, last in
            Self.apply(arithmetic, source + first, target + first, count: last - first)
        }
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        var y = inputs[0]
        let count = y.values.count
        y.values.withUnsafeMutableBufferPointer { if let base = $0.baseAddress { Self.apply(arithmetic, base, base, count: count) } }
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        guard request.inputs.first == true else { return OpGradients(inputs: [nil]) }
        var dx = gradient
        let c = Float(arithmetic.constant)
        switch (arithmetic.operation, arithmetic.constantFirst) {
        case (.add, _), (.subtract, false):
            break
        case (.subtract, true):
            for i in dx.values.indices { dx.values[i] = -dx.values[i] }
        case (.multiply, _):
            for i in dx.values.indices { dx.values[i] *= c }
        case (.divide, false):
            for i in dx.values.indices { dx.values[i] /= c }
        case (.divide, true):
            let x = inputs[0].values
            for i in dx.values.indices where i < x.count { dx.values[i] = -dx.values[i] * c / (x[i] * x[i]) }
        }
        return OpGradients(inputs: [dx])
    }

    /// `target[i] = source[i] op c` (source and target may be the same memory).
    private static func apply(_ arithmetic: ScalarArithmetic, _ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int) {
        let c = Float(arithmetic.constant)
        switch (arithmetic.operation, arithmetic.constantFirst) {
        case (.add, _): for i in 0..<count { target[i] = source[i] + c }
        case (.subtract, false): for i in 0..<count { target[i] = source[i] - c }
        case (.subtract, true): for i in 0..<count { target[i] = c - source[i] }
        case (.multiply, _): for i in 0..<count { target[i] = source[i] * c }
        case (.divide, false): for i in 0..<count { target[i] = source[i] / c }
        case (.divide, true): for i in 0..<count { target[i] = c / source[i] }
        }
    }
}
