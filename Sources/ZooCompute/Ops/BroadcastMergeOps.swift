import ZooGraph

/// Walks an output tensor row by row (a row is the last axis) together with one input that
/// broadcasts to it (same rank, each dimension equal or 1): calls `body(outputRow, inputRow,
/// inputStride)`, where `inputStride` is 1, or 0 when the input's last axis is 1.
func forEachBroadcastRow(output: [Int], input: [Int], _ body: (Int, Int, Int) -> Void) {
    let rank = output.count
    guard rank > 0, input.count == rank else { return }
    let rowLength = output[rank - 1]
    let rows = output.dropLast().reduce(1, *)
    // Element strides of the input, 0 along broadcast dimensions.
    var strides = [Int](repeating: 0, count: rank)
    var step = 1
    for d in stride(from: rank - 1, through: 0, by: -1) {
        strides[d] = input[d] == 1 && output[d] != 1 ? 0 : step
        step *= input[d]
    }
    let innerStride = strides[rank - 1] == 0 ? 0 : 1
    var index = [Int](repeating: 0, count: max(rank - 1, 0))
    var inputRow = 0
    for row in 0..<rows {
        body(row * rowLength, inputRow, innerStride)
        // Next row: bump the multi-index over the leading dimensions.
        var d = rank - 2
        while d >= 0 {
            index[d] += 1
            inputRow += strides[d]
            if index[d] < output[d] { break }
            inputRow -= strides[d] * index[d]
            index[d] = 0
            d -= 1
        }
    }
}

/// Multiply, Subtract, Average and Maximum: element-wise over inputs that broadcast to the
/// output (Keras's Multiply gates `[H, W, C]` by `[1, 1, C]` in squeeze-and-excitation blocks).
/// Backward: each input's share of the gradient, summed over the dimensions it was broadcast
/// along. Maximum gives the gradient to the largest input, shared equally on ties (as JAX).
struct BroadcastMergeOp: DifferentiableOp {
    /// `add` is the two-tensor op node `x + y` (Keras's Add layer, without broadcasting, is `AddOp`).
    enum Kind: Sendable { case multiply, subtract, average, maximum, add }
    let kind: Kind

