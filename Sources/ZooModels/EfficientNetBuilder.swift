import Foundation
import ZooGraph

/// EfficientNetB0-B7 as keras.applications builds them (`efficientnet.py`): a Rescaling(1/255)
/// and Normalization stem inside the model, MBConv blocks with squeeze-and-excitation and silu,
/// widths and depths scaled per variant, drop-connect Dropout on the residual branches.
struct EfficientNetBuilder: ArchitectureBuilder {
    /// keras.applications' `IMAGENET_STDDEV_RGB`.
    static let imagenetStdRGB: [Double] = [0.229, 0.224, 0.225]

    let architecture: Architecture

    /// Width and depth coefficients, default input size and top dropout per variant.
    private var scaling: (width: Double, depth: Double, size: Int, dropout: Double) {
        switch architecture {
        case .efficientnetb1: return (1.0, 1.1, 240, 0.2)
        case .efficientnetb2: return (1.1, 1.2, 260, 0.3)
        case .efficientnetb3: return (1.2, 1.4, 300, 0.3)
        case .efficientnetb4: return (1.4, 1.8, 380, 0.4)
        case .efficientnetb5: return (1.6, 2.2, 456, 0.4)
        case .efficientnetb6: return (1.8, 2.6, 528, 0.5)
        case .efficientnetb7: return (2.0, 3.1, 600, 0.5)
        default: return (1.0, 1.0, 224, 0.2)
        }
    }

    var kerasName: String { "EfficientNet" + architecture.rawValue.dropFirst("efficientnet".count).uppercased() }
    var defaultInputShape: [Int] { [scaling.size, scaling.size, 3] }

    /// Keras's DEFAULT_BLOCKS_ARGS: kernel, repeats, filters in, filters out, expand ratio, strides.
    private static let stages: [(kernel: Int, repeats: Int, filtersIn: Int, filtersOut: Int, expand: Int, strides: Int)] = [
        (3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2), (3, 3, 40, 80, 6, 2),
        (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2), (3, 1, 192, 320, 6, 1),
    ]
    private static let seRatio = 0.25
    private static let dropConnectRate = 0.2

    private func roundFilters(_ filters: Int) -> Int { KerasApplications.makeDivisible(Double(filters) * scaling.width) }

    private func roundRepeats(_ repeats: Int) -> Int { Int((scaling.depth * Double(repeats)).rounded(.up)) }

    /// Each stage's last block output, the stem and the top activation, then the pooled features.
    func transferPoints(includeTop: Bool) -> [String] {
        var points = ["stem_activation"]
        for (index, stage) in Self.stages.enumerated() {
            let repeats = roundRepeats(stage.repeats)
            let letter = Character(UnicodeScalar(UInt8(96 + repeats)))
            let last = "block\(index + 1)\(letter)_"
            points.append(repeats > 1 ? last + "add" : last + "project_bn")
        }
        return points + ["top_activation"] + (includeTop ? ["avg_pool"] : [])
    }

