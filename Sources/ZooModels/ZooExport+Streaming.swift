import ZooFormats
import ZooGraph
import ZooNative

extension ZooExport {
    /// Converts a Keras file (legacy `.h5` weights, full-model `.h5`, Keras 3 `.weights.h5`,
    /// `.keras`) to a `.zoo` file without holding the model in memory.
    ///
    /// The file's structure (names, dtypes, shapes, configs) is read first and bound with
    /// `loader`, which fixes the output's whole layout; then each weight is read from the source
    /// into one reused buffer, hashed and written at its final offset, while a second thread
    /// computes the source's SHA-256. Peak memory is about the largest tensor, and the output is
    /// byte for byte what `write` produces from the fully read checkpoint.
    ///
    /// Returns nil, having written nothing, when this path cannot serve the request: a dtype
    /// conversion or BatchNormalization folding of a graph that has any (both need the weights
    /// in memory; packing does not), a source that
    /// is not a Keras file (safetensors, `.zoo`), torchvision naming
    /// (its layouts are converted in memory), or weights that do not bind to a graph. The caller
    /// then reads the whole checkpoint and uses `write` or `writeUnbound`, which also report
    /// whatever was wrong. Errors once writing has begun are thrown.
    /// - Returns: the source's structure (its weights carry no data).
    public static func convertStreaming(_ input: String, sourceFile: String, to output: String, loader: ModelLoader, options: Options) throws -> Checkpoint? {
        guard options.dtype == nil else { return nil }
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
        // Folding rewrites kernels with their BatchNormalization's statistics, in memory; a graph
        // with nothing to fold (VGG) streams, packed kernels too.
        if options.foldBatchNorm, loaded.model.graph.nodes.contains(where: { if case .batchNormalization = $0.op { true } else { false } }) {
            return nil
        }
        _ = try write(loaded, sourceFile: sourceFile, sourceSHA256: .pending(hash), to: output, options: options, stream: stream)
        return structure
    }
}
