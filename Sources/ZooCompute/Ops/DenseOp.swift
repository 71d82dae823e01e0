import ZooGraph

/// Dense on the last axis (leading axes are rows): y = act(x W + b).
/// Backward: dz = act'(dy); dW = x^T dz; db = column sums of dz; dx = dz W^T.
struct DenseOp: DifferentiableOp {
    let attributes: DenseAttributes

    var backwardReads: (inputs: Bool, output: Bool) { (true, true) }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        let x = inputs[0]
        let features = x.shape.last ?? 0
        let rows = x.values.count / max(features, 1)
        let units = attributes.units
        guard let kernel = weights["kernel"], kernel.count == features * units else {
            throw ComputeError.missingWeight(layer: "dense", weight: "kernel")
        }
        var y = FloatTensor(zeros: context.outputShape)
        Gemm.multiply(m: rows, n: units, k: features, a: x.values, transposeA: false, b: kernel, transposeB: false,
                      into: &y.values, accumulate: false, threads: context.threads)
        if attributes.useBias, let bias = weights["bias"], bias.count == units {
            y.values.withUnsafeMutableBufferPointer { out in
                for r in 0..<rows { for u in 0..<units { out[r * units + u] += bias[u] } }
            }
        }
        ActivationOp.apply(attributes.activation, to: &y.values, rowLength: units, keepingInputIn: &cache)
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        let x = inputs[0]
        let features = x.shape.last ?? 0
        let rows = x.values.count / max(features, 1)
        let units = attributes.units
        var dz = gradient.values
        ActivationOp.differentiate(attributes.activation, input: cache.saved.first, output: output.values, gradient: &dz, rowLength: units)
        var result = OpGradients(inputs: [nil])
        if request.weights {
            var dw = [Float](repeating: 0, count: features * units)
            Gemm.multiply(m: features, n: units, k: rows, a: x.values, transposeA: true, b: dz, transposeB: false,
                          into: &dw, accumulate: false, threads: context.threads)
            result.weights["kernel"] = dw
            if attributes.useBias { result.weights["bias"] = columnSums(dz, rows: rows, columns: units) }
        }
        if request.inputs[0], let kernel = weights["kernel"] {
            var dx = FloatTensor(zeros: x.shape)
            Gemm.multiply(m: rows, n: features, k: units, a: dz, transposeA: false, b: kernel, transposeB: true,
                          into: &dx.values, accumulate: false, threads: context.threads)
            result.inputs[0] = dx
        }
        return result
    }
}

/// Sums of each column of a row-major matrix (bias gradients), accumulated in row order.
func columnSums(_ values: [Float], rows: Int, columns: Int) -> [Float] {
    var sums = [Float](repeating: 0, count: columns)
    values.withUnsafeBufferPointer { v in
        sums.withUnsafeMutableBufferPointer { s in
            for r in 0..<rows { for c in 0..<columns { s[c] += v[r * columns + c] } }
        }
    }
    return sums
}
