/// How a tensor's elements are arranged, recorded per tensor in a `.zoo` file.
public enum TensorLayout: UInt8, Codable, Sendable, CaseIterable {
    case plain = 0
    /// Keras Conv2D kernel `(kh, kw, in, out)`.
    case hwio = 1
    /// PyTorch conv weight `(out, in, kh, kw)`.
    case oihw = 2
    /// Keras Dense kernel `(in, out)`.
    case io = 3
    /// PyTorch Linear weight `(out, in)`.
    case oi = 4
    /// Rearranged for the compute core's kernels.
    case packed = 5

    public var name: String {
        switch self {
        case .plain: return "plain"
        case .hwio: return "HWIO"
        case .oihw: return "OIHW"
        case .io: return "IO"
        case .oi: return "OI"
        case .packed: return "packed"
        }
    }
}
