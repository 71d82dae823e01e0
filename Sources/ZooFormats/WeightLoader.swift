import ZooHDF5

/// Reads one HDF5 dataset into a `Weight`, mapping its stored type to a `DType`.
enum WeightLoader {
    /// The DType of a dataset, or an error naming the file and path when it has none.
    static func dtype(of dataset: HDF5Dataset) throws -> DType {
        switch dataset.elementType {
        case .float16: return .float16
        case .float32: return .float32
        case .float64: return .float64
        case .integer(32, true): return .int32
        case .integer(64, true): return .int64
        case .integer(8, false): return .uint8
        case .opaque(2):
            // Keras 3 stores bfloat16 as 2-byte opaque data tagged with a `dtype` attribute.
            if (try? dataset.attribute("dtype"))??.stringValue == "bfloat16" { return .bfloat16 }
            fallthrough
        default:
            throw FormatError.unsupportedDType(file: dataset.fileName, path: relative(dataset.path), type: dataset.elementType.description)
        }
    }

    /// Reads the dataset at `relativePath` under `group` as a weight called `name`. With
    /// `deferring`, only the dtype and shape are read: the weight's data is left empty and the
    /// open dataset is kept in `deferring` under the weight's path, for a later streamed read.
    static func load(_ group: HDF5Group, _ relativePath: String, name: String, storedName: String, deferring: DeferredReads? = nil) throws -> Weight {
        let dataset: HDF5Dataset
        do {
            dataset = try group.dataset(relativePath)
        } catch HDF5Error.objectNotFound(let file, let path) {
            throw FormatError.malformed(file: file, path: relative(path), expected: "a weight dataset named in weight_names, found nothing")
        } catch let error as HDF5Error {
            throw FormatError.hdf5(error)
        }
        let dtype = try dtype(of: dataset)
        if let deferring {
            let path = relative(dataset.path)
            deferring.datasets[path] = dataset
            return Weight(name: name, path: path, storedName: storedName, dtype: dtype, shape: dataset.shape, data: TensorData(byteCount: 0) { _ in })
        }
        let data = try FormatError.wrapping {
            try TensorData(byteCount: dataset.elementCount * dtype.byteSize) { try dataset.read(into: $0) }
        }
        return Weight(name: name, path: relative(dataset.path), storedName: storedName, dtype: dtype, shape: dataset.shape, data: data)
    }

    /// An HDF5 path without its leading slash, as `Weight.path` records it.
    static func relative(_ path: String) -> String {
        path.hasPrefix("/") ? String(path.dropFirst()) : path
    }
}
