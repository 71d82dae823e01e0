import ZooGraph

/// DenseNet121 / 169 / 201 as keras.applications builds them (`densenet.py`): growth rate 32,
/// compression 0.5 at each transition, no conv biases, BatchNormalization epsilon 1.001e-5 on
/// axis 3 (scale and center on). The two stem ZeroPadding2D layers are unnamed in Keras
/// (`zero_padding2d`, `zero_padding2d_1`).
struct DenseNetBuilder: ArchitectureBuilder {
    let architecture: Architecture
    static let epsilon = 1.001e-5
    static let growthRate = 32

    var kerasName: String {
        switch architecture {
        case .densenet169: return "DenseNet169"
        case .densenet201: return "DenseNet201"
        default: return "DenseNet121"
        }
    }

    /// Conv blocks per dense block (conv2..conv5).
    var blocks: [Int] {
        switch architecture {
        case .densenet169: return [6, 12, 32, 32]
        case .densenet201: return [6, 12, 48, 32]
        default: return [6, 12, 24, 16]
        }
    }

    /// The stem pool, each transition's pool, the final relu, then the pooled features.
    func transferPoints(includeTop: Bool) -> [String] {
        ["conv1_relu", "pool1", "pool2_pool", "pool3_pool", "pool4_pool", "relu"] + (includeTop ? ["avg_pool"] : [])
    }

    func build(_ options: ArchitectureOptions) throws -> Graph {
        let eps = options.batchNormEpsilon ?? Self.epsilon
        var b = KerasFunctionalBuilder()
        func bn(_ name: String, _ input: String) throws -> String {
            try b.add(name, .batchNormalization(BatchNormAttributes(axis: 3, epsilon: eps)), inputs: [input])
        }
        func conv(_ name: String, _ filters: Int, _ kernel: Int, _ input: String, strides: Int = 1, padding: Padding = .valid) throws -> String {
            try b.add(name, .conv2D(ConvAttributes(filters: filters, kernel: [kernel, kernel], strides: [strides, strides], padding: padding, useBias: false)), inputs: [input])
        }
        var x = try b.add("input_layer", .input(shape: options.inputShape))
        x = try b.add(nil, .zeroPadding2D(top: 3, bottom: 3, left: 3, right: 3), inputs: [x])
        x = try conv("conv1_conv", 64, 7, x, strides: 2)
        x = try bn("conv1_bn", x)
        x = try b.add("conv1_relu", .activation(.relu), inputs: [x])
        x = try b.add(nil, .zeroPadding2D(top: 1, bottom: 1, left: 1, right: 1), inputs: [x])
        x = try b.add("pool1", .maxPooling2D(PoolAttributes(size: [3, 3], strides: [2, 2])), inputs: [x])
        var channels = 64
        for (stage, count) in blocks.enumerated() {
            for block in 1...count {
                let name = "conv\(stage + 2)_block\(block)"
                var y = try bn("\(name)_0_bn", x)
                y = try b.add("\(name)_0_relu", .activation(.relu), inputs: [y])
                y = try conv("\(name)_1_conv", 4 * Self.growthRate, 1, y)
                y = try bn("\(name)_1_bn", y)
                y = try b.add("\(name)_1_relu", .activation(.relu), inputs: [y])
                y = try conv("\(name)_2_conv", Self.growthRate, 3, y, padding: .same)
                x = try b.add("\(name)_concat", .concatenate(axis: 3), inputs: [x, y])
                channels += Self.growthRate
            }
            if stage < blocks.count - 1 {
                let name = "pool\(stage + 2)"
                x = try bn("\(name)_bn", x)
                x = try b.add("\(name)_relu", .activation(.relu), inputs: [x])
                // int(channels * 0.5)
                channels = channels / 2
                x = try conv("\(name)_conv", channels, 1, x)
                x = try b.add("\(name)_pool", .averagePooling2D(PoolAttributes(size: [2, 2], strides: [2, 2])), inputs: [x])
            }
        }
        x = try bn("bn", x)
        x = try b.add("relu", .activation(.relu), inputs: [x])
        x = try ApplicationTop.add(to: &b, after: x, options: options, namedPooling: true)
        return try b.graph(output: x)
    }
}
