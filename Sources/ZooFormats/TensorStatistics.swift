/// Summary values of a tensor, computed in float64 whatever the stored dtype.
public struct TensorStatistics: Sendable, Equatable {
    public var sum: Double
    public var minimum: Double
    public var maximum: Double
    /// Sum of absolute values, which changes when any element changes sign.
    public var absoluteSum: Double

    /// Computes the statistics of `data` holding `dtype` values (NaN-free data assumed; NaN
    /// propagates into `sum`).
    public init(_ data: TensorData, dtype: DType) {
        var sum = 0.0, absoluteSum = 0.0
        var minimum = Double.infinity, maximum = -Double.infinity
        func visit(_ value: Double) {
            sum += value
            absoluteSum += abs(value)
            if value < minimum { minimum = value }
            if value > maximum { maximum = value }
        }
        switch dtype {
        case .float32: data.withUnsafeBuffer(of: Float.self) { for v in $0 { visit(Double(v)) } }
        case .float64: data.withUnsafeBuffer(of: Double.self) { for v in $0 { visit(v) } }
        case .float16: data.withUnsafeBuffer(of: UInt16.self) { for v in $0 { visit(Double(Self.halfToFloat(v))) } }
        case .bfloat16: data.withUnsafeBuffer(of: UInt16.self) { for v in $0 { visit(Double(Float(bitPattern: UInt32(v) << 16))) } }
        case .int32: data.withUnsafeBuffer(of: Int32.self) { for v in $0 { visit(Double(v)) } }
        case .int64: data.withUnsafeBuffer(of: Int64.self) { for v in $0 { visit(Double(v)) } }
        case .uint8: data.withUnsafeBuffer(of: UInt8.self) { for v in $0 { visit(Double(v)) } }
        }
        self.sum = sum
        self.absoluteSum = absoluteSum
        self.minimum = data.count == 0 ? 0 : minimum
        self.maximum = data.count == 0 ? 0 : maximum
    }

    /// IEEE binary16 bits to Float, exactly (subnormals, infinities and NaN included).
    public static func halfToFloat(_ bits: UInt16) -> Float {
        let sign: UInt32 = UInt32(bits & 0x8000) << 16
        let exponent = Int((bits >> 10) & 0x1f)
        let mantissa = UInt32(bits & 0x3ff)
        if exponent == 0 {
            // Zero or subnormal: mantissa * 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
    }
}
