/// Output shapes and weight specs of each op, with Keras's arithmetic.
enum ShapeInference {
    /// Keras's output length for one spatial axis.
    static func outputLength(_ input: Int, kernel: Int, stride: Int, dilation: Int, padding: Padding) -> Int {
        let effective = (kernel - 1) * dilation + 1
        switch padding {
        case .valid: return input >= effective ? (input - effective) / stride + 1 : 0
        case .same: return (input + stride - 1) / stride
        }
    }

    /// Checks the attribute arrays and counts every op relies on (a stored graph may be hostile).
    static func validate(name: String, op: Op, inputs: [[Int]]) throws {
        func bad(_ reason: String) -> GraphError { .invalidConfig("layer '\(name)': \(reason)") }
        for shape in inputs {
            guard shape.allSatisfy({ $0 >= 0 && $0 <= 1 << 31 }) else { throw bad("input shape \(shape) has a negative or absurd dimension") }
        }
        func pair(_ values: [Int], _ what: String, minimum: Int = 1) throws {
            guard values.count == 2, values.allSatisfy({ $0 >= minimum && $0 <= 1 << 16 }) else { throw bad("\(what) \(values) must be two values from \(minimum) to 65536") }
        }
        switch op {
        case .input(let shape):
            guard shape.allSatisfy({ $0 >= 1 && $0 <= 1 << 31 }) else { throw bad("input shape \(shape) must have positive dimensions") }
        case .conv2D(let a), .depthwiseConv2D(let a):
            try pair(a.kernel, "kernel size")
            try pair(a.strides, "strides")
            try pair(a.dilation, "dilation rate")
            guard a.filters >= 1 && a.filters <= 1 << 20 else { throw bad("filters \(a.filters) out of range") }
            guard a.groups >= 1, a.filters % a.groups == 0 else { throw bad("groups \(a.groups) must be positive and divide filters \(a.filters)") }
        case .maxPooling2D(let a), .averagePooling2D(let a):
            try pair(a.size, "pool size")
            try pair(a.strides, "strides")
        case .dense(let a):
            guard a.units >= 1 && a.units <= 1 << 24 else { throw bad("units \(a.units) out of range") }
        case .zeroPadding2D(let top, let bottom, let left, let right):
            guard [top, bottom, left, right].allSatisfy({ $0 >= 0 && $0 <= 1 << 16 }) else { throw bad("padding must be 0 to 65536") }
        case .batchNormalization(let a):
            guard a.epsilon.isFinite, a.epsilon >= 0 else { throw bad("epsilon \(a.epsilon) must be finite and non-negative") }
        case .separableConv2D(let a):
            try pair(a.kernel, "kernel size")
            try pair(a.strides, "strides")
            try pair(a.dilation, "dilation rate")
            guard a.filters >= 1 && a.filters <= 1 << 20 else { throw bad("filters \(a.filters) out of range") }
            guard a.depthMultiplier >= 1 && a.depthMultiplier <= 1 << 12 else { throw bad("depth multiplier \(a.depthMultiplier) out of range") }
        case .cropping2D(let top, let bottom, let left, let right):
            guard [top, bottom, left, right].allSatisfy({ $0 >= 0 && $0 <= 1 << 16 }) else { throw bad("cropping must be 0 to 65536") }
        case .reluLayer(let a):
            guard a.negativeSlope.isFinite, a.threshold.isFinite, a.maxValue.map({ !$0.isNaN && $0 >= 0 }) ?? true else {
                throw bad("ReLU arguments must be finite (max_value non-negative)")
            }
        case .leakyReLU(let slope):
            guard slope.isFinite else { throw bad("negative_slope \(slope) must be finite") }
        case .layerNormalization(let a):
            guard a.epsilon.isFinite, a.epsilon >= 0 else { throw bad("epsilon \(a.epsilon) must be finite and non-negative") }
        case .rescaling(let scale, let offset):
            guard scale.isFinite, offset.isFinite else { throw bad("scale and offset must be finite") }
        case .channelRescaling(let scale, let offset):
            guard (scale + offset).allSatisfy(\.isFinite), scale.count <= 1 << 20, offset.count <= 1 << 20 else { throw bad("scale and offset must be finite") }
        case .normalization(let a):
            guard ((a.mean ?? []) + (a.variance ?? [])).allSatisfy(\.isFinite), (a.mean == nil) == (a.variance == nil) else {
                throw bad("mean and variance must both be given (finite) or both be weights")
            }
        case .customScale(let scale), .layerScale(let scale):
            guard scale.isFinite else { throw bad("scale \(scale) must be finite") }
        case .scalarArithmetic(let a):
            guard a.constant.isFinite else { throw bad("the number \(a.constant) must be finite") }
        case .tensorArithmetic(let operation):
            guard operation != .divide else { throw bad("dividing one tensor by another is not supported (add, subtract and multiply are)") }
        case .reshape(let target):
            guard !target.isEmpty, target.count <= 8, target.allSatisfy({ $0 == -1 || ($0 >= 1 && $0 <= 1 << 31) }),
                  target.filter({ $0 == -1 }).count <= 1 else { throw bad("target shape \(target) must be positive sizes with at most one -1") }
        case .permute(let dims):
            guard dims.count <= 8, dims.sorted() == Array(1..<(dims.count + 1)) else {
                throw bad("dims \(dims) must be a permutation of 1...\(dims.count)")
            }
        default:
            break
        }
    }

