import ZooFormats
import ZooGraph

/// Works out which architecture, options and naming scheme a weights-only checkpoint holds,
/// from its names and shapes alone.
public enum ModelDetector {
    /// What was detected.
    public struct Detection: Equatable, Sendable {
        public var architecture: Architecture
        public var options: ArchitectureOptions
        public var scheme: NamingScheme
    }

    /// Detects the architecture; `architecture` and `scheme` force either when given.
    public static func detect(_ checkpoint: Checkpoint, architecture forced: Architecture? = nil, scheme forcedScheme: NamingScheme? = nil, file: String) throws -> Detection {
        let scheme = forcedScheme ?? NamingScheme.detect(checkpoint)
        let weighted = checkpoint.layers.filter { !$0.weights.isEmpty }
        let architecture = try forced ?? guessArchitecture(weighted, scheme: scheme, file: file)
        // include_top and classes from the classifier, when the file has one.
        var options = architecture.defaultOptions(includeTop: false)
        let classifierNames = ["predictions", "fc1000", "fc", "classifier.6"]
        let dense = weighted.filter { layer in layer.weights.contains { $0.shape.count == 2 } }
        if architecture == .mobilenet {
            // MobileNet's classifier is a biased 1x1 Conv2D, `conv_preds` (Keras 3 files: the
            // 15th conv2d group; 14 without the top).
            let convGroups = scheme == .keras3 ? weighted.filter(isConv2DGroup) : []
            let classifier = weighted.first { $0.name == "conv_preds" }
                ?? (convGroups.count == 15 ? convGroups.max { KerasNaming.splitCounter($0.name).counter < KerasNaming.splitCounter($1.name).counter } : nil)
            if let classifier, let kernel = classifier.weights.first(where: { $0.shape.count == 4 }) {
                options.includeTop = true
                options.classes = classifier.weights.first(where: { $0.shape.count == 1 })?.shape[0] ?? kernel.shape[3]
            }
        } else if let classifier = weighted.first(where: { classifierNames.contains($0.name) }) ?? (scheme == .keras3 ? dense.last : nil),
           let kernel = classifier.weights.first(where: { $0.shape.count == 2 }) {
            options.includeTop = true
            // The bias length names the classes; a kernel whose shape disagrees is then reported
            // as mismatched rather than silently defining the model.
            if let bias = classifier.weights.first(where: { $0.shape.count == 1 }) {
                options.classes = bias.shape[0]
            } else {
                options.classes = scheme == .torchvision ? kernel.shape[0] : kernel.shape[1]
            }
        }
        // ResNet files of the Keras <= 2.2.4 era were trained with the old epsilon.
        if scheme == .kerasV1 && architecture.isResNet { options.batchNormEpsilon = 1e-3 }
        return Detection(architecture: architecture, options: options, scheme: scheme)
    }

