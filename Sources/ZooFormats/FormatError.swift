import ZooHDF5

/// An error reading or writing a checkpoint. Each case names the file, and where it applies the
/// path inside it and what was expected there.
public enum FormatError: Error, CustomStringConvertible, Sendable {
    /// An error from the HDF5 layer (missing file, not HDF5, libhdf5 failure, ...).
    case hdf5(HDF5Error)
    /// The file is HDF5 (or zip) but holds none of the Keras layouts.
    case notKeras(file: String, reason: String)
    /// A Keras structure is present but broken at HDF5 path `path`.
    case malformed(file: String, path: String, expected: String)
    /// A non-HDF5 file (safetensors, npy, npz) is broken at `location` (a header, a tensor, a member).
    case invalid(file: String, location: String, expected: String)
    /// A weight's element type is not one SwiftZoo reads.
    case unsupportedDType(file: String, path: String, type: String)
    /// The `.keras` zip archive could not be read or lacks a member.
    case archive(file: String, reason: String)
    /// The requested output cannot be written from this checkpoint.
    case cannotWrite(file: String, reason: String)
    /// An I/O failure outside libhdf5 (temporary files, renames).
    case io(file: String, reason: String)

    public var description: String {
        switch self {
        case .hdf5(let error):
            return error.description
        case .notKeras(let file, let reason):
            return "\(file): not a Keras weight file: \(reason)"
        case .malformed(let file, let path, let expected):
            return "\(file): at HDF5 path '\(path)': expected \(expected)"
        case .invalid(let file, let location, let expected):
            return "\(file): at \(location): expected \(expected)"
        case .unsupportedDType(let file, let path, let type):
            return "\(file): weight '\(path)' has unsupported type \(type) (expected float16, bfloat16, float32, float64, int32, int64 or uint8)"
        case .archive(let file, let reason):
            return "\(file): bad .keras archive: \(reason)"
        case .cannotWrite(let file, let reason):
            return "\(file): cannot write: \(reason)"
        case .io(let file, let reason):
            return "\(file): \(reason)"
        }
    }

    /// Runs `body`, wrapping HDF5 errors so callers see one error type.
    static func wrapping<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as HDF5Error {
            throw FormatError.hdf5(error)
        }
    }
}
