import ZooHDF5

/// Writes the Keras 3 `.weights.h5` layout that `model.load_weights('x.weights.h5')` reads.
///
/// Keras finds each layer's weights by class name and per-class counter, so every layer with
/// weights needs a known class: from the model config, from a Keras 3 source's group names, or
/// inferred from a legacy file's weight names (kernel rank 4 is Conv2D, and so on).
enum Keras3WeightsWriter {
    static func write(_ checkpoint: Checkpoint, to path: String) throws {
        let checkpoint = try splittingNestedGroups(checkpoint, file: path)
        let plan = try groupNames(for: checkpoint, file: path)
        let file = try FormatError.wrapping { try HDF5File.create(path) }
        let root = try FormatError.wrapping { try file.root() }
        var groupOf: [String: String] = [:]
        for (layer, groupName) in zip(checkpoint.layers, plan) {
            guard var groupName else { continue }
            groupOf[layer.name] = groupName
            // A nested model's layer: `layers/<nested model's group>/layers/<its group>`.
            if let parent = layer.nestedIn {
                guard let parentGroup = groupOf[parent] else {
                    throw FormatError.cannotWrite(file: path, reason: "layer '\(layer.name)' belongs to nested model '\(parent)', which is not listed before it")
                }
                groupName = "\(parentGroup)/layers/\(groupName)"
            }
            let vars = try FormatError.wrapping { try root.createGroup("layers/\(groupName)/vars") }
            try FormatError.wrapping { try vars.setAttribute("name", .string(layer.kerasName ?? layer.name)) }
            for (index, weight) in layer.weights.enumerated() {
                try WeightStorage.write(weight, in: vars, at: String(index))
            }
        }
        try FormatError.wrapping {
            let vars = try root.createGroup("vars")
            try vars.setAttribute("name", .string("functional"))
        }
        try LegacyH5Writer.writeProvenance(checkpoint, root)
        try FormatError.wrapping { try file.flush() }
    }

    /// A legacy source keeps a nested model's weights in one group (`convnext_tiny_stem` holds
    /// `convnext_tiny_stem_conv/kernel:0`, ...); Keras 3 files keep them per layer. With a
    /// config that says which layers are nested models, such a group becomes the nested model
    /// (no weights) followed by its layers, each weight placed by the layer in its stored name.
    static func splittingNestedGroups(_ checkpoint: Checkpoint, file: String) throws -> Checkpoint {
        guard let text = checkpoint.modelConfig, !checkpoint.layers.contains(where: { $0.nestedIn != nil }) else { return checkpoint }
        let config = try KerasModelConfig(json: text, file: file)
        let nested = Dictionary(config.layers.filter { !$0.nested.isEmpty }.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        guard !nested.isEmpty else { return checkpoint }
        var result = checkpoint
        result.layers = []
        for layer in checkpoint.layers {
            guard let model = nested[layer.kerasName ?? layer.name], !layer.weights.isEmpty else {
                result.layers.append(layer)
                continue
            }
            var container = layer
            container.weights = []
            container.className = model.className
            result.layers.append(container)
            var remaining = layer.weights
            for member in model.nested where member.className != "InputLayer" {
                let mine = remaining.filter { KerasNaming.nestedWeightName(ofStoredName: $0.storedName)?.layer == member.name }
                remaining.removeAll { KerasNaming.nestedWeightName(ofStoredName: $0.storedName)?.layer == member.name }
                result.layers.append(CheckpointLayer(name: member.name, className: member.className, kerasName: member.name,
                                                     weights: mine.map { var w = $0; w.name = KerasNaming.nestedWeightName(ofStoredName: $0.storedName)?.weight ?? w.name; return w },
                                                     nestedIn: container.name))
            }
            guard remaining.isEmpty else {
                throw FormatError.cannotWrite(file: file, reason: "nested model '\(layer.name)' stores weights \(remaining.map(\.storedName)) that belong to none of its layers")
            }
        }
        return result
    }

    /// Whether every part of `name` is a snake-case Keras class with an optional counter.
    static func isGroupName(_ name: String) -> Bool {
        name.split(separator: "/").allSatisfy { part in
            let base = KerasNaming.splitCounter(String(part)).base
            return KerasNaming.classesBySnakeCase[base] != nil || KerasNaming.classesBySnakeCase[String(part)] != nil
                || ["sequential", "functional"].contains(base)
        }
    }

    /// The group name of each layer, or nil for weightless layers whose class is unknown.
    static func groupNames(for checkpoint: Checkpoint, file: String) throws -> [String?] {
        // A Keras 3 source's layers keep their group names (`conv2d_3`, `sequential/conv2d`);
        // layers named otherwise (a model's real names) are counted by class below.
        if checkpoint.format == .keras3Weights || checkpoint.format == .kerasArchive,
           checkpoint.modelConfig == nil, checkpoint.layers.allSatisfy({ isGroupName($0.name) }) {
            // The reader names a nested model's layers `<model group>/<group>`.
            return checkpoint.layers.map { $0.name.replacingOccurrences(of: "/", with: "/layers/") }
        }
        if let configText = checkpoint.modelConfig {
            let config = try KerasModelConfig(json: configText, file: file)
            func groups(_ layers: [KerasModelConfig.Layer]) -> [String: String] {
                Dictionary(zip(layers.map(\.name), KerasModelConfig.keras3GroupNames(for: layers)), uniquingKeysWith: { a, _ in a })
            }
            let byName = groups(config.layers)
            // A nested model's layers are counted inside it.
            var nestedByName: [String: [String: String]] = [:]
            for layer in config.layers where !layer.nested.isEmpty { nestedByName[layer.name] = groups(layer.nested) }
            return try checkpoint.layers.map { layer in
                let name = layer.kerasName ?? layer.name
                if let parent = layer.nestedIn {
                    let inner = nestedByName[parent] ?? nestedByName[KerasNaming.keras3LayerName(parent)] ?? [:]
                    if let group = inner[name] ?? inner[KerasNaming.keras3LayerName(name)] { return group }
                    if layer.weights.isEmpty { return nil }
                    throw FormatError.cannotWrite(file: file, reason: "layer '\(layer.name)' is not in the config of nested model '\(parent)'")
                }
                if let group = byName[name] ?? byName[KerasNaming.keras3LayerName(name)] { return group }
                if layer.weights.isEmpty { return nil }
                throw FormatError.cannotWrite(file: file, reason: "layer '\(layer.name)' is not in the model config")
            }
        }
        // Counters per model: the outer one, and one inside each nested model.
        var used: [String: [String: Int]] = [:]
        return try checkpoint.layers.map { layer in
            guard let className = layer.className else {
                if layer.weights.isEmpty { return nil }
                throw FormatError.cannotWrite(file: file, reason: "cannot tell the Keras class of layer '\(layer.name)' (weights \(layer.weights.map(\.name))); Keras 3 files name weight groups by class")
            }
            let scope = layer.nestedIn ?? ""
            let base = KerasNaming.snakeCase(className)
            defer { used[scope, default: [:]][base, default: -1] += 1 }
            if let count = used[scope]?[base] { return "\(base)_\(count + 1)" }
            return base
        }
    }
}
