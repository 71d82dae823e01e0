import ZooGraph

/// VGG16 / VGG19 as keras.applications builds them (`vgg16.py`, `vgg19.py`).
struct VGGBuilder: ArchitectureBuilder {
    let architecture: Architecture

    var kerasName: String { architecture == .vgg19 ? "VGG19" : "VGG16" }

    /// Convolutions per block (block1..block5).
    var stageDepths: [Int] { architecture == .vgg19 ? [2, 2, 4, 4, 4] : [2, 2, 3, 3, 3] }

    /// Each block's pool, then the fully connected layers.
    func transferPoints(includeTop: Bool) -> [String] {
        (1...5).map { "block\($0)_pool" } + (includeTop ? ["fc1", "fc2"] : [])
    }

    func build(_ options: ArchitectureOptions) throws -> Graph {
        var g = Graph()
        var x = try g.add("input_layer", .input(shape: options.inputShape))
        let filters = [64, 128, 256, 512, 512]
        for (block, convs) in stageDepths.enumerated() {
            for conv in 1...convs {
                x = try g.add("block\(block + 1)_conv\(conv)",
                              .conv2D(ConvAttributes(filters: filters[block], kernel: [3, 3], padding: .same, activation: .relu)), inputs: [x])
            }
            x = try g.add("block\(block + 1)_pool", .maxPooling2D(PoolAttributes(size: [2, 2], strides: [2, 2])), inputs: [x])
        }
        if options.includeTop {
            x = try g.add("flatten", .flatten, inputs: [x])
            x = try g.add("fc1", .dense(DenseAttributes(units: 4096, activation: .relu)), inputs: [x])
            x = try g.add("fc2", .dense(DenseAttributes(units: 4096, activation: .relu)), inputs: [x])
            x = try g.add("predictions", .dense(DenseAttributes(units: options.classes, activation: .softmax)), inputs: [x])
        } else if options.pooling == .avg {
            x = try g.add("global_average_pooling2d", .globalAveragePooling2D, inputs: [x])
        } else if options.pooling == .max {
            x = try g.add("global_max_pooling2d", .globalMaxPooling2D, inputs: [x])
        }
        g.outputs = [x]
        return g
    }
}
