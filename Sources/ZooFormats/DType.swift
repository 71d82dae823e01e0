/// Element types a checkpoint tensor can have.
public enum DType: String, Codable, CaseIterable, Sendable {
    case float16, bfloat16, float32, float64, int32, int64, uint8

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float16, .bfloat16: return 2
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        case .uint8: return 1
        }
    }

    /// Whether the type is a floating-point type.
    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: return true
        case .int32, .int64, .uint8: return false
        }
    }
}
