import ZooHDF5

/// Writes the legacy Keras HDF5 weight layout that `model.load_weights('x.h5')` and
/// `keras.models.load_model('x.h5')` read.
enum LegacyH5Writer {
    /// Keras splits attribute arrays larger than this into `name0`, `name1`, ...
    static let objectHeaderLimit = 64512

    /// Writes a weights-only file.
    static func writeWeights(_ checkpoint: Checkpoint, to path: String) throws {
        let file = try FormatError.wrapping { try HDF5File.create(path) }
        let root = try FormatError.wrapping { try file.root() }
        try writeLayers(checkpoint, into: root)
        try writeProvenance(checkpoint, root)
        try FormatError.wrapping { try file.flush() }
    }

    /// Writes a full-model file: config attributes at the root, weights under `model_weights`.
    static func writeModel(_ checkpoint: Checkpoint, to path: String, outputName: String) throws {
        guard let config = checkpoint.modelConfig else {
            throw FormatError.cannotWrite(file: outputName, reason: "a full-model .h5 needs the model config, and this checkpoint has none (convert from a full-model .h5 or a .keras file)")
        }
        let file = try FormatError.wrapping { try HDF5File.create(path) }
        let root = try FormatError.wrapping { try file.root() }
        try FormatError.wrapping {
            try root.setAttribute("model_config", .string(config))
            try root.setAttribute("keras_version", .string(checkpoint.kerasVersion ?? "3.0.0"))
            try root.setAttribute("backend", .string(checkpoint.backend ?? "tensorflow"))
            if let training = checkpoint.trainingConfig { try root.setAttribute("training_config", .string(training)) }
        }
        let weightsGroup = try FormatError.wrapping { try root.createGroup("model_weights") }
        try writeLayers(checkpoint, into: weightsGroup)
        try writeProvenance(checkpoint, root)
        try FormatError.wrapping { try file.flush() }
    }

    /// Stores SwiftZoo's provenance record as a root attribute (Keras ignores unknown attributes).
    static func writeProvenance(_ checkpoint: Checkpoint, _ root: HDF5Group) throws {
        guard let provenance = checkpoint.provenance else { return }
        try FormatError.wrapping { try root.setAttribute("swiftzoo_provenance", .string(provenance)) }
    }

    /// The layers as a legacy file lists them: a nested model's layers merged into its group,
    /// their weights trainable first (Keras's `trainable_weights + non_trainable_weights`),
    /// each named `<nested model>/<layer>/<weight>` as Keras 3 writes them.
    static func modelLayers(_ checkpoint: Checkpoint) -> [CheckpointLayer] {
        var nested: [String: [CheckpointLayer]] = [:]
        for layer in checkpoint.layers { if let parent = layer.nestedIn { nested[parent, default: []].append(layer) } }
        return checkpoint.layers.filter { $0.nestedIn == nil }.map { layer in
            guard let members = nested[layer.name] else { return layer }
            var merged = layer
            let named = members.map { member in
                (member.weights.map { weight -> Weight in
                    var w = weight
                    w.storedName = "\(layer.name)/\(legacyName(member))/\(weight.name)"
                    return w
                }, member.trainableWeightCount ?? member.weights.count)
            }
            merged.weights = named.flatMap { $0.0.prefix($0.1) } + named.flatMap { $0.0.dropFirst($0.1) }
            return merged
        }
    }

    static func writeLayers(_ checkpoint: Checkpoint, into group: HDF5Group) throws {
        var checkpoint = checkpoint
        checkpoint.layers = modelLayers(checkpoint)
        try FormatError.wrapping {
            try setStringList(group, "layer_names", checkpoint.layers.map(legacyName))
            try group.setAttribute("backend", .string(checkpoint.backend ?? "tensorflow"))
            try group.setAttribute("keras_version", .string(checkpoint.kerasVersion ?? "3.0.0"))
        }
        // tf-keras creates the groups sorted by name, so that `a/b` exists before `a/b/c` (its
        // MobileNetV3 names layers `expanded_conv/depthwise` and `expanded_conv/depthwise/pad`);
        // `layer_names` keeps the model's order. Without a `/` in any name the order is the
        // model's, as Keras 3 writes it.
        var ordered = checkpoint.layers
        if ordered.contains(where: { legacyName($0).contains("/") }) {
            ordered.sort { legacyName($0).unicodeScalars.lexicographicallyPrecedes(legacyName($1).unicodeScalars) }
        }
        for layer in ordered {
            let layerGroup = try FormatError.wrapping { try group.createGroup(legacyName(layer)) }
            let storedNames = layer.weights.map { storedName(of: $0, in: layer) }
            try FormatError.wrapping {
                if storedNames.isEmpty {
                    // Keras stores an empty `weight_names` as an empty float64 array.
                    try layerGroup.setAttribute("weight_names", .doubles([]))
                } else {
                    try setStringList(layerGroup, "weight_names", storedNames)
                }
            }
            for (weight, stored) in zip(layer.weights, storedNames) {
                try WeightStorage.write(weight, in: layerGroup, at: stored)
            }
        }
    }

    /// The legacy weight name: kept from a legacy source (`conv1/kernel:0`), made up as
    /// `<layer>/<short name>` otherwise.
    static func storedName(of weight: Weight, in layer: CheckpointLayer) -> String {
        weight.storedName.contains("/") ? weight.storedName : "\(legacyName(layer))/\(weight.name)"
    }

    /// The layer name a legacy file gets: the real Keras name when a Keras 3 file recorded it
    /// beside its class-and-counter group name, else the name as read.
    static func legacyName(_ layer: CheckpointLayer) -> String {
        layer.kerasName ?? layer.name
    }

    /// Writes a string list the way Keras does: one attribute, or chunks `name0`, `name1`, ...
    /// when the fixed-width array would pass the object-header limit (Keras's own rule).
    static func setStringList(_ object: some HDF5Object, _ name: String, _ values: [String]) throws {
        let width = values.map { $0.utf8.count }.max() ?? 0
        // Keras refuses such a name too ("cannot be saved to HDF5 file because they are larger
        // than 64512 bytes"); splitting could never make it fit (this looped forever).
        guard width <= objectHeaderLimit else {
            throw FormatError.cannotWrite(file: object.fileName, reason: "a name in '\(name)' is \(width) bytes, more than the \(objectHeaderLimit) an HDF5 attribute of a legacy Keras file can hold (Keras refuses it too); write .keras, .weights.h5, .safetensors or .zoo instead")
        }
        var chunks = 1
        while chunks < values.count, chunkSizes(values.count, chunks).contains(where: { $0 * width > objectHeaderLimit }) { chunks += 1 }
        if chunks == 1 {
            try object.setAttribute(name, .strings(values))
            return
        }
        var start = 0
        for (index, size) in chunkSizes(values.count, chunks).enumerated() {
            try object.setAttribute("\(name)\(index)", .strings(Array(values[start..<(start + size)])))
            start += size
        }
    }

    /// numpy's `array_split` sizes: the first `count % chunks` parts get one extra element.
    static func chunkSizes(_ count: Int, _ chunks: Int) -> [Int] {
        (0..<chunks).map { count / chunks + ($0 < count % chunks ? 1 : 0) }
    }
}