    static func guessArchitecture(_ layers: [CheckpointLayer], scheme: NamingScheme, file: String) throws -> Architecture {
        let names = Set(layers.map(\.name))
        let convCount = layers.filter { layer in layer.weights.contains { $0.shape.count == 4 } }.count
        let bnCount = layers.filter { layer in layer.weights.contains { $0.name == "moving_mean" || $0.name == "running_mean" } }.count
        switch scheme {
        case .keras:
            // Xception also has `block1_conv1`, so it goes before VGG.
            if names.contains("block2_sepconv1") || names.contains("block14_sepconv2") { return .xception }
            if names.contains("conv_dw_1") || names.contains("conv_pw_13") { return .mobilenet }
            if names.contains("expanded_conv_depthwise") || names.contains("block_1_expand") || names.contains("bn_Conv1") { return .mobilenetv2 }
            if names.contains("conv_7b") || names.contains("block35_1_conv") || names.contains("block8_10_conv") { return .inceptionresnetv2 }
            if names.contains("block1_conv1") { return names.contains("block3_conv4") ? .vgg19 : .vgg16 }
            if names.contains("conv1_conv") { return try resnet(deepestStage4: maxBlock(names, stage: 4, pattern: "conv4_block"), file: file) }
        case .kerasV1:
            if names.contains("block2_sepconv1") || names.contains("block14_sepconv2") { return .xception }
            if names.contains("conv_7b") || names.contains("block35_1_conv") || names.contains("block8_10_conv") { return .inceptionresnetv2 }
            if names.contains("block1_conv1") { return names.contains("block3_conv4") ? .vgg19 : .vgg16 }
            let blocks = names.filter { $0.hasPrefix("res4") && $0.hasSuffix("_branch2a") }.count
            return try resnet(deepestStage4: blocks, file: file)
        case .torchvision:
            if names.contains("features.0") { return names.contains("features.34") ? .vgg19 : .vgg16 }
            let blocks = Set(names.filter { $0.hasPrefix("layer3.") }.compactMap { $0.split(separator: ".").dropFirst().first.flatMap { Int($0) } }).count
            return try resnet(deepestStage4: blocks, file: file)
        case .keras3:
            // Told apart by layers per class (the group names' class part), from the builders:
            // depthwise convs 13 (MobileNet) / 17 (MobileNetV2), separable convs 34 (Xception),
            // 244 Conv2D and 204 BatchNormalization (InceptionResNetV2).
            let counts = keras3Counts(layers)
            let depthwise = counts["depthwise_conv2d", default: 0], separable = counts["separable_conv2d", default: 0]
            if depthwise > 0 || separable > 0 {
                switch (depthwise, separable) {
                case (13, 0): return .mobilenet
                case (17, 0): return .mobilenetv2
                case (0, 34): return .xception
                default: return try fail(file, "\(depthwise) depthwise and \(separable) separable convolutions match no MobileNet (13), MobileNetV2 (17) or Xception (34 separable)")
                }
            }
            if counts["conv2d", default: 0] == 244 && counts["batch_normalization", default: 0] == 204 { return .inceptionresnetv2 }
            if bnCount == 0 { return convCount == 16 ? .vgg19 : convCount == 13 ? .vgg16 : try fail(file, "\(convCount) convolutions and no BatchNormalization match no VGG") }
            switch convCount {
            case 53: return .resnet50
            case 104: return .resnet101
            case 155: return .resnet152
            default: return try fail(file, "\(convCount) convolutions match no ResNet (50: 53, 101: 104, 152: 155)")
            }
        }
        return try fail(file, "the layer names match no known ResNet, VGG, MobileNet, MobileNetV2, Xception or InceptionResNetV2 naming")
    }

    /// Weighted layers per class part of their Keras 3 group name (`conv2d_3` counts as `conv2d`).
    static func keras3Counts(_ layers: [CheckpointLayer]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for layer in layers { counts[KerasNaming.splitCounter(layer.name).base, default: 0] += 1 }
        return counts
    }

    private static func isConv2DGroup(_ layer: CheckpointLayer) -> Bool { KerasNaming.splitCounter(layer.name).base == "conv2d" }

    private static func maxBlock(_ names: Set<String>, stage: Int, pattern: String) -> Int {
        names.compactMap { name -> Int? in
            guard name.hasPrefix(pattern) else { return nil }
            return Int(name.dropFirst(pattern.count).prefix { $0.isNumber })
        }.max() ?? 0
    }

    private static func resnet(deepestStage4 blocks: Int, file: String) throws -> Architecture {
        switch blocks {
        case 6: return .resnet50
        case 23: return .resnet101
        case 36: return .resnet152
        default: return try fail(file, "\(blocks) blocks in the fourth stage match no ResNet (50: 6, 101: 23, 152: 36)")
        }
    }

    private static func fail(_ file: String, _ reason: String) throws -> Architecture {
        throw BindingError.noArchitecture(file: file, reason: reason)
    }
}
