/// Merge layers: Add (the gradient flows unchanged to every input) and Concatenate (the
/// gradient is split back along the axis).
struct AddOp: DifferentiableOp {
    var backwardReads: (inputs: Bool, output: Bool) { (false, false) }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        let out = call.output, count = call.outputCount
        if call.inputs[0] != UnsafePointer(out) { out.update(from: call.inputs[0], count: count) }
        for other in call.inputs.dropFirst() { for i in 0..<count { out[i] += other[i] } }
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        var y = inputs[0]
        y.values.withUnsafeMutableBufferPointer { out in
            for other in inputs.dropFirst() {
                other.values.withUnsafeBufferPointer { x in for i in out.indices { out[i] += x[i] } }
            }
        }
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        OpGradients(inputs: request.inputs.map { $0 ? gradient : nil })
    }
}

/// Concatenate along `axis` (Keras's axis, counted with the batch: -1 or 3 is channels).
struct ConcatenateOp: DifferentiableOp {
    let axis: Int

    var backwardReads: (inputs: Bool, output: Bool) { (false, false) }

    /// The axis counted from the batch dimension (0), for a tensor of `rank` dimensions.
    private func resolvedAxis(rank: Int) -> Int { axis < 0 ? rank + axis : axis }

    /// Copies each input's blocks: outer = product of dims before the axis (batch included).
    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        let shape = call.outputShape
        let a = resolvedAxis(rank: shape.count)
        let outer = shape[..<a].reduce(1, *)
        let outInner = shape[a...].reduce(1, *)
        // Outer rows shared between the threads (DenseNet concatenates whole feature maps).
        let inners = call.inputShapes.map { $0[a...].reduce(1, *) }
        var running = 0
        let offsets = inners.map { inner -> Int in defer { running += inner }; return running }
        let workers = outer * outInner >= 1 << 16 ? max(1, min(call.threads, outer)) : 1
        nonisolated(unsafe) let output = call.output
        let sources = call.inputs.map { UnsafeSendablePointer(pointer: $0) }
        Parallel.forEach(workers) { worker in
            for o in (outer * worker / workers)..<(outer * (worker + 1) / workers) {
                for (k, source) in sources.enumerated() {
                    (output + o * outInner + offsets[k]).update(from: source.pointer + o * inners[k], count: inners[k])
                }
            }
        }
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        let shape = context.outputShape
        let a = resolvedAxis(rank: shape.count)
        let outer = shape[..<a].reduce(1, *)
        let outInner = shape[a...].reduce(1, *)
        var y = FloatTensor(zeros: shape)
        var offset = 0
        y.values.withUnsafeMutableBufferPointer { out in
            for x in inputs {
                let inner = x.shape[a...].reduce(1, *)
                x.values.withUnsafeBufferPointer { s in
                    for o in 0..<outer {
                        for i in 0..<inner { out[o * outInner + offset + i] = s[o * inner + i] }
                    }
                }
                offset += inner
            }
        }
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        let shape = gradient.shape
        let a = resolvedAxis(rank: shape.count)
        let outer = shape[..<a].reduce(1, *)
        let outInner = shape[a...].reduce(1, *)
        var offset = 0
        var result: [FloatTensor?] = []
        gradient.values.withUnsafeBufferPointer { g in
            for (index, x) in inputs.enumerated() {
                let inner = x.shape[a...].reduce(1, *)
                if request.inputs[index] {
                    var dx = FloatTensor(zeros: x.shape)
                    dx.values.withUnsafeMutableBufferPointer { d in
                        for o in 0..<outer {
                            for i in 0..<inner { d[o * inner + i] = g[o * outInner + offset + i] }
                        }
                    }
                    result.append(dx)
                } else {
                    result.append(nil)
                }
                offset += inner
            }
        }
        return OpGradients(inputs: result)
    }
}

/// A read-only pointer handed to worker threads (the caller keeps the memory alive and
/// unchanged while they run).
struct UnsafeSendablePointer: @unchecked Sendable {
    let pointer: UnsafePointer<Float>
}
