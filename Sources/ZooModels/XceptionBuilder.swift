import ZooGraph

/// Xception as keras.applications builds it (`xception.py`, default input 299x299): no conv has
/// a bias, every BatchNormalization keeps Keras's defaults (epsilon 1e-3, momentum 0.99,
/// axis -1). Entry-flow blocks 2-4 and exit block 13 add a strided 1x1 projection (automatically
/// named `conv2d`, `batch_normalization`, `add`, ...) to their max-pooled output; middle-flow
/// blocks 5-12 add their input.
struct XceptionBuilder: ArchitectureBuilder {
    var kerasName: String { "Xception" }
    var defaultInputShape: [Int] { [299, 299, 3] }

    /// The stem, each entry-flow block's sum, the middle flow's end, the exit flow, then the
    /// pooled features.
    func transferPoints(includeTop: Bool) -> [String] {
        ["block1_conv2_act", "add", "add_1", "add_2", "add_10", "add_11", "block14_sepconv2_act"] + (includeTop ? ["avg_pool"] : [])
    }

    func build(_ options: ArchitectureOptions) throws -> Graph {
        try options.requireInput(atLeast: 71, for: kerasName)
        let eps = options.batchNormEpsilon ?? 1e-3
        var g = Graph()
        var auto = KerasAutoNames()
        func bn(_ name: String, _ input: String) throws -> String {
            try g.add(name, .batchNormalization(BatchNormAttributes(axis: -1, epsilon: eps)), inputs: [input])
        }
        func relu(_ name: String, _ input: String) throws -> String {
            try g.add(name, .activation(.relu), inputs: [input])
        }
        func sepconv(_ name: String, _ filters: Int, _ input: String) throws -> String {
            try g.add(name, .separableConv2D(SeparableConvAttributes(filters: filters, kernel: [3, 3], padding: .same, useBias: false)), inputs: [input])
        }
        /// The strided 1x1 projection of an entry/exit block (Keras creates it before the block).
        func residual(_ filters: Int, _ input: String) throws -> String {
            let conv = try g.add(auto.next("conv2d"), .conv2D(ConvAttributes(filters: filters, kernel: [1, 1], strides: [2, 2], padding: .same, useBias: false)),
                                 inputs: [input])
            return try bn(auto.next("batch_normalization"), conv)
        }
        func pool(_ name: String, _ input: String) throws -> String {
            try g.add(name, .maxPooling2D(PoolAttributes(size: [3, 3], strides: [2, 2], padding: .same)), inputs: [input])
        }

        var x = try g.add("input_layer", .input(shape: options.inputShape))
        x = try g.add("block1_conv1", .conv2D(ConvAttributes(filters: 32, kernel: [3, 3], strides: [2, 2], useBias: false)), inputs: [x])
        x = try relu("block1_conv1_act", try bn("block1_conv1_bn", x))
        x = try g.add("block1_conv2", .conv2D(ConvAttributes(filters: 64, kernel: [3, 3], useBias: false)), inputs: [x])
        x = try relu("block1_conv2_act", try bn("block1_conv2_bn", x))

        // Entry flow: block 2 has no activation before its first separable conv.
        for (block, filters) in [(2, 128), (3, 256), (4, 728)] {
            let shortcut = try residual(filters, x)
            let p = "block\(block)"
            if block > 2 { x = try relu("\(p)_sepconv1_act", x) }
            x = try bn("\(p)_sepconv1_bn", try sepconv("\(p)_sepconv1", filters, x))
            x = try relu("\(p)_sepconv2_act", x)
            x = try bn("\(p)_sepconv2_bn", try sepconv("\(p)_sepconv2", filters, x))
            x = try pool("\(p)_pool", x)
            x = try g.add(auto.next("add"), .add, inputs: [x, shortcut])
        }
        // Middle flow.
        for block in 5...12 {
            let shortcut = x
            let p = "block\(block)"
            for conv in 1...3 {
                x = try relu("\(p)_sepconv\(conv)_act", x)
                x = try bn("\(p)_sepconv\(conv)_bn", try sepconv("\(p)_sepconv\(conv)", 728, x))
            }
            x = try g.add(auto.next("add"), .add, inputs: [x, shortcut])
        }
        // Exit flow.
        let shortcut = try residual(1024, x)
        x = try relu("block13_sepconv1_act", x)
        x = try bn("block13_sepconv1_bn", try sepconv("block13_sepconv1", 728, x))
        x = try relu("block13_sepconv2_act", x)
        x = try bn("block13_sepconv2_bn", try sepconv("block13_sepconv2", 1024, x))
        x = try pool("block13_pool", x)
        x = try g.add(auto.next("add"), .add, inputs: [x, shortcut])
        x = try relu("block14_sepconv1_act", try bn("block14_sepconv1_bn", try sepconv("block14_sepconv1", 1536, x)))
        x = try relu("block14_sepconv2_act", try bn("block14_sepconv2_bn", try sepconv("block14_sepconv2", 2048, x)))

        try g.addApplicationHead(after: x, options: options, avgPool: "global_average_pooling2d", maxPool: "global_max_pooling2d")
        return try KerasLayerOrder.reordered(g)
    }
}