    /// The shape `inputs` broadcast to (numpy rules, aligned at the last axis): each size equal
    /// or 1.
    static func broadcast(_ inputs: [[Int]], name: String, op: String) throws -> [Int] {
        let rank = inputs.map(\.count).max() ?? 0
        var result = [Int](repeating: 1, count: rank)
        for shape in inputs {
            for (offset, size) in shape.reversed().enumerated() {
                let index = rank - 1 - offset
                if result[index] == 1 { result[index] = size } else if size != 1 && size != result[index] {
                    throw GraphError.shapeMismatch(node: name, reason: "\(op) cannot broadcast shapes \(inputs)")
                }
            }
        }
        return result
    }

    static func infer(name: String, op: Op, inputs: [[Int]]) throws -> (shape: [Int], weights: [WeightSpec]) {
        try validate(name: name, op: op, inputs: inputs)
        let result = try inferValidated(name: name, op: op, inputs: inputs)
        // Element counts must fit comfortably: a lying graph cannot make anyone allocate exabytes.
        for shape in [result.shape] + result.weights.map(\.shape) {
            var product = 1
            for dim in shape {
                let (next, overflow) = product.multipliedReportingOverflow(by: dim)
                guard !overflow, next <= 1 << 40 else { throw GraphError.invalidConfig("layer '\(name)': shape \(shape) is too large") }
                product = next
            }
        }
        return result
    }

