import ZooGraph

/// EfficientNetV2B0-B3, S, M and L as keras.applications builds them (`efficientnet_v2.py`):
/// preprocessing inside the model (B variants: Rescaling(1/255) + Normalization with ImageNet
/// constants; S/M/L: Rescaling(1/128, -1)), Fused-MBConv stages then MBConv stages with
/// squeeze-and-excitation, silu, BatchNormalization momentum 0.9.
struct EfficientNetV2Builder: ArchitectureBuilder {
    let architecture: Architecture

    /// kernel, repeats, filters in, filters out, expand ratio, SE ratio, strides, fused.
    typealias Stage = (kernel: Int, repeats: Int, filtersIn: Int, filtersOut: Int, expand: Int, se: Double, strides: Int, fused: Bool)

    private static let b: [Stage] = [
        (3, 1, 32, 16, 1, 0, 1, true), (3, 2, 16, 32, 4, 0, 2, true), (3, 2, 32, 48, 4, 0, 2, true),
        (3, 3, 48, 96, 4, 0.25, 2, false), (3, 5, 96, 112, 6, 0.25, 1, false), (3, 8, 112, 192, 6, 0.25, 2, false),
    ]
    private static let s: [Stage] = [
        (3, 2, 24, 24, 1, 0, 1, true), (3, 4, 24, 48, 4, 0, 2, true), (3, 4, 48, 64, 4, 0, 2, true),
        (3, 6, 64, 128, 4, 0.25, 2, false), (3, 9, 128, 160, 6, 0.25, 1, false), (3, 15, 160, 256, 6, 0.25, 2, false),
    ]
    private static let m: [Stage] = [
        (3, 3, 24, 24, 1, 0, 1, true), (3, 5, 24, 48, 4, 0, 2, true), (3, 5, 48, 80, 4, 0, 2, true),
        (3, 7, 80, 160, 4, 0.25, 2, false), (3, 14, 160, 176, 6, 0.25, 1, false), (3, 18, 176, 304, 6, 0.25, 2, false),
        (3, 5, 304, 512, 6, 0.25, 1, false),
    ]
    private static let l: [Stage] = [
        (3, 4, 32, 32, 1, 0, 1, true), (3, 7, 32, 64, 4, 0, 2, true), (3, 7, 64, 96, 4, 0, 2, true),
        (3, 10, 96, 192, 4, 0.25, 2, false), (3, 19, 192, 224, 6, 0.25, 1, false), (3, 25, 224, 384, 6, 0.25, 2, false),
        (3, 7, 384, 640, 6, 0.25, 1, false),
    ]

    /// Stages, width and depth coefficients, default input size.
    private var variant: (stages: [Stage], width: Double, depth: Double, size: Int) {
        switch architecture {
        case .efficientnetv2b1: return (Self.b, 1.0, 1.1, 240)
        case .efficientnetv2b2: return (Self.b, 1.1, 1.2, 260)
        case .efficientnetv2b3: return (Self.b, 1.2, 1.4, 300)
        case .efficientnetv2s: return (Self.s, 1.0, 1.0, 384)
        case .efficientnetv2m: return (Self.m, 1.0, 1.0, 480)
        case .efficientnetv2l: return (Self.l, 1.0, 1.0, 480)
        default: return (Self.b, 1.0, 1.0, 224)
        }
    }

    var kerasName: String { "EfficientNetV2" + architecture.rawValue.dropFirst("efficientnetv2".count).uppercased() }
    var defaultInputShape: [Int] { [variant.size, variant.size, 3] }
    private var isB: Bool { architecture.rawValue.dropFirst("efficientnetv2".count).hasPrefix("b") }

    private func roundFilters(_ filters: Int) -> Int {
        let scaled = Double(filters) * variant.width
        return max(8, Int(scaled + 4) / 8 * 8)
    }

    private func roundRepeats(_ repeats: Int) -> Int { Int((variant.depth * Double(repeats)).rounded(.up)) }

    /// The stem, each stage's last block, the top activation, then the pooled features.
    func transferPoints(includeTop: Bool) -> [String] {
        var points = ["stem_activation"]
        for (index, stage) in variant.stages.enumerated() {
            let repeats = roundRepeats(stage.repeats)
            let name = "block\(index + 1)\(KerasApplications.blockLetter(repeats - 1))_"
            let residual = repeats > 1 || (stage.strides == 1 && stage.filtersIn == stage.filtersOut)
            points.append(residual ? name + "add" : name + (stage.fused && stage.expand == 1 ? "project_activation" : "project_bn"))
        }
        return points + ["top_activation"] + (includeTop ? ["avg_pool"] : [])
    }

