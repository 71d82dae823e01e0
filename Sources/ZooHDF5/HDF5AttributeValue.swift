/// The value of an HDF5 attribute, decoded from any of the storage forms writers use.
///
/// Keras files written by h5py 2 hold fixed-length NUL-padded strings, h5py 3 writes
/// variable-length ones, and both may be scalars or arrays; all of them decode to `.string` or
/// `.strings`. Numeric attributes decode to 64-bit values whatever their stored width.
public enum HDF5AttributeValue: Equatable, Sendable, CustomStringConvertible {
    case string(String)
    case strings([String])
    case integer(Int64)
    case integers([Int64])
    case double(Double)
    case doubles([Double])
    /// A type this wrapper does not decode; the text says what it is.
    case unsupported(String)

    /// The value as a list of strings: a scalar string becomes a one-element list, an empty
    /// numeric array (how Keras stores an empty `weight_names`) becomes an empty list.
    public var stringList: [String]? {
        switch self {
        case .string(let s): return [s]
        case .strings(let list): return list
        case .doubles(let d) where d.isEmpty: return []
        case .integers(let i) where i.isEmpty: return []
        default: return nil
        }
    }

    /// The value as one string, when it is a scalar string or a one-element string array.
    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .strings(let list) where list.count == 1: return list[0]
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .strings(let list): return "[" + list.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        case .integer(let i): return String(i)
        case .integers(let list): return "[" + list.map(String.init).joined(separator: ", ") + "]"
        case .double(let d): return String(d)
        case .doubles(let list): return "[" + list.map { String($0) }.joined(separator: ", ") + "]"
        case .unsupported(let text): return "<\(text)>"
        }
    }
}
