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
        if let classifier = weighted.first(where: { classifierNames.contains($0.name) }) ?? (scheme == .keras3 ? dense.last : nil),
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
            if names.contains("block1_conv1") { return names.contains("block3_conv4") ? .vgg19 : .vgg16 }
            if names.contains("conv1_conv") { return try resnet(deepestStage4: maxBlock(names, stage: 4, pattern: "conv4_block"), file: file) }
        case .kerasV1:
            if names.contains("block1_conv1") { return names.contains("block3_conv4") ? .vgg19 : .vgg16 }
            let blocks = names.filter { $0.hasPrefix("res4") && $0.hasSuffix("_branch2a") }.count
            return try resnet(deepestStage4: blocks, file: file)
        case .torchvision:
            if names.contains("features.0") { return names.contains("features.34") ? .vgg19 : .vgg16 }
            let blocks = Set(names.filter { $0.hasPrefix("layer3.") }.compactMap { $0.split(separator: ".").dropFirst().first.flatMap { Int($0) } }).count
            return try resnet(deepestStage4: blocks, file: file)
        case .keras3:
            if bnCount == 0 { return convCount == 16 ? .vgg19 : convCount == 13 ? .vgg16 : try fail(file, "\(convCount) convolutions and no BatchNormalization match no VGG") }
            switch convCount {
            case 53: return .resnet50
            case 104: return .resnet101
            case 155: return .resnet152
            default: return try fail(file, "\(convCount) convolutions match no ResNet (50: 53, 101: 104, 152: 155)")
            }
        }
        return try fail(file, "the layer names match no known ResNet or VGG naming")
    }

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
