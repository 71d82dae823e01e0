import ZooGraph

/// MobileNet v1 as keras.applications builds it (`mobilenet.py`) with alpha 1.0 and
/// depth_multiplier 1 (Keras names the model `mobilenet_1.00_<rows>`): convolutions without
/// bias, each followed by BatchNormalization (Keras defaults: epsilon 1e-3, momentum 0.99,
/// axis -1) and ReLU(max_value=6); the classifier is a 1x1 convolution on the pooled features.
struct MobileNetBuilder: ArchitectureBuilder {
    var kerasName: String { "MobileNet" }

    /// Pointwise filters and stride of depthwise blocks 1...13.
    static let blocks: [(filters: Int, stride: Int)] = [
        (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
        (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
    ]

    /// The stem, the last block of each resolution, then the pooled features.
    func transferPoints(includeTop: Bool) -> [String] {
        ["conv1_relu"] + [1, 3, 5, 11, 13].map { "conv_pw_\($0)_relu" } + (includeTop ? ["global_average_pooling2d"] : [])
    }

    func build(_ options: ArchitectureOptions) throws -> Graph {
        try options.requireInput(atLeast: 32, for: kerasName)
        let eps = options.batchNormEpsilon ?? 1e-3
        var g = Graph()
        func bn(_ name: String, _ input: String) throws -> String {
            try g.add(name, .batchNormalization(BatchNormAttributes(axis: -1, epsilon: eps)), inputs: [input])
        }
        func relu6(_ name: String, _ input: String) throws -> String {
            try g.add(name, .reluLayer(ReLUAttributes(maxValue: 6)), inputs: [input])
        }
        var x = try g.add("input_layer", .input(shape: options.inputShape))
        x = try g.add("conv1", .conv2D(ConvAttributes(filters: 32, kernel: [3, 3], strides: [2, 2], padding: .same, useBias: false)), inputs: [x])
        x = try relu6("conv1_relu", try bn("conv1_bn", x))
        for (index, block) in Self.blocks.enumerated() {
            let id = index + 1
            if block.stride != 1 {
                x = try g.add("conv_pad_\(id)", .zeroPadding2D(top: 0, bottom: 1, left: 0, right: 1), inputs: [x])
            }
            x = try g.add("conv_dw_\(id)", .depthwiseConv2D(ConvAttributes(filters: 1, kernel: [3, 3], strides: [block.stride, block.stride],
                                                                            padding: block.stride == 1 ? .same : .valid, useBias: false)), inputs: [x])
            x = try relu6("conv_dw_\(id)_relu", try bn("conv_dw_\(id)_bn", x))
            x = try g.add("conv_pw_\(id)", .conv2D(ConvAttributes(filters: block.filters, kernel: [1, 1], padding: .same, useBias: false)), inputs: [x])
            x = try relu6("conv_pw_\(id)_relu", try bn("conv_pw_\(id)_bn", x))
        }
        if options.includeTop {
            x = try g.add("global_average_pooling2d", .globalAveragePooling2DKeepingDims, inputs: [x])
            x = try g.add("dropout", .dropout(rate: 1e-3), inputs: [x])
            x = try g.add("conv_preds", .conv2D(ConvAttributes(filters: options.classes, kernel: [1, 1], padding: .same)), inputs: [x])
            x = try g.add("reshape_2", .reshape(targetShape: [options.classes]), inputs: [x])
            x = try g.add("predictions", .activation(.softmax), inputs: [x])
        } else if options.pooling == .avg {
            x = try g.add("global_average_pooling2d", .globalAveragePooling2D, inputs: [x])
        } else if options.pooling == .max {
            x = try g.add("global_max_pooling2d", .globalMaxPooling2D, inputs: [x])
        }
        g.outputs = [x]
        return g
    }
}
