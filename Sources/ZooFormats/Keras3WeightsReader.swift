import ZooHDF5

/// Reads the Keras 3 `.weights.h5` layout: `layers/<snake_case_class>[_N]/vars/<i>`.
///
/// Group names come from class names and per-class counters, not layer names. Without a config
/// the layers are reported as stored, ordered by class name and then counter; with a config
/// (a `.keras` archive) they get their real names and `model.layers` order.
enum Keras3WeightsReader {
    static func read(root: HDF5Group, config: KerasModelConfig?, deferring: DeferredReads? = nil) throws -> [CheckpointLayer] {
        guard root.kind(of: "layers") == .group else {
            throw FormatError.malformed(file: root.fileName, path: "layers", expected: "a 'layers' group (Keras 3 weights layout)")
        }
        let layersGroup = try FormatError.wrapping { try root.group("layers") }
        var layers = try readLayers(in: layersGroup, config: config?.layers, prefix: "", deferring: deferring)
        // Weights the model owns itself sit in the root `vars` group.
        if root.kind(of: "vars") == .group {
            let own = try readVars(try FormatError.wrapping { try root.group("vars") }, names: nil, deferring: deferring)
            if !own.isEmpty { layers.append(CheckpointLayer(name: "vars", weights: own)) }
        }
        return layers
    }

    private static func readLayers(in group: HDF5Group, config: [KerasModelConfig.Layer]?, prefix: String, deferring: DeferredReads?) throws -> [CheckpointLayer] {
        let children = try FormatError.wrapping { try group.children() }.filter { $0.kind == .group }.map(\.name)
        var result: [CheckpointLayer] = []
        if let config {
            let groupNames = KerasModelConfig.keras3GroupNames(for: config)
            var seen = Set<String>()
            for (layer, groupName) in zip(config, groupNames) {
                guard children.contains(groupName) else {
                    if let names = layer.variableNames, !names.isEmpty {
                        throw FormatError.malformed(file: group.fileName, path: WeightLoader.relative(HDF5Path.join(group.path, groupName)),
                                                    expected: "a group for layer '\(layer.name)' (\(layer.className)), found nothing")
                    }
                    continue
                }
                seen.insert(groupName)
                result += try readLayer(group, groupName: groupName, displayName: prefix + layer.name, className: layer.className,
                                        kerasName: layer.name, variableNames: layer.variableNames, nested: layer.nested.isEmpty ? nil : layer.nested, deferring: deferring)
            }
            // Groups the config does not explain are reported as stored, not dropped.
            for name in naturalSorted(children) where !seen.contains(name) {
                result += try readLayer(group, groupName: name, displayName: prefix + name, className: nil, kerasName: nil, variableNames: nil, nested: nil, deferring: deferring)
            }
            return result
        }
        for name in naturalSorted(children) {
            let className = KerasNaming.classesBySnakeCase[KerasNaming.splitCounter(name).base]
                ?? KerasNaming.classesBySnakeCase[name]
            result += try readLayer(group, groupName: name, displayName: prefix + name, className: className, kerasName: nil,
                                    variableNames: className.flatMap { KerasNaming.variableNames(forClass: $0) }, nested: nil, deferring: deferring)
        }
        return result
    }

    private static func readLayer(_ parent: HDF5Group, groupName: String, displayName: String, className: String?, kerasName: String?,
                                  variableNames: [String]?, nested: [KerasModelConfig.Layer]?, deferring: DeferredReads?) throws -> [CheckpointLayer] {
        let group = try FormatError.wrapping { try parent.group(groupName) }
        var weights: [Weight] = []
        var storedName: String? = kerasName
        if group.kind(of: "vars") == .group {
            let vars = try FormatError.wrapping { try group.group("vars") }
            if storedName == nil { storedName = try FormatError.wrapping { try vars.attribute("name") }?.stringValue }
            weights = try readVars(vars, names: variableNames, deferring: deferring)
        }
        // Sub-objects other than nested layers (e.g. a wrapper's inner layer) keep their path.
        let children = try FormatError.wrapping { try group.children() }.filter { $0.kind == .group }.map(\.name)
        for child in naturalSorted(children) where child != "vars" && child != "layers" {
            let sub = try readLayer(group, groupName: child, displayName: displayName + "/" + child, className: nil, kerasName: nil, variableNames: nil, nested: nil, deferring: deferring)
            for layer in sub { weights += layer.weights.map { var w = $0; w.name = child + "/" + w.name; return w } }
        }
        var result = [CheckpointLayer(name: displayName, className: className, kerasName: storedName, weights: weights)]
        if children.contains("layers") {
            let nestedGroup = try FormatError.wrapping { try group.group("layers") }
            // A nested model's layers: named `<model>/<layer>`, marked as its members.
            result += try readLayers(in: nestedGroup, config: nested, prefix: displayName + "/", deferring: deferring).map { layer in
                var member = layer
                if member.nestedIn == nil { member.nestedIn = displayName }
                return member
            }
        }
        return result
    }

    /// Reads the datasets `0`, `1`, ... of a `vars` group, in numeric order, naming them from
    /// `names` when the count matches (or is a prefix match for bias-less layers).
    static func readVars(_ vars: HDF5Group, names: [String]?, deferring: DeferredReads? = nil) throws -> [Weight] {
        let entries = try FormatError.wrapping { try vars.children() }.filter { $0.kind == .dataset }.map(\.name)
        let ordered = naturalSorted(entries)
        var weights: [Weight] = []
        var resolved = names
        // A bias-less Conv2D or Dense stores only its kernel.
        if let list = names, list.count == ordered.count + 1, list.last == "bias" { resolved = Array(list.dropLast()) }
        // A BatchNormalization with `scale=False` (InceptionV3's) stores beta and the moving
        // statistics. Three variables could also mean `center=False`; the shapes cannot tell,
        // and keras.applications only uses `scale=False`.
        if let list = names, list == ["gamma", "beta", "moving_mean", "moving_variance"], ordered.count == 3 { resolved = Array(list.dropFirst()) }
        for (index, entry) in ordered.enumerated() {
            var name = entry
            if let resolved, resolved.count == ordered.count { name = resolved[index] }
            weights.append(try WeightLoader.load(vars, entry, name: name, storedName: entry, deferring: deferring))
        }
        return weights
    }

    /// Sorts names so numeric suffixes compare as numbers: `conv2d, conv2d_1, conv2d_2, conv2d_10`.
    static func naturalSorted(_ names: [String]) -> [String] {
        func key(_ name: String) -> (String, Int) {
            if let number = Int(name) { return ("", number) }
            return KerasNaming.splitCounter(name)
        }
        return names.sorted { a, b in
            let (ab, ac) = key(a)
            let (bb, bc) = key(b)
            if ab != bb { return ab < bb }
            if ac != bc { return ac < bc }
            return a < b
        }
    }
}