    func build(_ options: ArchitectureOptions) throws -> Graph {
        var g = Graph()
        func bn(_ name: String, _ input: String) throws -> String {
            try g.add(name, .batchNormalization(BatchNormAttributes(axis: 3, epsilon: 1e-3, momentum: 0.9)), inputs: [input])
        }
        func silu(_ name: String, _ input: String) throws -> String { try g.add(name, .activation(.silu), inputs: [input]) }
        func conv(_ name: String, _ input: String, filters: Int, kernel: Int, strides: Int = 1, activation: Activation = .linear, bias: Bool = false) throws -> String {
            try g.add(name, .conv2D(ConvAttributes(filters: filters, kernel: [kernel, kernel], strides: [strides, strides], padding: .same,
                                                   useBias: bias, activation: activation)), inputs: [input])
        }
        var x = try g.add("input_layer", .input(shape: options.inputShape))
        if isB && options.inputShape.last == 3 {
            x = try g.add("rescaling", .rescaling(scale: 1.0 / 255, offset: 0), inputs: [x])
            x = try g.add("normalization", .normalization(NormalizationAttributes(mean: [0.485, 0.456, 0.406],
                                                                                  variance: [0.229 * 0.229, 0.224 * 0.224, 0.225 * 0.225])), inputs: [x])
        } else {
            x = try g.add("rescaling", .rescaling(scale: 1.0 / 128, offset: -1), inputs: [x])
        }
        let stages = variant.stages
        x = try conv("stem_conv", x, filters: roundFilters(stages[0].filtersIn), kernel: 3, strides: 2)
        x = try bn("stem_bn", x)
        x = try silu("stem_activation", x)

        let total = Double(stages.reduce(0) { $0 + $1.repeats })
        var blockIndex = 0
        for (stageIndex, stage) in stages.enumerated() {
            var filtersIn = roundFilters(stage.filtersIn)
            let filtersOut = roundFilters(stage.filtersOut)
            for repeatIndex in 0..<roundRepeats(stage.repeats) {
                let strides = repeatIndex == 0 ? stage.strides : 1
                if repeatIndex > 0 { filtersIn = filtersOut }
                let name = "block\(stageIndex + 1)\(KerasApplications.blockLetter(repeatIndex))_"
                let dropRate = 0.2 * Double(blockIndex) / total
                let input = x
                let filters = filtersIn * stage.expand
                if stage.expand != 1 {
                    x = try conv(name + "expand_conv", x, filters: filters, kernel: stage.fused ? stage.kernel : 1, strides: stage.fused ? strides : 1)
                    x = try bn(name + "expand_bn", x)
                    x = try silu(name + "expand_activation", x)
                }
                if !stage.fused {
                    x = try g.add(name + "dwconv2", .depthwiseConv2D(ConvAttributes(filters: 1, kernel: [stage.kernel, stage.kernel], strides: [strides, strides],
                                                                                    padding: .same, useBias: false)), inputs: [x])
                    x = try bn(name + "bn", x)
                    x = try silu(name + "activation", x)
                }
                if stage.se > 0 {
                    let filtersSE = max(1, Int(Double(filtersIn) * stage.se))
                    var se = try g.add(name + "se_squeeze", .globalAveragePooling2D, inputs: [x])
                    se = try g.add(name + "se_reshape", .reshape(targetShape: [1, 1, filters]), inputs: [se])
                    se = try conv(name + "se_reduce", se, filters: filtersSE, kernel: 1, activation: .silu, bias: true)
                    se = try conv(name + "se_expand", se, filters: filters, kernel: 1, activation: .sigmoid, bias: true)
                    x = try g.add(name + "se_excite", .multiply, inputs: [x, se])
                }
                let fusedWithoutExpansion = stage.fused && stage.expand == 1
                x = try conv(name + "project_conv", x, filters: filtersOut, kernel: fusedWithoutExpansion ? stage.kernel : 1,
                             strides: fusedWithoutExpansion ? strides : 1)
                x = try bn(name + "project_bn", x)
                if fusedWithoutExpansion { x = try silu(name + "project_activation", x) }
                if strides == 1 && filtersIn == filtersOut {
                    if dropRate > 0 { x = try g.add(name + "drop", .dropoutWithNoiseShape(rate: dropRate, noiseShape: [nil, 1, 1, 1]), inputs: [x]) }
                    x = try g.add(name + "add", .add, inputs: [x, input])
                }
                blockIndex += 1
            }
        }
        x = try conv("top_conv", x, filters: roundFilters(1280), kernel: 1)
        x = try bn("top_bn", x)
        x = try silu("top_activation", x)
        try g.addApplicationHead(after: x, options: options, dropout: ("top_dropout", 0.2))
        return g
    }
}
