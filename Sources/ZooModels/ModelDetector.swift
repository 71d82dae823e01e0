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
        let architecture = try forced ?? guessArchitecture(weighted, allNames: Set(checkpoint.layers.map(\.name)), scheme: scheme, file: file)
        // include_top and classes from the classifier, when the file has one.
        var options = architecture.defaultOptions(includeTop: false)
        let classifierNames = ["predictions", "fc1000", "probs", "fc", "classifier.6"]
        let dense = weighted.filter { layer in layer.weights.contains { $0.shape.count == 2 } }
        if architecture == .mobilenetv3small || architecture == .mobilenetv3large {
            options = try mobileNetV3Options(architecture, weighted, scheme: scheme, file: file)
        } else if architecture.isConvNeXt {
            // The head Dense (`<model>_head_dense`; in a Keras 3 file the Dense after the
            // blocks' two each) carries the classes.
            let blocks = weighted.filter { $0.name.hasSuffix("_layer_scale") || KerasNaming.splitCounter($0.name).base == "layer_scale" }.count
            let denseGroups = weighted.filter { KerasNaming.splitCounter($0.name).base == "dense" }
            let head = weighted.first { $0.name.hasSuffix("_head_dense") }
                ?? (scheme == .keras3 && denseGroups.count == 2 * blocks + 1 ? denseGroups.max { KerasNaming.splitCounter($0.name).counter < KerasNaming.splitCounter($1.name).counter } : nil)
            if let head, let bias = head.weights.first(where: { $0.shape.count == 1 }) {
                options.includeTop = true
                options.classes = bias.shape[0]
            }
        } else if architecture == .mobilenet {
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
        if efficientNets.contains(architecture), hasImagenetStatistics(weighted) { options.imagenetRescaling = true }
        // ResNet files of the Keras <= 2.2.4 era were trained with the old epsilon.
        if scheme == .kerasV1 && architecture.isResNet { options.batchNormEpsilon = 1e-3 }
        return Detection(architecture: architecture, options: options, scheme: scheme)
    }

    /// The architecture from the weighted layers' names (`allNames` also lists the weightless
    /// layers a legacy file records, such as Inception's `mixed0`), or for Keras 3
    /// `.weights.h5` files, whose groups are only numbered per class, from the counts of
    /// convolutions and BatchNormalizations.
    static func guessArchitecture(_ layers: [CheckpointLayer], allNames: Set<String> = [], scheme: NamingScheme, file: String) throws -> Architecture {
        let names = Set(layers.map(\.name))
        let every = names.union(allNames)
        let convCount = layers.filter { layer in layer.weights.contains { $0.shape.count == 4 } }.count
        let bnCount = layers.filter { layer in layer.weights.contains { $0.name == "moving_mean" || $0.name == "running_mean" } }.count
        if scheme == .keras || scheme == .kerasV1, let convNeXt = try convNeXt(layers, names: names, file: file) { return convNeXt }
        switch scheme {
        case .keras:
            if names.contains("stem_conv") && names.contains("top_conv") {
                let family = names.contains("block1a_dwconv") ? efficientNets : efficientNetV2s
                if let member = member(of: family, matching: layers, scheme: scheme) { return member }
                return try fail(file, "the layers look like EfficientNet\(family == efficientNets ? "" : "V2") but match no member's widths and depths")
            }
            // Xception also has `block1_conv1`, so it goes before VGG.
            if names.contains("block2_sepconv1") || names.contains("block14_sepconv2") { return .xception }
            if names.contains("conv_dw_1") || names.contains("conv_pw_13") { return .mobilenet }
            if names.contains("expanded_conv_depthwise_bn") || names.contains("conv_1_bn") && names.contains("expanded_conv_project_bn") {
                return names.contains("expanded_conv_14_project") ? .mobilenetv3large : .mobilenetv3small
            }
            if names.contains("expanded_conv_depthwise") || names.contains("block_1_expand") || names.contains("bn_Conv1") { return .mobilenetv2 }
            if names.contains("conv_7b") || names.contains("block35_1_conv") || names.contains("block8_10_conv") { return .inceptionresnetv2 }
            if names.contains("block1_conv1") { return names.contains("block3_conv4") ? .vgg19 : .vgg16 }
            if names.contains("pool2_conv") { return try denseNet(deepestStage4: maxBlock(names, stage: 4, pattern: "conv4_block"), file: file) }
            if names.contains("post_bn") || names.contains("conv2_block1_preact_bn") {
                return try resnetV2(deepestStage4: maxBlock(names, stage: 4, pattern: "conv4_block"), file: file)
            }
            if names.contains("conv1_conv") { return try resnet(deepestStage4: maxBlock(names, stage: 4, pattern: "conv4_block"), file: file) }
            if every.contains("mixed10") || autoNamedConvs(names, firstCounter: 0) == 94 { return .inceptionv3 }
        case .kerasV1:
            // tf-keras's MobileNetV3 names: `Conv/BatchNorm`, `expanded_conv/depthwise`, ...
            if names.contains("expanded_conv/depthwise") || names.contains("Conv/BatchNorm") {
                return names.contains("expanded_conv_14/project") ? .mobilenetv3large : .mobilenetv3small
            }
            if names.contains("block2_sepconv1") || names.contains("block14_sepconv2") { return .xception }
            if names.contains("conv_7b") || names.contains("block35_1_conv") || names.contains("block8_10_conv") { return .inceptionresnetv2 }
            if names.contains("block1_conv1") { return names.contains("block3_conv4") ? .vgg19 : .vgg16 }
            if names.contains("conv1/conv") || names.contains("pool2_conv") {
                return try denseNet(deepestStage4: maxBlock(names, stage: 4, pattern: "conv4_block"), file: file)
            }
            if names.contains("post_bn") { return try resnetV2(deepestStage4: maxBlock(names, stage: 4, pattern: "conv4_block"), file: file) }
            if every.contains("mixed10") || autoNamedConvs(names, firstCounter: 1) == 94 { return .inceptionv3 }
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
            if counts["layer_scale", default: 0] > 0, counts["sequential", default: 0] + counts["sequential/conv2d", default: 0] > 0 {
                // ConvNeXt: a LayerScale per block; the stem (the first nested Sequential's conv)
                // gives the width.
                let stem = layers.first { $0.name == "sequential/conv2d" }?.weights.first { $0.shape.count == 4 }?.shape[3] ?? 0
                return try convNeXtVariant(width: stem, blocks: counts["layer_scale", default: 0], file: file)
            }
            let depthwise = counts["depthwise_conv2d", default: 0], separable = counts["separable_conv2d", default: 0]
            if counts["normalization", default: 0] > 0 || depthwise > 17 || (depthwise > 0 && counts["conv2d", default: 0] > 4 * depthwise) {
                if let member = member(of: efficientNets + efficientNetV2s, matching: layers, scheme: scheme) { return member }
            }
            if depthwise > 0 || separable > 0 {
                switch (depthwise, separable) {
                case (13, 0): return .mobilenet
                case (17, 0): return .mobilenetv2
                case (11, 0): return .mobilenetv3small
                case (15, 0): return .mobilenetv3large
                case (0, 34): return .xception
                default: return try fail(file, "\(depthwise) depthwise and \(separable) separable convolutions match no MobileNet (13), MobileNetV2 (17), MobileNetV3Small (11), MobileNetV3Large (15) or Xception (34 separable)")
                }
            }
            if counts["conv2d", default: 0] == 244 && counts["batch_normalization", default: 0] == 204 { return .inceptionresnetv2 }
            if bnCount == 0 { return convCount == 16 ? .vgg19 : convCount == 13 ? .vgg16 : try fail(file, "\(convCount) convolutions and no BatchNormalization match no VGG") }
            // (convolutions, BatchNormalizations): ResNet has one BN per conv, ResNetV2 four
            // fewer (its shortcut convs have none, plus post_bn), DenseNet one more (the final bn).
            switch (convCount, bnCount) {
            case (53, 53): return .resnet50
            case (104, 104): return .resnet101
            case (155, 155): return .resnet152
            case (53, 49): return .resnet50v2
            case (104, 100): return .resnet101v2
            case (155, 151): return .resnet152v2
            case (120, 121): return .densenet121
            case (168, 169): return .densenet169
            case (200, 201): return .densenet201
            case (94, 94): return .inceptionv3
            default:
                return try fail(file, "\(convCount) convolutions and \(bnCount) BatchNormalizations match no known architecture "
                                + "(ResNet50/101/152: 53/104/155 of each; V2: 4 fewer BatchNormalizations; DenseNet121/169/201: 120/168/200 and one more; InceptionV3: 94 and 94)")
            }
        }
        return try fail(file, "the layer names match no known ResNet, ResNetV2, DenseNet, Inception, VGG, MobileNet, MobileNetV2, Xception or InceptionResNetV2 naming")
    }

    /// Weighted layers with Keras's automatic Conv2D names, `conv2d` or `conv2d_N`, counted when
    /// their counters run from `firstCounter` without a gap (Keras 3: `conv2d`, `conv2d_1`, ...;
    /// Keras 2: `conv2d_1`, `conv2d_2`, ...); 0 otherwise.
    static func autoNamedConvs(_ names: Set<String>, firstCounter: Int) -> Int {
        let counters = names.compactMap { name -> Int? in
            if name == "conv2d" { return 0 }
            guard name.hasPrefix("conv2d_"), let n = Int(name.dropFirst("conv2d_".count)) else { return nil }
            return n
        }
        let set = Set(counters)
        guard let high = set.max(), set.min() == firstCounter, high - firstCounter + 1 == set.count else { return 0 }
        return set.count
    }

    /// Weighted layers per class part of their Keras 3 group name (`conv2d_3` counts as `conv2d`).
    static func keras3Counts(_ layers: [CheckpointLayer]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for layer in layers { counts[KerasNaming.splitCounter(layer.name).base, default: 0] += 1 }
        return counts
    }

    /// MobileNetV3's options from its weights: minimalistic when no depthwise kernel is 5x5; the
    /// top and classes from the `logits` conv (tf-keras `Logits`; in a Keras 3 file the last
    /// conv2d group, present when there are two more than without the top); alpha as the
    /// width multiplier whose graph has the file's layer count and parameter total.
    static func mobileNetV3Options(_ architecture: Architecture, _ weighted: [CheckpointLayer], scheme: NamingScheme, file: String) throws -> ArchitectureOptions {
        var options = architecture.defaultOptions(includeTop: false)
        options.minimalistic = !weighted.contains { layer in layer.weights.contains { $0.shape.count == 4 && $0.shape[0] == 5 && $0.shape[1] == 5 } }
        let total = weighted.reduce(0) { sum, layer in sum + layer.weights.reduce(0) { $0 + $1.shape.reduce(1, *) } }
        let convGroups = weighted.filter(isConv2DGroup).sorted { KerasNaming.splitCounter($0.name).counter < KerasNaming.splitCounter($1.name).counter }
        let classifier = weighted.first { $0.name == "logits" || $0.name == "Logits" } ?? (scheme == .keras3 ? convGroups.last : nil)
        let classes = classifier?.weights.first { $0.shape.count == 1 }?.shape[0]
        for includeTop in classes == nil ? [false] : [true, false] {
            for alpha in [1.0, 0.75, 0.5, 0.35, 1.25, 1.5, 2.0] {
                var candidate = options
                candidate.includeTop = includeTop
                candidate.classes = includeTop ? classes ?? 1000 : 1000
                candidate.alpha = alpha == 1 ? nil : alpha
                guard let graph = try? architecture.build(candidate) else { continue }
                let nodes = graph.nodes.filter { !$0.weights.isEmpty }
                let params = nodes.reduce(0) { sum, node in sum + node.weights.reduce(0) { $0 + $1.shape.reduce(1, *) } }
                if nodes.count == weighted.count && params == total { return candidate }
            }
        }
        throw BindingError.noArchitecture(file: file, reason: "the layers look like \(architecture.kerasName) but match no width multiplier (alpha 0.35 to 2), with or without the top (\(weighted.count) weighted layers, \(total) parameters)")
    }

    /// Whether an EfficientNet file's Normalization holds ImageNet's statistics (variance
    /// std^2 = [0.052441, 0.050176, 0.050625], within 1e-4 relative): the published weights, and
    /// any model Keras built with `weights="imagenet"`, which pairs them with the extra
    /// Rescaling. A `weights=None` model has variance 1; one adapted on other data has its own.
    static func hasImagenetStatistics(_ weighted: [CheckpointLayer]) -> Bool {
        let normalization = weighted.first { $0.name == "normalization" }
            ?? weighted.first { KerasNaming.splitCounter($0.name).base == "normalization" }
        guard let variance = normalization?.weights.first(where: { $0.name == "variance" || $0.name == "1" }),
              variance.shape.reduce(1, *) == 3 else { return false }
        let values = DTypeConversion.floats(variance)
        let expected = EfficientNetBuilder.imagenetStdRGB.map { $0 * $0 }
        return values.count == 3 && zip(values, expected).allSatisfy { abs(Double($0) - $1) <= 1e-4 * $1 }
    }

    /// ConvNeXt in Keras names: a `<model>_stage_0_block_0_depthwise_conv` layer; the variant
    /// from the first stage's width and the blocks (18 for Tiny, 36 for the others). Nil when
    /// the names are not ConvNeXt's.
    static func convNeXt(_ layers: [CheckpointLayer], names: Set<String>, file: String) throws -> Architecture? {
        let marker = "_stage_0_block_0_depthwise_conv"
        guard let first = layers.first(where: { $0.name.hasSuffix(marker) }) else { return nil }
        let width = first.weights.first { $0.shape.count == 4 }?.shape[3] ?? 0
        let blocks = names.filter { $0.hasSuffix("_layer_scale") }.count
        return try convNeXtVariant(width: width, blocks: blocks, file: file)
    }

    /// The ConvNeXt whose first stage has `width` channels and which has `blocks` blocks.
    static func convNeXtVariant(width: Int, blocks: Int, file: String) throws -> Architecture {
        switch (width, blocks) {
        case (96, 18): return .convnexttiny
        case (96, 36): return .convnextsmall
        case (128, 36): return .convnextbase
        case (192, 36): return .convnextlarge
        case (256, 36): return .convnextxlarge
        default:
            return try fail(file, "the layers look like ConvNeXt but \(width) stem channels and \(blocks) blocks match no variant (Tiny 96/18, Small 96/36, Base 128/36, Large 192/36, XLarge 256/36)")
        }
    }

    private static func isConv2DGroup(_ layer: CheckpointLayer) -> Bool { KerasNaming.splitCounter(layer.name).base == "conv2d" }

    static let efficientNets: [Architecture] = [.efficientnetb0, .efficientnetb1, .efficientnetb2, .efficientnetb3, .efficientnetb4,
                                                .efficientnetb5, .efficientnetb6, .efficientnetb7]
    static let efficientNetV2s: [Architecture] = [.efficientnetv2b0, .efficientnetv2b1, .efficientnetv2b2, .efficientnetv2b3,
                                                  .efficientnetv2s, .efficientnetv2m, .efficientnetv2l]

    /// The member of a family whose members differ only in widths and depths (EfficientNet,
    /// EfficientNetV2) that the file holds: the one whose builder has exactly the file's
    /// weighted layers (by name, or by Keras 3 group name) with the same kernel shapes.
    static func member(of family: [Architecture], matching layers: [CheckpointLayer], scheme: NamingScheme) -> Architecture? {
        let fileShapes = Dictionary(layers.map { layer in (layer.name, layer.weights.map(\.shape)) }, uniquingKeysWith: { first, _ in first })
        for architecture in family {
            for includeTop in [false, true] {
                guard let graph = try? architecture.build(architecture.defaultOptions(includeTop: includeTop)) else { continue }
                let groups = scheme == .keras3 ? WeightNameMap.keras3GroupNames(graph) : [:]
                let weighted = graph.nodes.filter { !$0.weights.isEmpty }
                guard weighted.count == fileShapes.count else { continue }
                let same = weighted.allSatisfy { node in
                    guard let shapes = fileShapes[groups[node.name] ?? node.name] else { return false }
                    // The classifier's width is the file's own (any number of classes).
                    if case .dense = node.op { return shapes.count == node.weights.count }
                    return Set(shapes.map { $0.description }) == Set(node.weights.map { $0.shape.description })
                }
                if same { return architecture }
            }
        }
        return nil
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

    private static func denseNet(deepestStage4 blocks: Int, file: String) throws -> Architecture {
        switch blocks {
        case 24: return .densenet121
        case 32: return .densenet169
        case 48: return .densenet201
        default: return try fail(file, "\(blocks) blocks in the fourth dense block match no DenseNet (121: 24, 169: 32, 201: 48)")
        }
    }

    private static func resnetV2(deepestStage4 blocks: Int, file: String) throws -> Architecture {
        switch blocks {
        case 6: return .resnet50v2
        case 23: return .resnet101v2
        case 36: return .resnet152v2
        default: return try fail(file, "\(blocks) blocks in the fourth stage match no ResNetV2 (50: 6, 101: 23, 152: 36)")
        }
    }

    private static func fail(_ file: String, _ reason: String) throws -> Architecture {
        throw BindingError.noArchitecture(file: file, reason: reason)
    }
}
