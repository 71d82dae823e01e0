/// An error from the HDF5 layer. Every case names the file and the object path inside it, and,
/// where libhdf5 reported one, the message from its error stack.
public enum HDF5Error: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file does not exist.
    case fileNotFound(file: String)
    /// The path names a directory, not a file.
    case isDirectory(file: String)
    /// The file exists but is not an HDF5 file (wrong signature, empty or truncated header).
    case notHDF5(file: String)
    /// No object exists at `path` inside the file.
    case objectNotFound(file: String, path: String)
    /// The object at `path` is of another kind than the one asked for.
    case wrongObjectKind(file: String, path: String, expected: String, found: String)
    /// A dataset or attribute holds an element type this wrapper does not read.
    case unsupportedType(file: String, path: String, type: String)
    /// A caller's buffer does not match the dataset's byte size.
    case bufferSizeMismatch(file: String, path: String, expected: Int, given: Int)
    /// A dataset's shape cannot be read into memory: its size overflows, or it claims more bytes
    /// than the file stores for it.
    case badShape(file: String, path: String, shape: [UInt64], reason: String)
    /// A call into libhdf5 failed; `message` is libhdf5's error stack, innermost first.
    case library(operation: String, file: String, path: String, message: String)
    /// Something zoo refuses to follow: an external link or external storage (bytes outside
    /// the file), a link cycle, a soft link that does not resolve.
    case refused(file: String, path: String, reason: String)
    /// The sandbox process (`HDF5Sandbox`) found that libhdf5 crashes, hangs or runs out of
    /// memory on the file, or could not run.
    case sandbox(file: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let file):
            return "\(file): no such file"
        case .isDirectory(let file):
            return "\(file): is a directory, expected an HDF5 file"
        case .notHDF5(let file):
            return "\(file): not an HDF5 file (no HDF5 signature; empty, truncated or another format)"
        case .objectNotFound(let file, let path):
            return "\(file): no object at HDF5 path '\(path)'"
        case .wrongObjectKind(let file, let path, let expected, let found):
            return "\(file): HDF5 path '\(path)' is a \(found), expected a \(expected)"
        case .unsupportedType(let file, let path, let type):
            return "\(file): HDF5 path '\(path)' has unsupported element type \(type)"
        case .bufferSizeMismatch(let file, let path, let expected, let given):
            return "\(file): HDF5 path '\(path)' holds \(expected) bytes, but the buffer has \(given)"
        case .badShape(let file, let path, let shape, let reason):
            return "\(file): HDF5 path '\(path)' has shape \(shape): \(reason)"
        case .refused(let file, let path, let reason):
            return "\(file): HDF5 path '\(path)' \(reason)"
        case .sandbox(let file, let reason):
            return "\(file): \(reason)"
        case .library(let operation, let file, let path, let message):
            let detail = message.isEmpty ? "" : ": \(message)"
            return "\(file): \(operation) failed at HDF5 path '\(path)'\(detail)"
        }
    }
}
