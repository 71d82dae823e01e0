import ZooFormats
import ZooGraph

/// Where each weight of a graph lives in a file of a given naming scheme, and in what layout.
public struct WeightNameMap: Sendable {
    /// One graph weight and its name in the file.
    public struct Entry: Sendable, Equatable {
        public var node: String
        public var weight: String
        public var fileLayer: String
        public var fileWeight: String
        public var transform: LayoutTransform
        /// The file's full tensor name (`layer/weight`, or `layer.weight` for torchvision).
        public var fileKey: String
    }

    public let scheme: NamingScheme
    public let entries: [Entry]
    /// Graph weights (`layer/weight`) the scheme has no name for (torchvision ResNets have no
    /// conv biases); binding reports them as missing.
    public let unmapped: [String]
    /// File tensor names that belong to the scheme but carry no Keras weight
    /// (torchvision's `num_batches_tracked`); never reported as unexpected.
    public func isIgnorable(_ fileKey: String) -> Bool {
        scheme == .torchvision && fileKey.hasSuffix(".num_batches_tracked")
    }

    /// Builds the map for `graph` in `scheme`.
    public init(graph: Graph, scheme: NamingScheme) throws {
        self.scheme = scheme
        var entries: [Entry] = []
        var unmapped: [String] = []
        let keras3Groups = scheme == .keras3 ? Self.keras3GroupNames(graph) : [:]
        let v1Family = KerasV1Family(graph)
        for node in graph.nodes where !node.weights.isEmpty {
            for spec in node.weights {
                let (layer, weight, transform): (String, String, LayoutTransform)
                switch scheme {
                case .keras:
                    // A nested model's layer sits inside the nested model's group.
                    (layer, weight, transform) = (node.container.map { "\($0)/\(node.name)" } ?? node.name, spec.name, .identity)
                case .kerasV1:
                    let name = Self.kerasV1Name(node.name, family: v1Family)
                    (layer, weight, transform) = (node.container.map { "\($0)/\(name)" } ?? name, spec.name, .identity)
                case .keras3:
                    (layer, weight, transform) = (keras3Groups[node.name] ?? node.name, spec.name, .identity)
                case .torchvision:
                    guard let mapped = try Self.torchvisionName(node: node, weight: spec.name, graph: graph) else {
                        unmapped.append("\(node.name)/\(spec.name)")
                        continue
                    }
                    (layer, weight, transform) = mapped
                }
                entries.append(Entry(node: node.name, weight: spec.name, fileLayer: layer, fileWeight: weight, transform: transform,
                                     fileKey: layer + scheme.separator + weight))
            }
        }
        self.entries = entries
        self.unmapped = unmapped
    }

    /// The key a checkpoint weight has in this scheme.
    public func fileKey(layer: String, weight: String) -> String { layer + scheme.separator + weight }

    // MARK: keras-v1

    /// Which keras-v1 renaming a graph needs (the old names differ per family).
    public enum KerasV1Family: Sendable {
        /// ResNet v1 and VGG (whose names did not change but for ResNet's classifier).
        case resnet
        /// DenseNet (keras_applications 1.0.8): `conv1/conv`, `conv1/bn`, `fc1000`.
        case denseNet
        /// ResNetV2 (keras_applications 1.0.8): `probs`.
        case resnetV2
        /// InceptionV3, Xception and InceptionResNetV2 with Keras 2's 1-based automatic names
        /// (their named layers, `predictions` included, kept their names).
        case inception
        /// MobileNetV3 as tf-keras named it: `conv_bn` -> `Conv/BatchNorm`,
        /// `expanded_conv_3_squeeze_excite_conv_1` -> `expanded_conv_3/squeeze_excite/Conv_1`.
        case mobileNetV3

        /// The family of a keras.applications graph, from its named layers.
        public init(_ graph: Graph) {
            if graph.node("conv2_block1_concat") != nil { self = .denseNet }
            else if graph.node("conv_bn") != nil && graph.node("expanded_conv_depthwise_bn") != nil { self = .mobileNetV3 }
            else if graph.node("post_bn") != nil { self = .resnetV2 }
            else if graph.node("mixed0") != nil || graph.node("block2_sepconv1") != nil || graph.node("conv_7b") != nil { self = .inception }
            else { self = .resnet }
        }
    }

    /// The keras-v1 name of a current layer name in `family`.
    public static func kerasV1Name(_ name: String, family: KerasV1Family) -> String {
        switch family {
        case .resnet:
            return kerasV1Name(name)
        case .denseNet:
            switch name {
            case "conv1_conv": return "conv1/conv"
            case "conv1_bn": return "conv1/bn"
            case "conv1_relu": return "conv1/relu"
            case "predictions": return "fc1000"
            default: return name
            }
        case .resnetV2:
            return name == "predictions" ? "probs" : name
        case .inception:
            return keras2AutoName(name)
        case .mobileNetV3:
            return tfKerasMobileNetV3Name(name)
        }
    }

