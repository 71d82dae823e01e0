import ZooFormats
import ZooGraph

/// Binds a checkpoint's tensors onto a graph's weights by graph position and meaning (never by
/// enumeration order, so two same-shaped convs cannot swap), converting layouts to Keras's.
public enum Binder {
    public enum Mode: Sendable {
        /// Any missing, unexpected or mis-shaped weight fails with the whole report.
        case strict
        /// Load what fits and report the rest (Keras's `by_name=True, skip_mismatch=True`).
        case lenient
    }

    /// Binds `checkpoint` onto `graph` using `scheme`'s names.
    public static func bind(_ checkpoint: Checkpoint, to graph: Graph, scheme: NamingScheme, mode: Mode, file: String) throws -> BoundModel {
        let map = try WeightNameMap(graph: graph, scheme: scheme)
        var tensors: [String: Weight] = [:]
        var order: [String] = []
        // A Keras 3 file without a config stores variables by index (`vars/0`, `vars/1`, ...);
        // the reader names them from the class, which cannot tell a BatchNormalization with
        // scale=False (InceptionResNetV2: beta, moving_mean, moving_variance) from one with
        // center=False. The graph knows: same count, Keras's variable order.
        var graphNames: [String: [String]] = [:]
        if scheme == .keras3 {
            for entry in map.entries { graphNames[entry.fileLayer, default: []].append(entry.fileWeight) }
        }
        // A legacy file stores a nested model's weights in one group named after it, each
        // weight named `inner/kernel:0` (tf-keras) or `nested/inner/kernel` (Keras 3); they
        // are keyed `nested/inner/kernel`, as the map names them.
        let containers = scheme == .keras || scheme == .kerasV1 ? Set(graph.nodes.compactMap(\.container)) : []
        for layer in checkpoint.layers {
            var names = layer.weights.map(\.name)
            if containers.contains(layer.name) {
                names = layer.weights.map(Self.nestedWeightName)
            }
            // Keras 3 names an unnamed variable (LayerScale's gamma) `variable`, `variable_1`, ...
            // counting over the whole session.
            if names.count == 1, Self.isUnnamedVariable(names[0]) { names = ["variable"] }
            if scheme == .keras3, !names.isEmpty, names.allSatisfy({ Int($0) != nil }), let expected = graphNames[layer.name], expected.count == names.count {
                names = expected
            }
            for (weight, name) in zip(layer.weights, names) {
                let key = map.fileKey(layer: layer.name, weight: name)
                if tensors[key] == nil {
                    tensors[key] = weight
                    order.append(key)
                }
            }
        }
        var used = Set<String>()
        var report = BindingReport()
        var bound: [String: [String: Weight]] = [:]
        for entry in map.entries {
            let graphName = "\(entry.node)/\(entry.weight)"
            // Keras 3 writes a DepthwiseConv2D kernel as plain `kernel`, and LayerScale's gamma
            // (an unnamed variable) as `variable`.
            var candidates = [entry.fileKey]
            if entry.fileWeight == "depthwise_kernel" { candidates.append(map.fileKey(layer: entry.fileLayer, weight: "kernel")) }
            if entry.fileWeight == "gamma", case .layerScale? = graph.node(entry.node)?.op { candidates.append(map.fileKey(layer: entry.fileLayer, weight: "variable")) }
            guard let key = candidates.first(where: { tensors[$0] != nil }), let tensor = tensors[key] else {
                report.missing.append(graphName)
                continue
            }
            used.insert(key)
            guard let spec = graph.node(entry.node)?.weights.first(where: { $0.name == entry.weight }) else { continue }
            let expected = entry.transform.fileShape(forKeras: spec.shape)
            guard tensor.shape == expected else {
                report.mismatched.append(.init(name: graphName, expected: expected, found: tensor.shape))
                continue
            }
            var weight = tensor
            weight.name = entry.weight
            if entry.transform != .identity {
                weight.shape = spec.shape
                weight.data = TensorData(byteCount: tensor.data.count) { out in
                    tensor.data.withUnsafeBytes { entry.transform.toKeras($0, kerasShape: spec.shape, elementSize: tensor.dtype.byteSize, into: out) }
                }
            }
            bound[entry.node, default: [:]][entry.weight] = weight
            report.matched.append(graphName)
        }
        for name in map.unmapped {
            let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, let spec = graph.node(parts[0])?.weights.first(where: { $0.name == parts[1] }) else { continue }
            let zeros = TensorData(byteCount: spec.elementCount * 4) { $0.initializeMemory(as: UInt8.self, repeating: 0) }
            bound[parts[0], default: [:]][parts[1]] = Weight(name: parts[1], path: "", storedName: name, dtype: .float32, shape: spec.shape, data: zeros)
            report.zeroFilled.append(name)
        }
        report.unexpected = order.filter { !used.contains($0) && !map.isIgnorable($0) }
        if mode == .strict && !report.isComplete {
            throw BindingError.incomplete(file: file, report: report)
        }
        return BoundModel(graph: graph, weights: bound, report: report, scheme: scheme)
    }
}

