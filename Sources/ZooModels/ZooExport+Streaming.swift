import ZooFormats
import ZooGraph
import ZooNative

extension ZooExport {
    /// Converts a Keras HDF5 file (legacy `.h5` weights, full-model `.h5`, Keras 3
    /// `.weights.h5`) to a `.zoo` file without holding the model in memory.
    ///
    /// The file's structure (names, dtypes, shapes, configs) is read first and bound with
    /// `loader`, which fixes the output's whole layout; then each weight is read from the source
    /// into one reused buffer, hashed and written at its final offset, while a second thread
    /// computes the source's SHA-256. Peak memory is about the largest tensor, and the output is
    /// byte for byte what `write` produces from the fully read checkpoint.
    ///
    /// Returns nil, having written nothing, when this path cannot serve the request: a dtype
    /// conversion or BatchNormalization folding (both need the weights in memory), a source that
    /// is not a Keras HDF5 file (`.keras` archives, safetensors, `.zoo`), torchvision naming
    /// (its layouts are converted in memory), or weights that do not bind to a graph. The caller
    /// then reads the whole checkpoint and uses `write` or `writeUnbound`, which also report
    /// whatever was wrong. Errors once writing has begun are thrown.
    /// - Returns: the source's structure (its weights carry no data).
    public static func convertStreaming(_ input: String, sourceFile: String, to output: String, loader: ModelLoader, options: Options) throws -> Checkpoint? {
        guard options.dtype == nil, !options.foldBatchNorm else { return nil }
        // The hash reads the whole file on its own thread from the start, overlapping the rest.
        let hash = SHA256.FileTask(path: input)
        // Never leave the hashing thread running: the caller may exit on an error next.
        defer { hash.cancelAndWait() }
        guard let stream = try? HDF5CheckpointStream(path: input) else { return nil }
        let structure = stream.checkpoint
        // Torchvision layouts are permuted while binding, which needs the bytes.
        let scheme = loader.scheme ?? NamingScheme.detect(structure)
        guard scheme != .torchvision,
              let loaded = try? loader.load(structure, file: input),
              loaded.model.scheme != .torchvision else { return nil }
        _ = try write(loaded, sourceFile: sourceFile, sourceSHA256: .pending(hash), to: output, options: options, stream: stream)
        return structure
    }
}
