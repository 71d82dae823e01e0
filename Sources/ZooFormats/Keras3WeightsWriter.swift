import ZooHDF5

/// Writes the Keras 3 `.weights.h5` layout that `model.load_weights('x.weights.h5')` reads.
///
/// Keras finds each layer's weights by class name and per-class counter, so every layer with
/// weights needs a known class: from the model config, from a Keras 3 source's group names, or
/// inferred from a legacy file's weight names (kernel rank 4 is Conv2D, and so on).
enum Keras3WeightsWriter {
    static func write(_ checkpoint: Checkpoint, to path: String) throws {
        let plan = try groupNames(for: checkpoint, file: path)
        let file = try FormatError.wrapping { try HDF5File.create(path) }
        let root = try FormatError.wrapping { try file.root() }
        for (layer, groupName) in zip(checkpoint.layers, plan) {
            guard let groupName else { continue }
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

    /// The group name of each layer, or nil for weightless layers whose class is unknown.
    static func groupNames(for checkpoint: Checkpoint, file: String) throws -> [String?] {
        if checkpoint.format == .keras3Weights || checkpoint.format == .kerasArchive,
           checkpoint.modelConfig == nil {
            return checkpoint.layers.map(\.name)
        }
        if let configText = checkpoint.modelConfig {
            let config = try KerasModelConfig(json: configText, file: file)
            let byName = Dictionary(zip(config.layers.map(\.name), KerasModelConfig.keras3GroupNames(for: config.layers)),
                                    uniquingKeysWith: { a, _ in a })
            return try checkpoint.layers.map { layer in
                if let group = byName[layer.kerasName ?? layer.name] ?? byName[KerasNaming.keras3LayerName(layer.kerasName ?? layer.name)] { return group }
                if layer.weights.isEmpty { return nil }
                throw FormatError.cannotWrite(file: file, reason: "layer '\(layer.name)' is not in the model config")
            }
        }
        var used: [String: Int] = [:]
        return try checkpoint.layers.map { layer in
            guard let className = layer.className else {
                if layer.weights.isEmpty { return nil }
                throw FormatError.cannotWrite(file: file, reason: "cannot tell the Keras class of layer '\(layer.name)' (weights \(layer.weights.map(\.name))); Keras 3 files name weight groups by class")
            }
            let base = KerasNaming.snakeCase(className)
            defer { used[base, default: -1] += 1 }
            if let count = used[base] { return "\(base)_\(count + 1)" }
            return base
        }
    }
}
