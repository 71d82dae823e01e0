import ZooHDF5

/// A Keras checkpoint (legacy `.h5` weights, full-model `.h5`, Keras 3 `.weights.h5`, and
/// `.keras` archives, whose weights member is read from a scratch copy) opened for streaming: `checkpoint` holds every layer and weight with its name, path, dtype
/// and shape but no data, so a caller can bind and lay out the model before reading any bytes,
/// then read each weight into memory of its choosing (a reused buffer) with `read(_:into:)`.
///
/// The bytes `read(_:into:)` delivers are exactly those `CheckpointReader.read` puts in the
/// weight's `TensorData`. Not for concurrent use: libhdf5 calls go through one thread at a time.
public final class HDF5CheckpointStream {
    /// The file as given, used in errors.
    public let path: String
    /// The checkpoint's structure; every weight's `data` is empty (see `hasPendingData`).
    public let checkpoint: Checkpoint
    private let file: HDF5File
    private let datasets: [String: HDF5Dataset]

    /// Opens `path` and reads its structure (names, dtypes, shapes, configs), no weight data.
    ///
    /// Throws the usual reader errors for anything that is not a Keras layout.
    public init(path: String) throws {
        try CheckpointReader.checkReadable(path)
        let deferred = DeferredReads()
        let (file, checkpoint) = KerasArchive.isZip(path)
            ? try KerasArchive.read(path, deferring: deferred)
            : try CheckpointReader.readHDF5(path, deferring: deferred)
        self.path = path
        self.file = file
        self.checkpoint = checkpoint
        datasets = deferred.datasets
    }

    /// Whether `weight` is one of this checkpoint's weights whose bytes are still in the file
    /// (true for every weight of `checkpoint`, and for copies of them a binder renamed).
    public func hasPendingData(_ weight: Weight) -> Bool {
        weight.data.count == 0 && datasets[weight.path] != nil
    }

    /// Reads `weight`'s bytes into `buffer`, which must be exactly
    /// `weight.elementCount * weight.dtype.byteSize` bytes.
    public func read(_ weight: Weight, into buffer: UnsafeMutableRawBufferPointer) throws {
        guard let dataset = datasets[weight.path] else {
            throw FormatError.malformed(file: path, path: weight.path, expected: "a weight dataset found when the file's structure was read")
        }
        guard dataset.shape == weight.shape, try WeightLoader.dtype(of: dataset) == weight.dtype else {
            throw FormatError.malformed(file: path, path: weight.path, expected: "shape \(weight.shape) of \(weight.dtype.rawValue) as first read, found \(dataset.shape) of \(dataset.elementType)")
        }
        try FormatError.wrapping { try dataset.read(into: buffer) }
    }

    /// Reads `weight`'s bytes in C-order pieces of at most `maxBytes`, handing each to `body`
    /// (one reused buffer: a 411 MB tensor costs `maxBytes` of memory to pass through).
    public func readPieces(_ weight: Weight, maxBytes: Int = 16 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let dataset = datasets[weight.path] else {
            throw FormatError.malformed(file: path, path: weight.path, expected: "a weight dataset found when the file's structure was read")
        }
        guard dataset.shape == weight.shape, try WeightLoader.dtype(of: dataset) == weight.dtype else {
            throw FormatError.malformed(file: path, path: weight.path, expected: "shape \(weight.shape) of \(weight.dtype.rawValue) as first read, found \(dataset.shape) of \(dataset.elementType)")
        }
        try FormatError.wrapping { try dataset.readPieces(maxBytes: maxBytes, body) }
    }
}

/// Collects the open datasets of weights read without their data (see `HDF5CheckpointStream`).
final class DeferredReads {
    /// Weight path (no leading slash) -> its open dataset.
    var datasets: [String: HDF5Dataset] = [:]
}
