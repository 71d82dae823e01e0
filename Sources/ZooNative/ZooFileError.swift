/// An error reading or writing a `.zoo` file; each case names the file and what was wrong.
public enum ZooFileError: Error, CustomStringConvertible, Equatable, Sendable {
    case truncated(file: String, size: Int, needed: Int)
    case badMagic(file: String)
    case unsupportedVersion(file: String, major: Int, minor: Int)
    case badHeader(file: String, reason: String)
    case badTensor(file: String, tensor: String, reason: String)
    case checksumMismatch(file: String, tensor: String)
    case headerChecksumMismatch(file: String)
    case fileChecksumMismatch(file: String)
    case noSuchTensor(file: String, tensor: String)
    case cannotWrite(file: String, reason: String)

    public var description: String {
        switch self {
        case .truncated(let file, let size, let needed):
            return "\(file): truncated .zoo file (\(size) bytes, the header needs \(needed))"
        case .badMagic(let file):
            return "\(file): not a .zoo file (wrong magic bytes)"
        case .unsupportedVersion(let file, let major, let minor):
            return "\(file): .zoo format version \(major).\(minor) is newer than this reader (1.x); upgrade SwiftZoo"
        case .badHeader(let file, let reason):
            return "\(file): corrupt .zoo header: \(reason)"
        case .badTensor(let file, let tensor, let reason):
            return "\(file): tensor '\(tensor)': \(reason)"
        case .checksumMismatch(let file, let tensor):
            return "\(file): checksum mismatch in tensor '\(tensor)' (the data is corrupt)"
        case .headerChecksumMismatch(let file):
            return "\(file): header checksum mismatch (the tensor table or metadata is corrupt)"
        case .fileChecksumMismatch(let file):
            return "\(file): whole-file checksum mismatch (padding or data corrupt)"
        case .noSuchTensor(let file, let tensor):
            return "\(file): no tensor named '\(tensor)'"
        case .cannotWrite(let file, let reason):
            return "\(file): cannot write: \(reason)"
        }
    }
}
