import Foundation

/// Writes a checkpoint in any writable Keras layout, atomically (temporary file, fsync, rename).
public enum CheckpointWriter {
    /// Writes `checkpoint` to `path` in `format`.
    ///
    /// A full-model `.h5` and a `.keras` archive need the model config (present when the source
    /// was a full-model file or an archive). The Keras 3 layout needs each weighted layer's class.
    public static func write(_ checkpoint: Checkpoint, to path: String, format: CheckpointFormat) throws {
        try validate(checkpoint, for: format, path: path)
        if format == .safetensors { return try SafetensorsFile.write(checkpoint, to: path) }
        try AtomicOutput.write(to: path) { temporary in
            switch format {
            case .safetensors, .zoo:
                throw FormatError.cannotWrite(file: path, reason: "\(format.rawValue) is written by its own writer")
            case .kerasH5Weights:
                try LegacyH5Writer.writeWeights(checkpoint, to: temporary)
            case .kerasH5Model:
                try LegacyH5Writer.writeModel(checkpoint, to: temporary, outputName: path)
            case .keras3Weights:
                try Keras3WeightsWriter.write(checkpoint, to: temporary)
            case .kerasArchive:
                // Members are staged beside the output (issue 11), not in the system temporary
                // directory, where a killed run used to leave a model-sized weights file.
                let scratch = URL(fileURLWithPath: temporary + ".members")
                try AtomicOutput.removingOnStop(scratch.path) {
                    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
                    defer { try? FileManager.default.removeItem(at: scratch) }
                    try KerasArchive.write(checkpoint, to: temporary, scratchDirectory: scratch.path)
                }
            }
        }
    }

    /// Throws, naming `path`, when `checkpoint` lacks what `format` needs; nothing is written.
    public static func validate(_ checkpoint: Checkpoint, for format: CheckpointFormat, path: String) throws {
        switch format {
        case .kerasH5Weights:
            return
        case .kerasH5Model, .kerasArchive:
            if checkpoint.modelConfig == nil {
                let what = format == .kerasArchive ? "a .keras archive" : "a full-model .h5"
                throw FormatError.cannotWrite(file: path, reason: "\(what) needs the model config, and this checkpoint has none (convert from a full-model .h5 or a .keras file)")
            }
            if format == .kerasArchive { _ = try Keras3WeightsWriter.groupNames(for: checkpoint, file: path) }
        case .keras3Weights:
            _ = try Keras3WeightsWriter.groupNames(for: checkpoint, file: path)
        case .safetensors, .zoo:
            return
        }
    }
}
