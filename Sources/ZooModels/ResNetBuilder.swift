import ZooGraph

/// ResNet v1 as keras.applications builds it (`resnet.py`): stride on the first 1x1 conv of a
/// stage, a bias on every conv, BatchNormalization epsilon 1.001e-5.
struct ResNetBuilder: ArchitectureBuilder {
    let architecture: Architecture
    static let epsilon = 1.001e-5

    var kerasName: String {
        switch architecture {
        case .resnet101: return "ResNet101"
        case .resnet152: return "ResNet152"
        default: return "ResNet50"
        }
    }

    /// Bottleneck blocks per stage (conv2..conv5).
    var stageDepths: [Int] {
        switch architecture {
        case .resnet101: return [3, 4, 23, 3]
        case .resnet152: return [3, 8, 36, 3]
        default: return [3, 4, 6, 3]
        }
    }

    /// The stem, each stage's output, and the pooled features.
    func transferPoints(includeTop: Bool) -> [String] {
        let stages = ["conv1_relu", "pool1_pool"] + stageDepths.enumerated().map { "conv\($0.offset + 2)_block\($0.element)_out" }
        return stages + (includeTop ? ["avg_pool"] : [])
    }

    func build(_ options: ArchitectureOptions) throws -> Graph {
        let eps = options.batchNormEpsilon ?? Self.epsilon
        var g = Graph()
        func bn(_ name: String, _ input: String) throws -> String {
            try g.add(name, .batchNormalization(BatchNormAttributes(axis: 3, epsilon: eps)), inputs: [input])
        }
        var x = try g.add("input_layer", .input(shape: options.inputShape))
        x = try g.add("conv1_pad", .zeroPadding2D(top: 3, bottom: 3, left: 3, right: 3), inputs: [x])
        x = try g.add("conv1_conv", .conv2D(ConvAttributes(filters: 64, kernel: [7, 7], strides: [2, 2])), inputs: [x])
        x = try bn("conv1_bn", x)
        x = try g.add("conv1_relu", .activation(.relu), inputs: [x])
        x = try g.add("pool1_pad", .zeroPadding2D(top: 1, bottom: 1, left: 1, right: 1), inputs: [x])
        x = try g.add("pool1_pool", .maxPooling2D(PoolAttributes(size: [3, 3], strides: [2, 2])), inputs: [x])
        let filters = [64, 128, 256, 512]
        for (stage, blocks) in stageDepths.enumerated() {
            for block in 1...blocks {
                let name = "conv\(stage + 2)_block\(block)"
                let stride = (block == 1 && stage > 0) ? 2 : 1
                let f = filters[stage]
                let input = x
                // model.layers order (Keras orders by graph depth):
                // _1_conv _1_bn _1_relu _2_conv _2_bn _2_relu [_0_conv] _3_conv [_0_bn] _3_bn _add _out
                x = try g.add("\(name)_1_conv", .conv2D(ConvAttributes(filters: f, kernel: [1, 1], strides: [stride, stride])), inputs: [input])
                x = try bn("\(name)_1_bn", x)
                x = try g.add("\(name)_1_relu", .activation(.relu), inputs: [x])
                x = try g.add("\(name)_2_conv", .conv2D(ConvAttributes(filters: f, kernel: [3, 3], padding: .same)), inputs: [x])
                x = try bn("\(name)_2_bn", x)
                x = try g.add("\(name)_2_relu", .activation(.relu), inputs: [x])
                var shortcut = input
                if block == 1 {
                    shortcut = try g.add("\(name)_0_conv", .conv2D(ConvAttributes(filters: 4 * f, kernel: [1, 1], strides: [stride, stride])), inputs: [input])
                }
                x = try g.add("\(name)_3_conv", .conv2D(ConvAttributes(filters: 4 * f, kernel: [1, 1])), inputs: [x])
                if block == 1 { shortcut = try bn("\(name)_0_bn", shortcut) }
                x = try bn("\(name)_3_bn", x)
                x = try g.add("\(name)_add", .add, inputs: [shortcut, x])
                x = try g.add("\(name)_out", .activation(.relu), inputs: [x])
            }
        }
        try g.addApplicationHead(after: x, options: options)
        return g
    }
}
