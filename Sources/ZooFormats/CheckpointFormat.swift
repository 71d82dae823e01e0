/// The on-disk layout of a checkpoint, detected from content (never from the file name).
public enum CheckpointFormat: String, Codable, CaseIterable, Sendable {
    /// Legacy weights-only HDF5 (`save_weights('x.h5')`, every keras-applications file).
    case kerasH5Weights = "keras-h5-weights"
    /// Legacy full-model HDF5 (`model.save('x.h5')`): weights under `model_weights` plus config.
    case kerasH5Model = "keras-h5-model"
    /// Keras 3 `.weights.h5`: `layers/<class>[_N]/vars/<i>`.
    case keras3Weights = "keras3-weights"
    /// Keras 3 `.keras` zip archive (`config.json`, `metadata.json`, `model.weights.h5`).
    case kerasArchive = "keras-archive"
    /// safetensors: 8-byte header length, JSON header, raw tensor data.
    case safetensors = "safetensors"
    /// SwiftZoo's native `.zoo` (see Docs/FORMAT.md).
    case zoo = "zoo"

    /// The layouts `CheckpointWriter` can write.
    public static let writable: [CheckpointFormat] = [.kerasH5Weights, .kerasH5Model, .keras3Weights, .kerasArchive]

    /// A guess from a file name, used only to pick an output layout the user did not name.
    public static func guess(fromOutputName name: String) -> CheckpointFormat? {
        let lower = name.lowercased()
        if lower.hasSuffix(".weights.h5") { return .keras3Weights }
        if lower.hasSuffix(".safetensors") { return .safetensors }
        if lower.hasSuffix(".zoo") { return .zoo }
        if lower.hasSuffix(".keras") { return .kerasArchive }
        if lower.hasSuffix(".model.h5") { return .kerasH5Model }
        if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") { return .kerasH5Weights }
        return nil
    }
}