    var backwardReads: (inputs: Bool, output: Bool) { (kind == .multiply || kind == .maximum, kind == .maximum) }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        if call.inputs.count == 2, kind != .maximum, kind != .average,
           combineTwo(call.inputs[0], call.inputShapes[0], call.inputs[1], call.inputShapes[1], into: call.output,
                      outputShape: call.outputShape, threads: call.threads) {
            return
        }
        combine(call.inputs, call.inputShapes, into: call.output, outputShape: call.outputShape)
    }

    /// The input's element offset of output row `row` (rows are the last axis), 0 along
    /// broadcast dimensions.
    private static func rowOffset(_ row: Int, output: [Int], input: [Int]) -> Int {
        var rest = row, offset = 0, step = input[input.count - 1]
        for d in stride(from: output.count - 2, through: 0, by: -1) {
            let i = rest % output[d]
            rest /= output[d]
            if input[d] != 1 { offset += i * step }
            step *= input[d]
        }
        return offset
    }

    /// Two inputs in one pass, rows shared between the threads, each row's loop in one of the
    /// forms that vectorise (both inputs along the row, or one a number per row: the
    /// squeeze-and-excitation gate `[H, W, C] * [1, 1, C]` is the first kind). False when a
    /// shape does not broadcast row-wise (then the general path runs).
    private func combineTwo(_ a: UnsafePointer<Float>, _ shapeA: [Int], _ b: UnsafePointer<Float>, _ shapeB: [Int],
                            into out: UnsafeMutablePointer<Float>, outputShape: [Int], threads: Int) -> Bool {
        let rank = outputShape.count
        guard rank > 0, shapeA.count == rank, shapeB.count == rank,
              zip(shapeA, outputShape).allSatisfy({ $0 == $1 || $0 == 1 }), zip(shapeB, outputShape).allSatisfy({ $0 == $1 || $0 == 1 }) else { return false }
        let n = outputShape[rank - 1]
        let rows = outputShape.dropLast().reduce(1, *)
        guard n > 0, rows > 0 else { return true }
        let strideA = shapeA[rank - 1] == n ? 1 : 0, strideB = shapeB[rank - 1] == n ? 1 : 0
        let kind = self.kind
        let workers = rows * n >= 1 << 15 ? max(1, min(threads, rows)) : 1
        nonisolated(unsafe) let a = a, b = b, out = out
        Parallel.forEach(workers) { worker in
            for row in (rows * worker / workers)..<(rows * (worker + 1) / workers) {
                let x = a + Self.rowOffset(row, output: outputShape, input: shapeA)
                let y = b + Self.rowOffset(row, output: outputShape, input: shapeB)
                let o = out + row * n
                switch (kind, strideA, strideB) {
                case (.multiply, 1, 1): for j in 0..<n { o[j] = x[j] * y[j] }
                case (.multiply, 1, _): let v = y[0]; for j in 0..<n { o[j] = x[j] * v }
                case (.multiply, _, 1): let v = x[0]; for j in 0..<n { o[j] = v * y[j] }
                case (.add, 1, 1): for j in 0..<n { o[j] = x[j] + y[j] }
                case (.add, 1, _): let v = y[0]; for j in 0..<n { o[j] = x[j] + v }
                case (.add, _, 1): let v = x[0]; for j in 0..<n { o[j] = v + y[j] }
                case (.subtract, 1, 1): for j in 0..<n { o[j] = x[j] - y[j] }
                case (.subtract, 1, _): let v = y[0]; for j in 0..<n { o[j] = x[j] - v }
                case (.subtract, _, 1): let v = x[0]; for j in 0..<n { o[j] = v - y[j] }
                default:
                    let v: Float
                    switch kind {
                    case .multiply: v = x[0] * y[0]
                    case .add: v = x[0] + y[0]
                    default: v = x[0] - y[0]
                    }
                    for j in 0..<n { o[j] = v }
                }
            }
        }
        return true
    }

    private func combine(_ inputs: [UnsafePointer<Float>], _ shapes: [[Int]], into out: UnsafeMutablePointer<Float>, outputShape: [Int]) {
        let count = outputShape.reduce(1, *)
        let rowLength = outputShape.last ?? 1
        // The first input is expanded into the output, then each other input combined in.
        // (The output may share memory with the first input only when they have one shape.)
        if shapes[0] != outputShape || inputs[0] != UnsafePointer(out) {
            forEachBroadcastRow(output: outputShape, input: shapes[0]) { o, i, s in
                for j in 0..<rowLength { out[o + j] = inputs[0][i + j * s] }
            }
        }
        for (index, (x, shape)) in zip(inputs, shapes).enumerated().dropFirst() {
            forEachBroadcastRow(output: outputShape, input: shape) { o, i, s in
                switch kind {
                case .multiply, .average, .add: // average sums here and divides at the end
                    if kind == .multiply { for j in 0..<rowLength { out[o + j] *= x[i + j * s] } } else { for j in 0..<rowLength { out[o + j] += x[i + j * s] } }
                case .subtract:
                    if index == 1 { for j in 0..<rowLength { out[o + j] -= x[i + j * s] } }
                case .maximum:
                    for j in 0..<rowLength { out[o + j] = max(out[o + j], x[i + j * s]) }
                }
            }
        }
        if kind == .average {
            let share = 1 / Float(inputs.count)
            for i in 0..<count { out[i] *= share }
        }
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        var y = FloatTensor(zeros: context.outputShape)
        try withPointers(inputs) { pointers in
            y.values.withUnsafeMutableBufferPointer { out in
                guard let base = out.baseAddress else { return }
                combine(pointers, inputs.map(\.shape), into: base, outputShape: context.outputShape)
            }
        }
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        let outputShape = gradient.shape
        let rowLength = outputShape.last ?? 1
        var result: [FloatTensor?] = []
        for (k, x) in inputs.enumerated() {
            guard request.inputs[k] else { result.append(nil); continue }
            // The gradient reaching input k at every output element, summed back onto x's shape.
            var local = gradient.values
            switch kind {
            case .multiply:
                for (other, y) in inputs.enumerated() where other != k {
                    forEachBroadcastRow(output: outputShape, input: y.shape) { o, i, s in
                        for j in 0..<rowLength { local[o + j] *= y.values[i + j * s] }
                    }
                }
            case .subtract:
                if k == 1 { for i in local.indices { local[i] = -local[i] } }
            case .add:
                break
            case .average:
                let share = 1 / Float(inputs.count)
                for i in local.indices { local[i] *= share }
            case .maximum:
                // Winners: inputs equal to the output; ties share the gradient equally.
                var ties = [Float](repeating: 0, count: local.count)
                for y in inputs {
                    forEachBroadcastRow(output: outputShape, input: y.shape) { o, i, s in
                        for j in 0..<rowLength where y.values[i + j * s] == output.values[o + j] { ties[o + j] += 1 }
                    }
                }
                forEachBroadcastRow(output: outputShape, input: x.shape) { o, i, s in
                    for j in 0..<rowLength {
                        local[o + j] = x.values[i + j * s] == output.values[o + j] ? local[o + j] / max(ties[o + j], 1) : 0
                    }
                }
            }
            var dx = FloatTensor(zeros: x.shape)
            forEachBroadcastRow(output: outputShape, input: x.shape) { o, i, s in
                if s == 0 {
                    var sum: Float = 0
                    for j in 0..<rowLength { sum += local[o + j] }
                    dx.values[i] += sum
                } else {
                    for j in 0..<rowLength { dx.values[i + j] += local[o + j] }
                }
            }
            result.append(dx)
        }
        return OpGradients(inputs: result)
    }
}

/// InceptionResNetV2's CustomScaleLayer: `inputs[0] + inputs[1] * scale` (equal shapes).
struct CustomScaleOp: DifferentiableOp {
    let scale: Float

    var backwardReads: (inputs: Bool, output: Bool) { (false, false) }

    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        let (a, b, out) = (call.inputs[0], call.inputs[1], call.output)
        for i in 0..<call.outputCount { out[i] = a[i] + b[i] * scale }
    }

    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor {
        var y = inputs[0]
        for i in y.values.indices { y.values[i] += inputs[1].values[i] * scale }
        return y
    }

    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients {
        var scaled = gradient
        for i in scaled.values.indices { scaled.values[i] *= scale }
        return OpGradients(inputs: [request.inputs[0] ? gradient : nil, request.inputs[1] ? scaled : nil])
    }
}

/// Runs `body` with base pointers to every tensor's values (kept alive for the call).
func withPointers(_ tensors: [FloatTensor], _ body: ([UnsafePointer<Float>]) throws -> Void) rethrows {
    func step(_ index: Int, _ collected: [UnsafePointer<Float>]) throws {
        if index == tensors.count { return try body(collected) }
        try tensors[index].values.withUnsafeBufferPointer { buffer in
            try step(index + 1, collected + [buffer.baseAddress ?? UnsafePointer(bitPattern: 8)!])
        }
    }
    try step(0, [])
}