    /// tf-keras's name of a Keras 3 MobileNetV3 layer (Keras 3 renamed them when it refused `/`).
    static func tfKerasMobileNetV3Name(_ name: String) -> String {
        switch name {
        case "conv": return "Conv"
        case "conv_bn": return "Conv/BatchNorm"
        case "conv_1": return "Conv_1"
        case "conv_1_bn": return "Conv_1/BatchNorm"
        case "conv_2": return "Conv_2"
        case "logits": return "Logits"
        default: break
        }
        guard name.hasPrefix("expanded_conv_") else { return name }
        var rest = name.dropFirst("expanded_conv_".count)
        var block = "expanded_conv"
        if let underscore = rest.firstIndex(of: "_"), let id = Int(rest[..<underscore]) {
            block += "_\(id)"
            rest = rest[rest.index(after: underscore)...]
        }
        let parts: [String: String] = [
            "expand": "expand", "expand_bn": "expand/BatchNorm", "depthwise": "depthwise", "depthwise_bn": "depthwise/BatchNorm",
            "depthwise_pad": "depthwise/pad", "project": "project", "project_bn": "project/BatchNorm", "add": "Add",
            "squeeze_excite_avg_pool": "squeeze_excite/AvgPool", "squeeze_excite_conv": "squeeze_excite/Conv",
            "squeeze_excite_relu": "squeeze_excite/Relu", "squeeze_excite_conv_1": "squeeze_excite/Conv_1", "squeeze_excite_mul": "squeeze_excite/Mul",
        ]
        guard let part = parts[String(rest)] else { return name }
        return "\(block)/\(part)"
    }

    /// Keras 3 automatic names count from 0 (`conv2d`, `conv2d_1`), Keras 2's from 1
    /// (`conv2d_1`, `conv2d_2`): `<base>` -> `<base>_1`, `<base>_<k>` -> `<base>_<k+1>` for the
    /// classes InceptionV3 leaves unnamed. Others are unchanged.
    static func keras2AutoName(_ name: String) -> String {
        let bases = ["conv2d", "batch_normalization", "activation", "max_pooling2d", "average_pooling2d", "concatenate",
                     "global_average_pooling2d", "global_max_pooling2d", "input_layer", "dense", "depthwise_conv2d", "separable_conv2d", "add"]
        if bases.contains(name) { return name + "_1" }
        let (base, counter) = KerasNaming.splitCounter(name)
        guard bases.contains(base), counter >= 1, String(counter) == name.dropFirst(base.count + 1) else { return name }
        return "\(base)_\(counter + 1)"
    }

    /// The Keras <= 2.2.4 name of a current ResNet layer name: `conv1_conv` -> `conv1`,
    /// `conv1_bn` -> `bn_conv1`, `conv3_block2_1_conv` -> `res3b_branch2a`,
    /// `conv3_block1_0_bn` -> `bn3a_branch1`, `predictions` -> `fc1000`. Others are unchanged.
    public static func kerasV1Name(_ name: String) -> String {
        switch name {
        case "conv1_conv": return "conv1"
        case "conv1_bn": return "bn_conv1"
        case "predictions": return "fc1000"
        default: break
        }
        let parts = name.split(separator: "_")
        guard parts.count == 4, parts[0].hasPrefix("conv"), let stage = Int(parts[0].dropFirst(4)),
              parts[1].hasPrefix("block"), let block = Int(parts[1].dropFirst(5)), block >= 1,
              let branch = Int(parts[2]), (0...3).contains(branch), parts[3] == "conv" || parts[3] == "bn" else { return name }
        let letter = blockLetter(block)
        let suffix = branch == 0 ? "1" : "2" + ["a", "b", "c"][branch - 1]
        return (parts[3] == "conv" ? "res" : "bn") + "\(stage)\(letter)_branch\(suffix)"
    }