    private static func inferValidated(name: String, op: Op, inputs: [[Int]]) throws -> (shape: [Int], weights: [WeightSpec]) {
        func one() throws -> [Int] {
            guard inputs.count == 1 else { throw GraphError.wrongInputCount(node: name, op: op.kerasClassName, expected: "1", found: inputs.count) }
            return inputs[0]
        }
        func image() throws -> [Int] {
            let shape = try one()
            guard shape.count == 3 else { throw GraphError.shapeMismatch(node: name, reason: "expects an NHWC image input, got shape \(shape)") }
            return shape
        }
        switch op {
        case .input(let shape):
            guard inputs.isEmpty else { throw GraphError.wrongInputCount(node: name, op: "InputLayer", expected: "0", found: inputs.count) }
            return (shape, [])
        case .conv2D(let a):
            let s = try image()
            let h = outputLength(s[0], kernel: a.kernel[0], stride: a.strides[0], dilation: a.dilation[0], padding: a.padding)
            let w = outputLength(s[1], kernel: a.kernel[1], stride: a.strides[1], dilation: a.dilation[1], padding: a.padding)
            // Keras's groups split the input channels; SwiftZoo computes groups = 1 and groups =
            // channels (each channel alone, a depthwise convolution written as Conv2D).
            guard a.groups == 1 || a.groups == s[2] else {
                throw GraphError.shapeMismatch(node: name, reason: "Conv2D with groups=\(a.groups) on \(s[2]) channels: SwiftZoo computes groups=1 and groups equal to the input channels")
            }
            var weights = [WeightSpec(name: "kernel", shape: [a.kernel[0], a.kernel[1], s[2] / a.groups, a.filters])]
            if a.useBias { weights.append(WeightSpec(name: "bias", shape: [a.filters])) }
            return ([h, w, a.filters], weights)
        case .depthwiseConv2D(let a):
            let s = try image()
            let h = outputLength(s[0], kernel: a.kernel[0], stride: a.strides[0], dilation: a.dilation[0], padding: a.padding)
            let w = outputLength(s[1], kernel: a.kernel[1], stride: a.strides[1], dilation: a.dilation[1], padding: a.padding)
            let channels = s[2] * a.filters
            var weights = [WeightSpec(name: "depthwise_kernel", shape: [a.kernel[0], a.kernel[1], s[2], a.filters])]
            if a.useBias { weights.append(WeightSpec(name: "bias", shape: [channels])) }
            return ([h, w, channels], weights)
        case .batchNormalization(let a):
            let s = try one()
            let channels = s.last ?? 0
            var weights: [WeightSpec] = []
            if a.scale { weights.append(WeightSpec(name: "gamma", shape: [channels])) }
            if a.center { weights.append(WeightSpec(name: "beta", shape: [channels])) }
            weights.append(WeightSpec(name: "moving_mean", shape: [channels], trainable: false))
            weights.append(WeightSpec(name: "moving_variance", shape: [channels], trainable: false))
            return (s, weights)
        case .activation, .relu, .dropout, .rescaling, .scalarArithmetic:
            return (try one(), [])
        case .dropoutWithNoiseShape(_, let noise):
            let s = try one()
            // Batch first, then one entry per input dimension: nil, 1 or the dimension.
            guard noise.count == s.count + 1, zip(noise.dropFirst(), s).allSatisfy({ $0 == nil || $0 == 1 || $0 == $1 }),
                  noise[0] == nil || noise[0] == 1 else {
                throw GraphError.shapeMismatch(node: name, reason: "Dropout noise_shape \(noise.map { $0.map(String.init) ?? "None" }) does not broadcast to the input (None, \(s.map(String.init).joined(separator: ", ")))")
            }
            return (s, [])
        case .zeroPadding2D(let top, let bottom, let left, let right):
            let s = try image()
            return ([s[0] + top + bottom, s[1] + left + right, s[2]], [])
        case .maxPooling2D(let a), .averagePooling2D(let a):
            let s = try image()
            let h = outputLength(s[0], kernel: a.size[0], stride: a.strides[0], dilation: 1, padding: a.padding)
            let w = outputLength(s[1], kernel: a.size[1], stride: a.strides[1], dilation: 1, padding: a.padding)
            return ([h, w, s[2]], [])
        case .globalAveragePooling2D, .globalMaxPooling2D:
            let s = try image()
            return ([s[2]], [])
        case .add:
            guard inputs.count >= 2 else { throw GraphError.wrongInputCount(node: name, op: "Add", expected: "2 or more", found: inputs.count) }
            guard inputs.allSatisfy({ $0 == inputs[0] }) else {
                throw GraphError.shapeMismatch(node: name, reason: "Add needs equal input shapes, got \(inputs)")
            }
            return (inputs[0], [])
        case .concatenate(let axis):
            guard inputs.count >= 2 else { throw GraphError.wrongInputCount(node: name, op: "Concatenate", expected: "2 or more", found: inputs.count) }
            let rank = inputs[0].count
            // Keras axes count the batch dimension; ours do not.
            let a = axis < 0 ? rank + axis : axis - 1
            guard a >= 0, a < rank, inputs.allSatisfy({ $0.count == rank }) else {
                throw GraphError.shapeMismatch(node: name, reason: "Concatenate axis \(axis) does not fit shapes \(inputs)")
            }
            for d in 0..<rank where d != a {
                guard inputs.allSatisfy({ $0[d] == inputs[0][d] }) else {
                    throw GraphError.shapeMismatch(node: name, reason: "Concatenate needs equal shapes outside axis \(axis), got \(inputs)")
                }
            }
            var shape = inputs[0]
            shape[a] = inputs.reduce(0) { $0 + $1[a] }
            return (shape, [])
        case .flatten:
            return ([try one().reduce(1, *)], [])
        case .dense(let a):
            let s = try one()
            guard let last = s.last else { throw GraphError.shapeMismatch(node: name, reason: "Dense needs a non-scalar input") }
            var weights = [WeightSpec(name: "kernel", shape: [last, a.units])]
            if a.useBias { weights.append(WeightSpec(name: "bias", shape: [a.units])) }
            return (Array(s.dropLast()) + [a.units], weights)
        case .reluLayer, .leakyReLU:
            return (try one(), [])
        case .separableConv2D(let a):
            let s = try image()
            let h = outputLength(s[0], kernel: a.kernel[0], stride: a.strides[0], dilation: a.dilation[0], padding: a.padding)
            let w = outputLength(s[1], kernel: a.kernel[1], stride: a.strides[1], dilation: a.dilation[1], padding: a.padding)
            var weights = [WeightSpec(name: "depthwise_kernel", shape: [a.kernel[0], a.kernel[1], s[2], a.depthMultiplier]),
                           WeightSpec(name: "pointwise_kernel", shape: [1, 1, s[2] * a.depthMultiplier, a.filters])]
            if a.useBias { weights.append(WeightSpec(name: "bias", shape: [a.filters])) }
            return ([h, w, a.filters], weights)
        case .tensorArithmetic:
            guard inputs.count == 2 else { throw GraphError.wrongInputCount(node: name, op: op.kerasClassName, expected: "2", found: inputs.count) }
            // Keras broadcasts whole tensors, batch included: operands of one rank line up.
            guard inputs[0].count == inputs[1].count else {
                throw GraphError.shapeMismatch(node: name, reason: "\(op.kerasClassName) of tensors of different ranks \(inputs) is not supported")
            }
            return (try broadcast(inputs, name: name, op: op.kerasClassName), [])
        case .multiply, .subtract, .average, .maximum:
            let expected = op == .subtract ? "2" : "2 or more"
            guard op == .subtract ? inputs.count == 2 : inputs.count >= 2 else {
                throw GraphError.wrongInputCount(node: name, op: op.kerasClassName, expected: expected, found: inputs.count)
            }
            return (try broadcast(inputs, name: name, op: op.kerasClassName), [])
        case .reshape(let target):
            let s = try one()
            let total = s.reduce(1, *)
            let known = target.filter { $0 != -1 }.reduce(1, *)
            var shape = target
            if let unknown = target.firstIndex(of: -1) {
                guard known > 0, total % known == 0 else {
                    throw GraphError.shapeMismatch(node: name, reason: "cannot reshape \(s) (\(total) values) to \(target)")
                }
                shape[unknown] = total / known
            }
            guard shape.reduce(1, *) == total else {
                throw GraphError.shapeMismatch(node: name, reason: "cannot reshape \(s) (\(total) values) to \(target)")
            }
            return (shape, [])
        case .permute(let dims):
            let s = try one()
            guard dims.count == s.count else {
                throw GraphError.shapeMismatch(node: name, reason: "Permute dims \(dims) do not fit an input of rank \(s.count) (\(s))")
            }
            return (dims.map { s[$0 - 1] }, [])
        case .cropping2D(let top, let bottom, let left, let right):
            let s = try image()
            guard top + bottom < s[0] || s[0] == 0, left + right < s[1] || s[1] == 0 else {
                throw GraphError.shapeMismatch(node: name, reason: "cropping (\(top), \(bottom)), (\(left), \(right)) leaves nothing of a \(s[0])x\(s[1]) input")
            }
            return ([s[0] - top - bottom, s[1] - left - right, s[2]], [])
        case .globalAveragePooling2DKeepingDims, .globalMaxPooling2DKeepingDims:
            let s = try image()
            return ([1, 1, s[2]], [])
        case .channelRescaling(let scale, let offset):
            let s = try one()
            let channels = s.last ?? 1
            for (what, list) in [("scale", scale), ("offset", offset)] where list.count != 1 && list.count != channels {
                throw GraphError.shapeMismatch(node: name, reason: "Rescaling \(what) has \(list.count) values for \(channels) channels")
            }
            return (s, [])
        case .normalization(let a):
            let s = try one()
            let channels = s.last ?? 1
            if let mean = a.mean, let variance = a.variance {
                guard [mean.count, variance.count].allSatisfy({ $0 == 1 || $0 == channels }) else {
                    throw GraphError.shapeMismatch(node: name, reason: "Normalization mean/variance have \(mean.count)/\(variance.count) values for \(channels) channels")
                }
                return (s, [])
            }
            return (s, [WeightSpec(name: "mean", shape: [channels], trainable: false),
                        WeightSpec(name: "variance", shape: [channels], trainable: false),
                        WeightSpec(name: "count", shape: [], dtype: "int64", trainable: false)])
        case .layerNormalization(let a):
            let s = try one()
            let channels = s.last ?? 1
            var weights: [WeightSpec] = []
            if a.scale { weights.append(WeightSpec(name: "gamma", shape: [channels])) }
            if a.center { weights.append(WeightSpec(name: "beta", shape: [channels])) }
            return (s, weights)
        case .layerScale:
            let s = try one()
            return (s, [WeightSpec(name: "gamma", shape: [s.last ?? 1])])
        case .customScale:
            guard inputs.count == 2 else { throw GraphError.wrongInputCount(node: name, op: "CustomScaleLayer", expected: "2", found: inputs.count) }
            guard inputs[0] == inputs[1] else {
                throw GraphError.shapeMismatch(node: name, reason: "CustomScaleLayer needs equal input shapes, got \(inputs)")
            }
            return (inputs[0], [])
        }
    }
}
