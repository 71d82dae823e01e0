import ZooGraph

/// MobileNetV2 as keras.applications builds it (`mobilenet_v2.py`) with alpha 1.0 (Keras names
/// the model `mobilenetv2_1.00_<rows>`): inverted residual blocks of expand (1x1), depthwise
/// (3x3) and project (1x1) convolutions without bias, BatchNormalization with epsilon 1e-3 and
/// momentum 0.999, ReLU(max_value=6) after expand and depthwise, and an Add when a block keeps
/// its shape. A stride-2 block pads with `imagenet_utils.correct_pad` (one more pixel at the
/// top/left when that side's size is odd).
struct MobileNetV2Builder: ArchitectureBuilder {
    var kerasName: String { "MobileNetV2" }

    /// Output filters, stride and expansion of blocks 0...16 (`_make_divisible(f, 8)` is `f`
    /// itself at alpha 1.0).
    static let blocks: [(filters: Int, stride: Int, expansion: Int)] = [
        (16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6), (64, 1, 6),
        (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6),
    ]

    /// The stem, the last block of each resolution, the last conv, then the pooled features.
    func transferPoints(includeTop: Bool) -> [String] {
        ["Conv1_relu", "expanded_conv_project_BN", "block_2_add", "block_5_add", "block_12_add", "block_15_add", "out_relu"]
            + (includeTop ? ["global_average_pooling2d"] : [])
    }

    func build(_ options: ArchitectureOptions) throws -> Graph {
        try options.requireInput(atLeast: 32, for: kerasName)
        let eps = options.batchNormEpsilon ?? 1e-3
        var g = Graph()
        func bn(_ name: String, _ input: String) throws -> String {
            try g.add(name, .batchNormalization(BatchNormAttributes(axis: -1, epsilon: eps, momentum: 0.999)), inputs: [input])
        }
        func relu6(_ name: String, _ input: String) throws -> String {
            try g.add(name, .reluLayer(ReLUAttributes(maxValue: 6)), inputs: [input])
        }
        func conv1x1(_ name: String, _ filters: Int, _ input: String, padding: Padding = .same) throws -> String {
            try g.add(name, .conv2D(ConvAttributes(filters: filters, kernel: [1, 1], padding: padding, useBias: false)), inputs: [input])
        }
        var x = try g.add("input_layer", .input(shape: options.inputShape))
        x = try g.add("Conv1", .conv2D(ConvAttributes(filters: 32, kernel: [3, 3], strides: [2, 2], padding: .same, useBias: false)), inputs: [x])
        x = try relu6("Conv1_relu", try bn("bn_Conv1", x))
        for (id, block) in Self.blocks.enumerated() {
            let input = x
            let inChannels = try shape(g, input).last ?? 0
            var prefix = "block_\(id)_"
            if id > 0 {
                x = try conv1x1("\(prefix)expand", block.expansion * inChannels, x)
                x = try relu6("\(prefix)expand_relu", try bn("\(prefix)expand_BN", x))
            } else {
                prefix = "expanded_conv_"
            }
            if block.stride == 2 {
                x = try g.add("\(prefix)pad", KerasApplications.correctPad(try shape(g, x), kernel: 3), inputs: [x])
            }
            x = try g.add("\(prefix)depthwise", .depthwiseConv2D(ConvAttributes(filters: 1, kernel: [3, 3], strides: [block.stride, block.stride],
                                                                                 padding: block.stride == 1 ? .same : .valid, useBias: false)), inputs: [x])
            x = try relu6("\(prefix)depthwise_relu", try bn("\(prefix)depthwise_BN", x))
            x = try conv1x1("\(prefix)project", block.filters, x)
            x = try bn("\(prefix)project_BN", x)
            if inChannels == block.filters && block.stride == 1 {
                x = try g.add("\(prefix)add", .add, inputs: [input, x])
            }
        }
        x = try conv1x1("Conv_1", 1280, x, padding: .valid)
        x = try relu6("out_relu", try bn("Conv_1_bn", x))
        try g.addApplicationHead(after: x, options: options, topPool: "global_average_pooling2d",
                                 avgPool: "global_average_pooling2d", maxPool: "global_max_pooling2d")
        return try KerasLayerOrder.reordered(g)
    }

    private func shape(_ g: Graph, _ name: String) throws -> [Int] {
        guard let node = g.node(name) else { throw GraphError.unknownNode(name) }
        return node.outputShape
    }
}
