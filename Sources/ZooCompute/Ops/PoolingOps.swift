import ZooGraph

/// MaxPooling2D and AveragePooling2D with Keras padding: `same` pads so the output is
/// ceil(input / stride) and padded pixels take no part (an average divides by the pixels it
/// covered, as TensorFlow and JAX do). Backward: max pooling routes each gradient to its
/// window's first maximum (XLA's select-and-scatter rule); average pooling spreads it evenly.
struct PoolingOp: DifferentiableOp {
    let max: Bool
    let attributes: PoolAttributes
    /// A ZeroPadding2D (top, bottom, left, right) the inference core folded in front: those
    /// pixels count as zeros. Training never folds padding, so its passes ignore it.
    var zeroPad: (Int, Int, Int, Int) = (0, 0, 0, 0)

    init(max: Bool, attributes: PoolAttributes, zeroPad: (Int, Int, Int, Int) = (0, 0, 0, 0)) {
        self.max = max
        self.attributes = attributes
        self.zeroPad = zeroPad
    }

    var backwardReads: (inputs: Bool, output: Bool) { (false, false) }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        LayerKernels.pool(max: max, batch: call.inputShapes[0][0], input: Array(call.inputShapes[0].dropFirst()),
                          output: Array(call.outputShape.dropFirst()), attributes: attributes, zeroPad: zeroPad,
                          input: call.inputs[0], output: call.output, threads: call.threads)
    }

    private struct Window {
        let batch, inH, inW, c, outH, outW, padTop, padLeft: Int
    }

    private func window(_ input: [Int], _ output: [Int]) -> Window {
        let (inH, inW, outH, outW) = (input[1], input[2], output[1], output[2])
        var padTop = 0, padLeft = 0
        if attributes.padding == .same {
            padTop = Swift.max((outH - 1) * attributes.strides[0] + attributes.size[0] - inH, 0) / 2
            padLeft = Swift.max((outW - 1) * attributes.strides[1] + attributes.size[1] - inW, 0) / 2
        }
        return Window(batch: input[0], inH: inH, inW: inW, c: input[3], outH: outH, outW: outW, padTop: padTop, padLeft: padLeft)
    }

    /// Calls body(output pixel offset, [input pixel offsets]) for every output pixel.
    private func forEachWindow(_ w: Window, _ body: (Int, [Int]) -> Void) {
        var taps: [Int] = []
        taps.reserveCapacity(attributes.size[0] * attributes.size[1])
        for n in 0..<w.batch {
            for oy in 0..<w.outH {
                for ox in 0..<w.outW {
                    taps.removeAll(keepingCapacity: true)
                    for ky in 0..<attributes.size[0] {
                        let iy = oy * attributes.strides[0] - w.padTop + ky
                        guard iy >= 0, iy < w.inH else { continue }
                        for kx in 0..<attributes.size[1] {
                            let ix = ox * attributes.strides[1] - w.padLeft + kx
                            guard ix >= 0, ix < w.inW else { continue }
                            taps.append(((n * w.inH + iy) * w.inW + ix) * w.c)
                        }
                    }
                    body(((n * w.outH + oy) * w.outW + ox) * w.c, taps)
                }
            }
        }
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        let x = inputs[0]
        let w = window(x.shape, context.outputShape)
        var y = FloatTensor(zeros: context.outputShape)
        var winners = [Int32](repeating: -1, count: max ? y.values.count : 0)
        x.values.withUnsafeBufferPointer { xs in
            y.values.withUnsafeMutableBufferPointer { out in
                forEachWindow(w) { o, taps in
                    for ch in 0..<w.c {
                        if max {
                            var best = -Float.infinity
                            var at = -1
                            for t in taps where at < 0 || xs[t + ch] > best { best = xs[t + ch]; at = t + ch }
                            out[o + ch] = best
                            winners[o + ch] = Int32(truncatingIfNeeded: at)
                        } else {
                            var sum: Float = 0
                            for t in taps { sum += xs[t + ch] }
                            out[o + ch] = taps.isEmpty ? 0 : sum / Float(taps.count)
                        }
                    }
                }
            }
        }
        cache.indices = winners
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        guard request.inputs[0] else { return OpGradients(inputs: [nil]) }
        var dx = FloatTensor(zeros: inputs[0].shape)
        gradient.values.withUnsafeBufferPointer { g in
            dx.values.withUnsafeMutableBufferPointer { d in
                if max {
                    for (o, at) in cache.indices.enumerated() where at >= 0 { d[Int(at)] += g[o] }
                } else {
                    let w = window(inputs[0].shape, gradient.shape)
                    forEachWindow(w) { o, taps in
                        guard !taps.isEmpty else { return }
                        let share = 1 / Float(taps.count)
                        for ch in 0..<w.c {
                            let v = g[o + ch] * share
                            for t in taps { d[t + ch] += v }
                        }
                    }
                }
            }
        }
        return OpGradients(inputs: [dx])
    }
}

/// GlobalAveragePooling2D and GlobalMaxPooling2D (keepdims false): NHWC -> [batch, channels].
struct GlobalPoolingOp: DifferentiableOp {
    let max: Bool

    var backwardReads: (inputs: Bool, output: Bool) { (false, false) }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        let shape = call.inputShapes[0]
        LayerKernels.globalPool(max: max, batch: shape[0], pixels: shape[1] * shape[2], channels: shape[3], input: call.inputs[0], output: call.output)
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        let x = inputs[0]
        let (batch, pixels, c) = (x.shape[0], x.shape[1] * x.shape[2], x.shape[3])
        var y = FloatTensor(zeros: [batch, c])
        var winners = [Int32](repeating: 0, count: max ? batch * c : 0)
        x.values.withUnsafeBufferPointer { xs in
            y.values.withUnsafeMutableBufferPointer { out in
                for n in 0..<batch {
                    for ch in 0..<c {
                        if max {
                            var best = -Float.infinity
                            var at = n * pixels * c + ch
                            for p in 0..<pixels {
                                let i = (n * pixels + p) * c + ch
                                if xs[i] > best { best = xs[i]; at = i }
                            }
                            out[n * c + ch] = best
                            winners[n * c + ch] = Int32(truncatingIfNeeded: at)
                        }
                    }
                    if !max {
                        for p in 0..<pixels { for ch in 0..<c { out[n * c + ch] += xs[(n * pixels + p) * c + ch] } }
                        for ch in 0..<c { out[n * c + ch] /= Float(pixels) }
                    }
                }
            }
        }
        cache.indices = winners
        // keepdims=True: the same values as [batch, 1, 1, c].
        if context.outputShape.reduce(1, *) == y.values.count { y.shape = context.outputShape }
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        guard request.inputs[0] else { return OpGradients(inputs: [nil]) }
        let shape = inputs[0].shape
        let (batch, pixels, c) = (shape[0], shape[1] * shape[2], shape[3])
        var dx = FloatTensor(zeros: shape)
        gradient.values.withUnsafeBufferPointer { g in
            dx.values.withUnsafeMutableBufferPointer { d in
                if max {
                    for (o, at) in cache.indices.enumerated() { d[Int(at)] += g[o] }
                } else {
                    let share = 1 / Float(pixels)
                    for n in 0..<batch {
                        for p in 0..<pixels { for ch in 0..<c { d[(n * pixels + p) * c + ch] = g[n * c + ch] * share } }
                    }
                }
            }
        }
        return OpGradients(inputs: [dx])
    }
}
