import Foundation
import ZooHDF5

/// Reads any Keras weight file into a `Checkpoint`, detecting the layout from the content.
public enum CheckpointReader {
    /// Detects a file's layout from its content: zip signature, then the HDF5 structure.
    public static func detectFormat(_ path: String) throws -> CheckpointFormat {
        try checkReadable(path)
        if KerasArchive.isZip(path) { return .kerasArchive }
        let file = try FormatError.wrapping { try HDF5File.open(path) }
        return try detectFormat(root: try FormatError.wrapping { try file.root() })
    }

    static func detectFormat(root: HDF5Group) throws -> CheckpointFormat {
        if try FormatError.wrapping({ try root.hasAttribute("layer_names") || root.hasAttribute("layer_names0") }) {
            return .kerasH5Weights
        }
        if root.kind(of: "model_weights") == .group { return .kerasH5Model }
        if root.kind(of: "layers") == .group || root.kind(of: "_layer_checkpoint_dependencies") == .group {
            return .keras3Weights
        }
        throw FormatError.notKeras(file: root.fileName, reason: "the root group has no 'layer_names' attribute (legacy weights), no 'model_weights' group (full model) and no 'layers' group (Keras 3 weights)")
    }

    /// Reads every layer and weight of a Keras file in any supported layout.
    public static func read(_ path: String) throws -> Checkpoint {
        try checkReadable(path)
        if KerasArchive.isZip(path) { return try KerasArchive.read(path) }
        return try readHDF5(path).checkpoint
    }

    /// Reads an HDF5 Keras file (any HDF5 layout); with `deferring`, weights carry their dtype
    /// and shape but no data, and their open datasets are collected there.
    static func readHDF5(_ path: String, deferring: DeferredReads? = nil) throws -> (file: HDF5File, checkpoint: Checkpoint) {
        let file = try FormatError.wrapping { try HDF5File.open(path) }
        let root = try FormatError.wrapping { try file.root() }
        var checkpoint = try read(root: root, path: path, deferring: deferring)
        checkpoint.provenance = try stringAttribute(root, "swiftzoo_provenance")
        return (file, checkpoint)
    }

    private static func read(root: HDF5Group, path: String, deferring: DeferredReads?) throws -> Checkpoint {
        let format = try detectFormat(root: root)
        let kerasVersion = try stringAttribute(root, "keras_version")
        let backend = try stringAttribute(root, "backend")
        switch format {
        case .kerasH5Weights:
            let layers = try LegacyH5Reader.readLayers(in: root, deferring: deferring)
            return Checkpoint(format: format, kerasVersion: kerasVersion, backend: backend, layers: layers)
        case .kerasH5Model:
            let weightsGroup = try FormatError.wrapping { try root.group("model_weights") }
            var layers = try LegacyH5Reader.readLayers(in: weightsGroup, deferring: deferring)
            let modelConfig = try stringAttribute(root, "model_config")
            if let modelConfig {
                let config = try KerasModelConfig(json: modelConfig, file: "\(path):model_config")
                let classes = Dictionary(config.layers.map { ($0.name, $0.className) }, uniquingKeysWith: { a, _ in a })
                for index in layers.indices {
                    if let className = classes[layers[index].name] { layers[index].className = className }
                }
            }
            return Checkpoint(format: format,
                              kerasVersion: try kerasVersion ?? stringAttribute(weightsGroup, "keras_version"),
                              backend: try backend ?? stringAttribute(weightsGroup, "backend"),
                              layers: layers, modelConfig: modelConfig,
                              trainingConfig: try stringAttribute(root, "training_config"))
        case .keras3Weights:
            let layers = try Keras3WeightsReader.read(root: root, config: nil, deferring: deferring)
            return Checkpoint(format: format, kerasVersion: kerasVersion, backend: backend, layers: layers)
        case .kerasArchive, .safetensors, .zoo:
            throw FormatError.notKeras(file: path, reason: "expected an HDF5 Keras layout")
        }
    }

    /// Plain errors for the common mistakes, before any parser sees the file.
    static func checkReadable(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FormatError.hdf5(.fileNotFound(file: path))
        }
        if isDirectory.boolValue { throw FormatError.hdf5(.isDirectory(file: path)) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size == 0 { throw FormatError.notKeras(file: path, reason: "the file is empty") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw FormatError.io(file: path, reason: "permission denied")
        }
    }

    private static func stringAttribute(_ object: some HDF5Object, _ name: String) throws -> String? {
        guard let value = try FormatError.wrapping({ try object.attribute(name) }) else { return nil }
        guard let text = value.stringValue else {
            throw FormatError.malformed(file: object.fileName, path: "\(object.path)@\(name)".trimmingSlash, expected: "a string, found \(value)")
        }
        return text
    }
}
