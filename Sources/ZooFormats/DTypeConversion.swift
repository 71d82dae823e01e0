/// Converting weights between float dtypes, rounding to nearest even.
public enum DTypeConversion {
    /// The weight converted to `target`, and the largest absolute difference from the original
    /// (0 when nothing changed). Integer weights and same-dtype requests are returned as they are.
    public static func convert(_ weight: Weight, to target: DType) -> (weight: Weight, maxAbsError: Double) {
        guard weight.dtype != target, weight.dtype.isFloatingPoint, target.isFloatingPoint else { return (weight, 0) }
        let values = floats(weight)
        var maxError = 0.0
        let data: TensorData
        switch target {
        case .float32:
            data = TensorData(values: values)
        case .float64:
            data = TensorData(values: values.map(Double.init))
        case .float16:
            let bits = values.map(floatToHalf)
            for (v, b) in zip(values, bits) { maxError = max(maxError, abs(Double(v) - Double(TensorStatistics.halfToFloat(b)))) }
            data = TensorData(values: bits)
        case .bfloat16:
            let bits = values.map(floatToBFloat16)
            for (v, b) in zip(values, bits) { maxError = max(maxError, abs(Double(v) - Double(Float(bitPattern: UInt32(b) << 16)))) }
            data = TensorData(values: bits)
        default:
            return (weight, 0)
        }
        var converted = weight
        converted.dtype = target
        converted.data = data
        return (converted, maxError)
    }

    /// Float values of a float weight (float64 is narrowed).
    public static func floats(_ weight: Weight) -> [Float] {
        switch weight.dtype {
        case .float32: return weight.data.array(of: Float.self)
        case .float64: return weight.data.array(of: Double.self).map(Float.init)
        case .float16: return weight.data.array(of: UInt16.self).map(TensorStatistics.halfToFloat)
        case .bfloat16: return weight.data.array(of: UInt16.self).map { Float(bitPattern: UInt32($0) << 16) }
        case .int32: return weight.data.array(of: Int32.self).map(Float.init)
        case .int64: return weight.data.array(of: Int64.self).map(Float.init)
        case .uint8: return weight.data.array(of: UInt8.self).map(Float.init)
        }
    }

    /// bfloat16 bits of a float, rounded to nearest even (NaN stays NaN).
    public static func floatToBFloat16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }

    /// IEEE binary16 bits of a float, rounded to nearest even, with subnormals and overflow to
    /// infinity handled as IEEE specifies.
    public static func floatToHalf(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        var mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF { return sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0) }
        let e = exponent - 127 + 15
        if e >= 31 { return sign | 0x7C00 }
        if e <= 0 {
            if e < -10 { return sign }
            mantissa |= 0x80_0000
            let shift = UInt32(14 - e)
            let half = mantissa >> shift
            let remainder = mantissa & ((1 << shift) - 1)
            let midpoint: UInt32 = 1 << (shift - 1)
            var result = half
            if remainder > midpoint || (remainder == midpoint && (half & 1) == 1) { result += 1 }
            return sign | UInt16(result)
        }
        var result = UInt32(e) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && (result & 1) == 1) { result += 1 }
        return sign | UInt16(result)
    }
}
