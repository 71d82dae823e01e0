import ZooGraph

/// ConvNeXtTiny, Small, Base, Large and XLarge as keras.applications builds them
/// (`convnext.py`): ImageNet mean/std Normalization inside the model (`prestem`), a 4x4 stride-4
/// stem and three 2x2 stride-2 downsampling blocks, each a nested `Sequential`, and blocks of a
/// 7x7 per-channel Conv2D (`groups` = channels), LayerNormalization, two Dense layers around an
/// exact gelu, LayerScale and a residual `inputs + x` (an op node, `add`, `add_1`, ...).
///
/// Layer names carry the model name (`convnext_tiny_stage_0_block_0_depthwise_conv`), as Keras's
/// default `name` gives them; the stochastic depth is off (`drop_path_rate=0`), so each block
/// ends in `Activation("linear")` named `<block>_identity`.
struct ConvNeXtBuilder: ArchitectureBuilder {
    let architecture: Architecture

    /// Blocks per stage and channels per stage (Keras's MODEL_CONFIGS).
    var configuration: (depths: [Int], dims: [Int]) {
        switch architecture {
        case .convnextsmall: return ([3, 3, 27, 3], [96, 192, 384, 768])
        case .convnextbase: return ([3, 3, 27, 3], [128, 256, 512, 1024])
        case .convnextlarge: return ([3, 3, 27, 3], [192, 384, 768, 1536])
        case .convnextxlarge: return ([3, 3, 27, 3], [256, 512, 1024, 2048])
        default: return ([3, 3, 9, 3], [96, 192, 384, 768])
        }
    }

    /// Keras's default model name, the prefix of every layer name: `convnext_tiny`, ...
    var modelName: String { "convnext_" + architecture.rawValue.dropFirst("convnext".count) }

    var kerasName: String {
        let size = architecture.rawValue.dropFirst("convnext".count)
        return "ConvNeXt" + (size == "xlarge" ? "XLarge" : size.prefix(1).uppercased() + size.dropFirst())
    }

    /// ImageNet's RGB mean and std in pixels (the prestem Normalization's constants).
    static let prestemMean: [Double] = [0.485 * 255, 0.456 * 255, 0.406 * 255]
    static let prestemVariance: [Double] = [(0.229 * 255) * (0.229 * 255), (0.224 * 255) * (0.224 * 255), (0.225 * 255) * (0.225 * 255)]
    static let layerScaleInit = 1e-6
    static let epsilon = 1e-6

    /// The stem, each stage's last residual add, then the normalized features: under the
    /// classifier (`<model>_head_layernorm`), or the output without the top.
    func transferPoints(includeTop: Bool) -> [String] {
        var points = ["\(modelName)_stem_layernorm"]
        var add = 0
        for depth in configuration.depths {
            add += depth
            points.append(add == 1 ? "add" : "add_\(add - 1)")
        }
        return points + [includeTop ? "\(modelName)_head_layernorm" : "layer_normalization"]
    }

    func build(_ options: ArchitectureOptions) throws -> Graph {
        let (depths, dims) = configuration
        let name = modelName
        var g = Graph()
        func layerNorm(_ layer: String, _ input: String, container: String? = nil) throws -> String {
            try g.add(layer, .layerNormalization(LayerNormAttributes(epsilon: Self.epsilon)), inputs: [input], container: container)
        }
        var x = try g.add("input_layer", .input(shape: options.inputShape))
        if options.inputShape.last == 3 {
            x = try g.add("\(name)_prestem_normalization", .normalization(NormalizationAttributes(mean: Self.prestemMean, variance: Self.prestemVariance)),
                          inputs: [x])
        }
        let stem = "\(name)_stem"
        x = try g.add("\(name)_stem_conv", .conv2D(ConvAttributes(filters: dims[0], kernel: [4, 4], strides: [4, 4])), inputs: [x], container: stem)
        x = try layerNorm("\(name)_stem_layernorm", x, container: stem)
        var adds = 0
        for stage in 0..<4 {
            if stage > 0 {
                let block = "\(name)_downsampling_block_\(stage - 1)"
                x = try layerNorm("\(name)_downsampling_layernorm_\(stage - 1)", x, container: block)
                x = try g.add("\(name)_downsampling_conv_\(stage - 1)", .conv2D(ConvAttributes(filters: dims[stage], kernel: [2, 2], strides: [2, 2])),
                              inputs: [x], container: block)
            }
            let dim = dims[stage]
            for index in 0..<depths[stage] {
                let prefix = "\(name)_stage_\(stage)_block_\(index)"
                let input = x
                x = try g.add("\(prefix)_depthwise_conv", .conv2D(ConvAttributes(filters: dim, kernel: [7, 7], padding: .same, groups: dim)), inputs: [x])
                x = try layerNorm("\(prefix)_layernorm", x)
                x = try g.add("\(prefix)_pointwise_conv_1", .dense(DenseAttributes(units: 4 * dim)), inputs: [x])
                x = try g.add("\(prefix)_gelu", .activation(.gelu), inputs: [x])
                x = try g.add("\(prefix)_pointwise_conv_2", .dense(DenseAttributes(units: dim)), inputs: [x])
                x = try g.add("\(prefix)_layer_scale", .layerScale(initValue: Self.layerScaleInit), inputs: [x])
                x = try g.add("\(prefix)_identity", .activation(.linear), inputs: [x])
                x = try g.add(adds == 0 ? "add" : "add_\(adds)", .tensorArithmetic(.add), inputs: [input, x])
                adds += 1
            }
        }
        if options.includeTop {
            x = try g.add("\(name)_head_gap", .globalAveragePooling2D, inputs: [x])
            x = try layerNorm("\(name)_head_layernorm", x)
            x = try g.add("\(name)_head_dense", .dense(DenseAttributes(units: options.classes, activation: .softmax)), inputs: [x])
        } else {
            if options.pooling == .avg { x = try g.add("global_average_pooling2d", .globalAveragePooling2D, inputs: [x]) }
            if options.pooling == .max { x = try g.add("global_max_pooling2d", .globalMaxPooling2D, inputs: [x]) }
            x = try layerNorm("layer_normalization", x)
        }
        g.outputs = [x]
        return g
    }
}
