import ZooGraph

/// ResNet50V2 / 101V2 / 152V2 as keras.applications builds them (`resnet.py`, preact=True):
/// pre-activation blocks, the stride on the *last* block of a stage (3x3 conv, explicit
/// `_2_pad`), the identity shortcut of that block an unnamed MaxPooling2D(1, stride 2)
/// (`max_pooling2d`, `max_pooling2d_1`, ...), no bias on `_1_conv`/`_2_conv` (bias on `conv1_conv`,
/// `_0_conv` and `_3_conv`), `post_bn` + `post_relu` before the top, BatchNormalization epsilon
/// 1.001e-5.
struct ResNetV2Builder: ArchitectureBuilder {
    let architecture: Architecture
    static let epsilon = 1.001e-5

    var kerasName: String {
        switch architecture {
        case .resnet101v2: return "ResNet101V2"
        case .resnet152v2: return "ResNet152V2"
        default: return "ResNet50V2"
        }
    }

    /// Residual blocks per stage (conv2..conv5).
    var stageDepths: [Int] {
        switch architecture {
        case .resnet101v2: return [3, 4, 23, 3]
        case .resnet152v2: return [3, 8, 36, 3]
        default: return [3, 4, 6, 3]
        }
    }

    /// The stem pool, each stage's output (conv5's after `post_relu`), then the pooled features.
    func transferPoints(includeTop: Bool) -> [String] {
        let stages = ["pool1_pool"] + stageDepths.dropLast().enumerated().map { "conv\($0.offset + 2)_block\($0.element)_out" }
        return stages + ["post_relu"] + (includeTop ? ["avg_pool"] : [])
    }

    func build(_ options: ArchitectureOptions) throws -> Graph {
        let eps = options.batchNormEpsilon ?? Self.epsilon
        var b = KerasFunctionalBuilder()
        func bn(_ name: String, _ input: String) throws -> String {
            try b.add(name, .batchNormalization(BatchNormAttributes(axis: 3, epsilon: eps)), inputs: [input])
        }
        func conv(_ name: String, _ filters: Int, _ kernel: Int, _ input: String, strides: Int = 1, bias: Bool) throws -> String {
            try b.add(name, .conv2D(ConvAttributes(filters: filters, kernel: [kernel, kernel], strides: [strides, strides], useBias: bias)), inputs: [input])
        }
        var x = try b.add("input_layer", .input(shape: options.inputShape))
        x = try b.add("conv1_pad", .zeroPadding2D(top: 3, bottom: 3, left: 3, right: 3), inputs: [x])
        x = try conv("conv1_conv", 64, 7, x, strides: 2, bias: true)
        x = try b.add("pool1_pad", .zeroPadding2D(top: 1, bottom: 1, left: 1, right: 1), inputs: [x])
        x = try b.add("pool1_pool", .maxPooling2D(PoolAttributes(size: [3, 3], strides: [2, 2])), inputs: [x])
        let filters = [64, 128, 256, 512]
        for (stage, blocks) in stageDepths.enumerated() {
            let f = filters[stage]
            for block in 1...blocks {
                let name = "conv\(stage + 2)_block\(block)"
                // The last block of every stage but conv5 has stride 2.
                let stride = (block == blocks && stage < stageDepths.count - 1) ? 2 : 1
                var preact = try bn("\(name)_preact_bn", x)
                preact = try b.add("\(name)_preact_relu", .activation(.relu), inputs: [preact])
                let shortcut: String
                if block == 1 {
                    shortcut = try conv("\(name)_0_conv", 4 * f, 1, preact, strides: stride, bias: true)
                } else if stride > 1 {
                    shortcut = try b.add(nil, .maxPooling2D(PoolAttributes(size: [1, 1], strides: [stride, stride])), inputs: [x])
                } else {
                    shortcut = x
                }
                var y = try conv("\(name)_1_conv", f, 1, preact, bias: false)
                y = try bn("\(name)_1_bn", y)
                y = try b.add("\(name)_1_relu", .activation(.relu), inputs: [y])
                y = try b.add("\(name)_2_pad", .zeroPadding2D(top: 1, bottom: 1, left: 1, right: 1), inputs: [y])
                y = try conv("\(name)_2_conv", f, 3, y, strides: stride, bias: false)
                y = try bn("\(name)_2_bn", y)
                y = try b.add("\(name)_2_relu", .activation(.relu), inputs: [y])
                y = try conv("\(name)_3_conv", 4 * f, 1, y, bias: true)
                x = try b.add("\(name)_out", .add, inputs: [shortcut, y])
            }
        }
        x = try bn("post_bn", x)
        x = try b.add("post_relu", .activation(.relu), inputs: [x])
        x = try ApplicationTop.add(to: &b, after: x, options: options, namedPooling: true)
        return try b.graph(output: x)
    }
}
