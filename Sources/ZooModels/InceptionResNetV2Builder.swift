import ZooGraph

/// InceptionResNetV2 as keras.applications builds it (`inception_resnet_v2.py`, default input
/// 299x299). Every `conv2d_bn` is a Conv2D without bias, BatchNormalization(axis=3,
/// scale=False; epsilon 1e-3, momentum 0.99) and a relu Activation, all automatically named
/// (`conv2d_N`, `batch_normalization_N`, `activation_N`) except `conv_7b`. Each residual block
/// concatenates its branches (`<block>_mixed`), projects them with a biased 1x1 conv
/// (`<block>_conv`), adds them to its input through `CustomScaleLayer` (input + scale * up:
/// 0.17 for block35, 0.1 for block17, 0.2 for block8, 1.0 for the last block8) and applies relu
/// (`<block>_ac`), except the last block8, which has no activation.
struct InceptionResNetV2Builder: ArchitectureBuilder {
    var kerasName: String { "InceptionResNetV2" }
    var defaultInputShape: [Int] { [299, 299, 3] }

    /// The stem, the end of each block stack and reduction, the last conv, then the pooled features.
    func transferPoints(includeTop: Bool) -> [String] {
        ["mixed_5b", "block35_10_ac", "mixed_6a", "block17_20_ac", "mixed_7a", "conv_7b_ac"] + (includeTop ? ["avg_pool"] : [])
    }

    func build(_ options: ArchitectureOptions) throws -> Graph {
        try options.requireInput(atLeast: 75, for: kerasName)
        let eps = options.batchNormEpsilon ?? 1e-3
        var g = Graph()
        var auto = KerasAutoNames()
        func conv2dBN(_ input: String, _ filters: Int, _ kernel: [Int], strides: Int = 1, padding: Padding = .same, name: String? = nil) throws -> String {
            var x = try g.add(name ?? auto.next("conv2d"), .conv2D(ConvAttributes(filters: filters, kernel: kernel, strides: [strides, strides],
                                                                                   padding: padding, useBias: false)), inputs: [input])
            x = try g.add(name.map { "\($0)_bn" } ?? auto.next("batch_normalization"),
                          .batchNormalization(BatchNormAttributes(axis: 3, epsilon: eps, scale: false)), inputs: [x])
            return try g.add(name.map { "\($0)_ac" } ?? auto.next("activation"), .activation(.relu), inputs: [x])
        }
        func conv(_ input: String, _ filters: Int, _ size: Int, strides: Int = 1, padding: Padding = .same) throws -> String {
            try conv2dBN(input, filters, [size, size], strides: strides, padding: padding)
        }
        func maxPool(_ input: String, padding: Padding = .valid) throws -> String {
            try g.add(auto.next("max_pooling2d"), .maxPooling2D(PoolAttributes(size: [3, 3], strides: [2, 2], padding: padding)), inputs: [input])
        }
        func block(_ input: String, type: String, index: Int, scale: Double, activation: Bool = true) throws -> String {
            var branches: [String]
            switch type {
            case "block35":
                let b0 = try conv(input, 32, 1)
                let b1 = try conv(try conv(input, 32, 1), 32, 3)
                let b2 = try conv(try conv(try conv(input, 32, 1), 48, 3), 64, 3)
                branches = [b0, b1, b2]
            case "block17":
                let b0 = try conv(input, 192, 1)
                let b1 = try conv2dBN(try conv2dBN(try conv(input, 128, 1), 160, [1, 7]), 192, [7, 1])
                branches = [b0, b1]
            default:  // block8
                let b0 = try conv(input, 192, 1)
                let b1 = try conv2dBN(try conv2dBN(try conv(input, 192, 1), 224, [1, 3]), 256, [3, 1])
                branches = [b0, b1]
            }
            let name = "\(type)_\(index)"
            let mixed = try g.add("\(name)_mixed", .concatenate(axis: 3), inputs: branches)
            let channels = g.node(input)?.outputShape.last ?? 0
            let up = try g.add("\(name)_conv", .conv2D(ConvAttributes(filters: channels, kernel: [1, 1], padding: .same)), inputs: [mixed])
            let x = try g.add(auto.next("custom_scale_layer"), .customScale(scale: scale), inputs: [input, up])
            return activation ? try g.add("\(name)_ac", .activation(.relu), inputs: [x]) : x
        }

        var x = try g.add("input_layer", .input(shape: options.inputShape))
        // Stem.
        x = try conv(x, 32, 3, strides: 2, padding: .valid)
        x = try conv(x, 32, 3, padding: .valid)
        x = try conv(x, 64, 3)
        x = try maxPool(x)
        x = try conv(x, 80, 1, padding: .valid)
        x = try conv(x, 192, 3, padding: .valid)
        x = try maxPool(x)
        // Mixed 5b (Inception-A).
        do {
            let b0 = try conv(x, 96, 1)
            let b1 = try conv(try conv(x, 48, 1), 64, 5)
            let b2 = try conv(try conv(try conv(x, 64, 1), 96, 3), 96, 3)
            let pool = try g.add(auto.next("average_pooling2d"), .averagePooling2D(PoolAttributes(size: [3, 3], strides: [1, 1], padding: .same)), inputs: [x])
            let bp = try conv(pool, 64, 1)
            x = try g.add("mixed_5b", .concatenate(axis: 3), inputs: [b0, b1, b2, bp])
        }
        for index in 1...10 { x = try block(x, type: "block35", index: index, scale: 0.17) }
        // Mixed 6a (Reduction-A).
        do {
            let b0 = try conv(x, 384, 3, strides: 2, padding: .valid)
            let b1 = try conv(try conv(try conv(x, 256, 1), 256, 3), 384, 3, strides: 2, padding: .valid)
            let bp = try maxPool(x)
            x = try g.add("mixed_6a", .concatenate(axis: 3), inputs: [b0, b1, bp])
        }
        for index in 1...20 { x = try block(x, type: "block17", index: index, scale: 0.1) }
        // Mixed 7a (Reduction-B).
        do {
            let b0 = try conv(try conv(x, 256, 1), 384, 3, strides: 2, padding: .valid)
            let b1 = try conv(try conv(x, 256, 1), 288, 3, strides: 2, padding: .valid)
            let b2 = try conv(try conv(try conv(x, 256, 1), 288, 3), 320, 3, strides: 2, padding: .valid)
            let bp = try maxPool(x)
            x = try g.add("mixed_7a", .concatenate(axis: 3), inputs: [b0, b1, b2, bp])
        }
        for index in 1...9 { x = try block(x, type: "block8", index: index, scale: 0.2) }
        x = try block(x, type: "block8", index: 10, scale: 1.0, activation: false)
        x = try conv2dBN(x, 1536, [1, 1], name: "conv_7b")

        try g.addApplicationHead(after: x, options: options, avgPool: "global_average_pooling2d", maxPool: "global_max_pooling2d")
        return try KerasLayerOrder.reordered(g)
    }
}
