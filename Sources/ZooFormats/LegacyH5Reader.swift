import ZooHDF5

/// Reads the legacy Keras HDF5 weight layout (`layer_names` / `weight_names`), used both at the
/// root of weights-only files and under `model_weights` in full-model files.
enum LegacyH5Reader {
    /// Reads a string-list attribute, joining the chunks `name0`, `name1`, ... that Keras writes
    /// when the list passes the 64 KiB object-header limit. Returns nil when neither form exists.
    static func stringList(_ object: some HDF5Object, _ name: String) throws -> [String]? {
        if let value = try object.attribute(name) {
            guard let list = value.stringList else {
                throw FormatError.malformed(file: object.fileName, path: "\(WeightLoader.relative(object.path))@\(name)".trimmingSlash, expected: "a list of strings, found \(value)")
            }
            return list
        }
        var chunks: [String] = []
        var index = 0
        while let value = try object.attribute("\(name)\(index)") {
            guard let list = value.stringList else {
                throw FormatError.malformed(file: object.fileName, path: "\(WeightLoader.relative(object.path))@\(name)\(index)".trimmingSlash, expected: "a list of strings, found \(value)")
            }
            chunks += list
            index += 1
        }
        return index > 0 ? chunks : nil
    }

    /// Reads every layer listed in `group`'s `layer_names`, in that order.
    static func readLayers(in group: HDF5Group, deferring: DeferredReads? = nil) throws -> [CheckpointLayer] {
        let file = group.fileName
        guard let layerNames = try FormatError.wrapping({ try stringList(group, "layer_names") }) else {
            throw FormatError.malformed(file: file, path: group.path, expected: "a 'layer_names' attribute listing the model's layers")
        }
        var layers: [CheckpointLayer] = []
        layers.reserveCapacity(layerNames.count)
        for layerName in layerNames {
            layers.append(try readLayer(named: layerName, in: group, deferring: deferring))
        }
        // Newer writers put weights owned by the model itself in `top_level_model_weights`.
        if group.contains("top_level_model_weights"), !layerNames.contains("top_level_model_weights") {
            let extra = try readLayer(named: "top_level_model_weights", in: group, deferring: deferring)
            if !extra.weights.isEmpty { layers.append(extra) }
        }
        return layers
    }

    private static func readLayer(named layerName: String, in group: HDF5Group, deferring: DeferredReads?) throws -> CheckpointLayer {
        let layerPath = WeightLoader.relative(HDF5Path.join(group.path, layerName))
        guard group.kind(of: layerName) == .group else {
            throw FormatError.malformed(file: group.fileName, path: layerPath, expected: "a group for layer '\(layerName)' (listed in layer_names)")
        }
        let layerGroup = try FormatError.wrapping { try group.group(layerName) }
        let weightNames = try FormatError.wrapping { try stringList(layerGroup, "weight_names") } ?? []
        var weights: [Weight] = []
        weights.reserveCapacity(weightNames.count)
        for stored in weightNames {
            weights.append(try WeightLoader.load(layerGroup, stored, name: KerasNaming.shortName(ofStoredName: stored), storedName: stored, deferring: deferring))
        }
        let inferred = KerasNaming.inferClass(weightNames: weights.map(\.name), ranks: weights.map(\.shape.count))
        return CheckpointLayer(name: layerName, className: inferred, weights: weights)
    }
}

/// Path helpers shared by the readers.
enum HDF5Path {
    static func join(_ parent: String, _ child: String) -> String {
        parent == "/" || parent.isEmpty ? "/" + child : parent + "/" + child
    }
}

extension String {
    var trimmingSlash: String { hasPrefix("/") ? String(dropFirst()) : self }
}