    /// Keras 2.2 block letters: a, b, ..., z, then aa, ab, ... for the deep stages.
    static func blockLetter(_ block: Int) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        var n = block - 1
        var out = String(letters[n % 26])
        while n >= 26 {
            n = n / 26 - 1
            out = String(letters[n % 26]) + out
        }
        return out
    }

    // MARK: keras3

    /// Keras 3 group names of the graph's layers: snake-case class plus per-class counter.
    /// A nested model is one layer of its class (`sequential`, `functional`) and its layers are
    /// counted inside it: `sequential_1/conv2d` for `layers/sequential_1/layers/conv2d`.
    static func keras3GroupNames(_ graph: Graph) -> [String: String] {
        func counter() -> (String) -> String {
            var used: [String: Int] = [:]
            return { className in
                let base = KerasNaming.snakeCase(className)
                if let count = used[base] {
                    used[base] = count + 1
                    return "\(base)_\(count + 1)"
                }
                used[base] = 0
                return base
            }
        }
        let outer = counter()
        var result: [String: String] = [:]
        for layer in graph.modelLayers {
            let group = outer(layer.className)
            guard layer.isNestedModel else {
                result[layer.name] = group
                continue
            }
            result[layer.name] = group
            let inner = counter()
            for node in layer.nodes where !node.op.isOperationNode { result[node.name] = "\(group)/\(inner(node.op.kerasClassName))" }
        }
        return result
    }

    // MARK: torchvision

    static let torchBatchNorm = ["gamma": "weight", "beta": "bias", "moving_mean": "running_mean", "moving_variance": "running_var"]

    /// The torchvision name of a ResNet or VGG weight, nil for weights torchvision does not have
    /// (ResNet conv biases), or an error for graphs torchvision has no names for.
    static func torchvisionName(node: Node, weight: String, graph: Graph) throws -> (String, String, LayoutTransform)? {
        let name = node.name
        if case .batchNormalization = node.op {
            guard let layer = torchResNetModule(name), let mapped = torchBatchNorm[weight] else { throw unsupported(name) }
            return (layer, mapped, .identity)
        }
        if case .conv2D = node.op {
            if let layer = torchResNetModule(name) {
                return weight == "kernel" ? (layer, "weight", .oihw) : nil
            }
            if let index = torchVGGFeatureIndex(name, graph: graph) {
                return ("features.\(index)", weight == "kernel" ? "weight" : "bias", weight == "kernel" ? .oihw : .identity)
            }
            throw unsupported(name)
        }
        if case .dense = node.op {
            let isKernel = weight == "kernel"
            if name == "predictions", graph.node("avg_pool") != nil || graph.node("conv1_conv") != nil {
                return ("fc", isKernel ? "weight" : "bias", isKernel ? .transposed : .identity)
            }
            let classifier = ["fc1": 0, "fc2": 3, "predictions": 6]
            guard let index = classifier[name] else { throw unsupported(name) }
            var transform: LayoutTransform = isKernel ? .transposed : .identity
            if isKernel, name == "fc1", let flatten = node.inputs.first.flatMap(graph.node), let source = flatten.inputs.first.flatMap(graph.node),
               source.outputShape.count == 3 {
                transform = .transposedFromNCHW(height: source.outputShape[0], width: source.outputShape[1], channels: source.outputShape[2])
            }
            return ("classifier.\(index)", isKernel ? "weight" : "bias", transform)
        }
        throw unsupported(name)
    }

    private static func unsupported(_ name: String) -> GraphError {
        .invalidConfig("layer '\(name)' has no torchvision name (torchvision naming covers the ResNet and VGG builders)")
    }

    /// `conv1_conv` -> `conv1`, `conv1_bn` -> `bn1`, `conv3_block2_1_conv` -> `layer2.1.conv1`,
    /// `conv3_block1_0_bn` -> `layer2.0.downsample.1`.
    static func torchResNetModule(_ name: String) -> String? {
        if name == "conv1_conv" { return "conv1" }
        if name == "conv1_bn" { return "bn1" }
        let parts = name.split(separator: "_")
        guard parts.count == 4, parts[0].hasPrefix("conv"), let stage = Int(parts[0].dropFirst(4)), stage >= 2,
              parts[1].hasPrefix("block"), let block = Int(parts[1].dropFirst(5)), let branch = Int(parts[2]) else { return nil }
        let prefix = "layer\(stage - 1).\(block - 1)."
        switch (branch, parts[3]) {
        case (0, "conv"): return prefix + "downsample.0"
        case (0, "bn"): return prefix + "downsample.1"
        case (1...3, "conv"): return prefix + "conv\(branch)"
        case (1...3, "bn"): return prefix + "bn\(branch)"
        default: return nil
        }
    }

    /// The index in torchvision's `features` Sequential of a VGG conv: every conv is followed
    /// by a ReLU and every block ends in a pool, so indices advance 2 per conv and 1 per pool.
    static func torchVGGFeatureIndex(_ name: String, graph: Graph) -> Int? {
        var index = 0
        for node in graph.nodes {
            switch node.op {
            case .conv2D:
                if node.name == name { return node.name.hasPrefix("block") ? index : nil }
                index += 2
            case .maxPooling2D: index += 1
            default: break
            }
        }
        return nil
    }
}
