import ZooGraph

/// Permute: moves the non-batch axes (`dims` 1-based, as in Keras); the backward pass applies
/// the inverse permutation.
struct PermuteOp: DifferentiableOp {
    let dims: [Int]

    var backwardReads: (inputs: Bool, output: Bool) { (false, false) }

    /// Copies `source` (shape `shape`, batch first) into `target` with axes `order` (0-based,
    /// batch included): target axis a is source axis order[a].
    static func transpose(_ source: UnsafePointer<Float>, shape: [Int], order: [Int], into target: UnsafeMutablePointer<Float>) {
        let rank = shape.count
        var sourceStrides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { sourceStrides[d] = sourceStrides[d + 1] * shape[d + 1] }
        let outShape = order.map { shape[$0] }
        let strides = order.map { sourceStrides[$0] }  // source stride of each target axis
        let count = shape.reduce(1, *)
        guard count > 0 else { return }
        var index = [Int](repeating: 0, count: rank)
        var offset = 0
        for t in 0..<count {
            target[t] = source[offset]
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                offset += strides[d]
                if index[d] < outShape[d] { break }
                offset -= strides[d] * index[d]
                index[d] = 0
                d -= 1
            }
        }
    }

    private var order: [Int] { [0] + dims }

    private var inverse: [Int] {
        var result = [Int](repeating: 0, count: order.count)
        for (a, source) in order.enumerated() { result[source] = a }
        return result
    }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        Self.transpose(call.inputs[0], shape: call.inputShapes[0], order: order, into: call.output)
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        var y = FloatTensor(zeros: context.outputShape)
        inputs[0].values.withUnsafeBufferPointer { x in
            y.values.withUnsafeMutableBufferPointer { out in
                guard let xb = x.baseAddress, let ob = out.baseAddress else { return }
                Self.transpose(xb, shape: inputs[0].shape, order: order, into: ob)
            }
        }
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        guard request.inputs[0] else { return OpGradients(inputs: [nil]) }
        var dx = FloatTensor(zeros: inputs[0].shape)
        gradient.values.withUnsafeBufferPointer { g in
            dx.values.withUnsafeMutableBufferPointer { d in
                guard let gb = g.baseAddress, let db = d.baseAddress else { return }
                Self.transpose(gb, shape: gradient.shape, order: inverse, into: db)
            }
        }
        return OpGradients(inputs: [dx])
    }
}

/// Cropping2D: keeps rows top..<(H - bottom) and columns left..<(W - right); the backward pass
/// pads the gradient back with zeros.
struct CroppingOp: DifferentiableOp {
    let top, bottom, left, right: Int

    var backwardReads: (inputs: Bool, output: Bool) { (false, false) }

    /// crop: source (big) into target (small); otherwise target (big) gets source (small) inside.
    private func copy(_ source: UnsafePointer<Float>, bigShape: [Int], smallShape: [Int], target: UnsafeMutablePointer<Float>, crop: Bool) {
        let (batch, h, w, c) = (smallShape[0], smallShape[1], smallShape[2], smallShape[3])
        let (bigH, bigW) = (bigShape[1], bigShape[2])
        if !crop { target.update(repeating: 0, count: bigShape.reduce(1, *)) }
        for n in 0..<batch {
            for y in 0..<h {
                let inner = ((n * h + y) * w) * c
                let outer = ((n * bigH + y + top) * bigW + left) * c
                if crop { (target + inner).update(from: source + outer, count: w * c) } else { (target + outer).update(from: source + inner, count: w * c) }
            }
        }
    }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        copy(call.inputs[0], bigShape: call.inputShapes[0], smallShape: call.outputShape, target: call.output, crop: true)
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        var y = FloatTensor(zeros: context.outputShape)
        inputs[0].values.withUnsafeBufferPointer { x in
            y.values.withUnsafeMutableBufferPointer { out in
                guard let xb = x.baseAddress, let ob = out.baseAddress else { return }
                copy(xb, bigShape: inputs[0].shape, smallShape: context.outputShape, target: ob, crop: true)
            }
        }
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        guard request.inputs[0] else { return OpGradients(inputs: [nil]) }
        var dx = FloatTensor(zeros: inputs[0].shape)
        gradient.values.withUnsafeBufferPointer { g in
            dx.values.withUnsafeMutableBufferPointer { d in
                guard let gb = g.baseAddress, let db = d.baseAddress else { return }
                copy(gb, bigShape: inputs[0].shape, smallShape: gradient.shape, target: db, crop: false)
            }
        }
        return OpGradients(inputs: [dx])
    }
}