extension Binder {
    /// `variable` or `variable_<n>`: a Keras 3 variable created without a name.
    static func isUnnamedVariable(_ name: String) -> Bool {
        guard name.hasPrefix("variable") else { return false }
        let rest = name.dropFirst("variable".count)
        return rest.isEmpty || (rest.first == "_" && Int(rest.dropFirst()) != nil)
    }

    /// `inner/kernel` for a weight of a nested model's group (`KerasNaming.nestedWeightName`).
    static func nestedWeightName(_ weight: Weight) -> String {
        guard let (layer, name) = KerasNaming.nestedWeightName(ofStoredName: weight.storedName) else { return weight.name }
        return "\(layer)/\(name)"
    }
}

/// A graph with weights bound to its layers (Keras layout), and the report of how they fit.
public struct BoundModel: Sendable {
    public var graph: Graph
    /// Layer name -> weight name -> tensor.
    public var weights: [String: [String: Weight]]
    public var report: BindingReport
    /// The naming scheme the weights were read with.
    public var scheme: NamingScheme

    /// A model from a graph and weights (Keras layout) bound by the caller.
    public init(graph: Graph, weights: [String: [String: Weight]], report: BindingReport = BindingReport(), scheme: NamingScheme = .keras) {
        self.graph = graph
        self.weights = weights
        self.report = report
        self.scheme = scheme
    }

    /// The bound weights as a checkpoint in Keras naming and `model.layers` order, every layer
    /// listed (weightless ones too; op nodes such as `x + 3.0` are not layers), ready for
    /// `CheckpointWriter`. A nested model is listed as a weightless layer followed by its
    /// layers (`nestedIn` set).
    public func checkpoint(format: CheckpointFormat, kerasVersion: String? = nil, backend: String? = nil, modelConfig: String? = nil) -> Checkpoint {
        var layers: [CheckpointLayer] = []
        for layer in graph.modelLayers {
            if layer.isNestedModel { layers.append(CheckpointLayer(name: layer.name, className: layer.className, weights: [])) }
            for node in layer.nodes where !node.op.isOperationNode {
                let own = node.weights.compactMap { spec -> Weight? in
                    guard var weight = weights[node.name]?[spec.name] else { return nil }
                    weight.storedName = node.container.map { "\($0)/\(node.name)/\(spec.name)" } ?? "\(node.name)/\(spec.name)"
                    weight.path = ""
                    return weight
                }
                let trainable = node.trainable ? node.weights.filter { $0.trainable && weights[node.name]?[$0.name] != nil }.count : 0
                layers.append(CheckpointLayer(name: node.name, className: node.op.kerasClassName, weights: own, nestedIn: node.container,
                                              trainableWeightCount: trainable))
            }
        }
        return Checkpoint(format: format, kerasVersion: kerasVersion, backend: backend, layers: layers, modelConfig: modelConfig)
    }
}