    func build(_ options: ArchitectureOptions) throws -> Graph {
        var g = Graph()
        func bn(_ name: String, _ input: String) throws -> String {
            try g.add(name, .batchNormalization(BatchNormAttributes(axis: 3, epsilon: 1e-3)), inputs: [input])
        }
        func silu(_ name: String, _ input: String) throws -> String { try g.add(name, .activation(.silu), inputs: [input]) }
        func correctPad(_ input: String, kernel: Int) -> Op { KerasApplications.correctPad(g.node(input)?.outputShape ?? [], kernel: kernel) }
        var x = try g.add("input_layer", .input(shape: options.inputShape))
        x = try g.add("rescaling", .rescaling(scale: 1.0 / 255.0, offset: 0), inputs: [x])
        x = try g.add("normalization", .normalization(NormalizationAttributes()), inputs: [x])
        if options.imagenetRescaling == true {
            // weights="imagenet": Rescaling([1 / sqrt(s) for s in IMAGENET_STDDEV_RGB]).
            x = try g.add("rescaling_1", .channelRescaling(scale: Self.imagenetStdRGB.map { 1 / $0.squareRoot() }, offset: [0]), inputs: [x])
        }
        x = try g.add("stem_conv_pad", correctPad(x, kernel: 3), inputs: [x])
        x = try g.add("stem_conv", .conv2D(ConvAttributes(filters: roundFilters(32), kernel: [3, 3], strides: [2, 2], useBias: false)), inputs: [x])
        x = try bn("stem_bn", x)
        x = try silu("stem_activation", x)

        let total = Double(Self.stages.reduce(0) { $0 + roundRepeats($1.repeats) })
        var blockIndex = 0
        for (stageIndex, stage) in Self.stages.enumerated() {
            var filtersIn = roundFilters(stage.filtersIn)
            let filtersOut = roundFilters(stage.filtersOut)
            for repeatIndex in 0..<roundRepeats(stage.repeats) {
                let strides = repeatIndex == 0 ? stage.strides : 1
                if repeatIndex > 0 { filtersIn = filtersOut }
                let name = "block\(stageIndex + 1)\(KerasApplications.blockLetter(repeatIndex))_"
                let dropRate = Self.dropConnectRate * Double(blockIndex) / total
                let input = x
                let filters = filtersIn * stage.expand
                if stage.expand != 1 {
                    x = try g.add(name + "expand_conv", .conv2D(ConvAttributes(filters: filters, kernel: [1, 1], padding: .same, useBias: false)), inputs: [x])
                    x = try bn(name + "expand_bn", x)
                    x = try silu(name + "expand_activation", x)
                }
                var padding = Padding.same
                if strides == 2 {
                    x = try g.add(name + "dwconv_pad", correctPad(x, kernel: stage.kernel), inputs: [x])
                    padding = .valid
                }
                x = try g.add(name + "dwconv", .depthwiseConv2D(ConvAttributes(filters: 1, kernel: [stage.kernel, stage.kernel], strides: [strides, strides],
                                                                               padding: padding, useBias: false)), inputs: [x])
                x = try bn(name + "bn", x)
                x = try silu(name + "activation", x)
                // Squeeze and excitation.
                let filtersSE = max(1, Int(Double(filtersIn) * Self.seRatio))
                var se = try g.add(name + "se_squeeze", .globalAveragePooling2D, inputs: [x])
                se = try g.add(name + "se_reshape", .reshape(targetShape: [1, 1, filters]), inputs: [se])
                se = try g.add(name + "se_reduce", .conv2D(ConvAttributes(filters: filtersSE, kernel: [1, 1], padding: .same, activation: .silu)), inputs: [se])
                se = try g.add(name + "se_expand", .conv2D(ConvAttributes(filters: filters, kernel: [1, 1], padding: .same, activation: .sigmoid)), inputs: [se])
                x = try g.add(name + "se_excite", .multiply, inputs: [x, se])
                // Output.
                x = try g.add(name + "project_conv", .conv2D(ConvAttributes(filters: filtersOut, kernel: [1, 1], padding: .same, useBias: false)), inputs: [x])
                x = try bn(name + "project_bn", x)
                if strides == 1 && filtersIn == filtersOut {
                    if dropRate > 0 { x = try g.add(name + "drop", .dropoutWithNoiseShape(rate: dropRate, noiseShape: [nil, 1, 1, 1]), inputs: [x]) }
                    x = try g.add(name + "add", .add, inputs: [x, input])
                }
                blockIndex += 1
            }
        }
        x = try g.add("top_conv", .conv2D(ConvAttributes(filters: roundFilters(1280), kernel: [1, 1], padding: .same, useBias: false)), inputs: [x])
        x = try bn("top_bn", x)
        x = try silu("top_activation", x)
        try g.addApplicationHead(after: x, options: options, dropout: ("top_dropout", scaling.dropout))
        return g
    }
}
