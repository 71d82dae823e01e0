/// Converting weights between float dtypes, rounding to nearest even.
public enum DTypeConversion {
    /// The weight converted to `target`, and the largest absolute difference from the original
    /// (0 when nothing changed). Integer weights and same-dtype requests are returned as they are.
    public static func convert(_ weight: Weight, to target: DType) -> (weight: Weight, maxAbsError: Double) {
        guard converts(weight.dtype, to: target) else { return (weight, 0) }
        var maxError = 0.0
        let data = weight.data.withUnsafeBytes { source in
            TensorData(byteCount: weight.elementCount * target.byteSize) { destination in
                maxError = convert(source, from: weight.dtype, to: target, into: destination)
            }
        }
        var converted = weight
        converted.dtype = target
        converted.data = data
        return (converted, maxError)
    }

    /// Whether `convert` changes a `source` weight's bytes for `target` (float to another float).
    public static func converts(_ source: DType, to target: DType) -> Bool {
        source != target && source.isFloatingPoint && target.isFloatingPoint
    }

    /// The largest absolute error converting `weight` to `target` would make, computed in
    /// small pieces without keeping the converted values.
    public static func maxAbsError(_ weight: Weight, to target: DType) -> Double {
        guard converts(weight.dtype, to: target) else { return 0 }
        let piece = 1 << 16  // elements
        var scratch = [UInt8](repeating: 0, count: piece * target.byteSize)
        var maxError = 0.0
        weight.data.withUnsafeBytes { source in
            var start = 0
            while start < weight.elementCount {
                let count = min(piece, weight.elementCount - start)
                let slice = UnsafeRawBufferPointer(rebasing: source[(start * weight.dtype.byteSize)..<((start + count) * weight.dtype.byteSize)])
                scratch.withUnsafeMutableBytes { out in
                    maxError = max(maxError, convert(slice, from: weight.dtype, to: target, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<(count * target.byteSize)])))
                }
                start += count
            }
        }
        return maxError
    }

    /// Converts the float values in `source` (of `from`) into `destination` (of `to`, exactly
    /// as many elements), returning the largest absolute difference; nothing is allocated.
    /// Returns 0 and leaves `destination` alone when the sizes do not match or `from`/`to` are
    /// not both floating point.
    @discardableResult
    public static func convert(_ source: UnsafeRawBufferPointer, from: DType, to target: DType, into destination: UnsafeMutableRawBufferPointer) -> Double {
        let count = source.count / max(from.byteSize, 1)
        guard from.isFloatingPoint, target.isFloatingPoint, source.count == count * from.byteSize,
              destination.count == count * target.byteSize else { return 0 }
        func value(_ index: Int) -> Float {
            switch from {
            case .float32: return source.loadUnaligned(fromByteOffset: index * 4, as: Float.self)
            case .float64: return Float(source.loadUnaligned(fromByteOffset: index * 8, as: Double.self))
            case .float16: return TensorStatistics.halfToFloat(source.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
            default: return Float(bitPattern: UInt32(source.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)) << 16)
            }
        }
        var maxError = 0.0
        switch target {
        case .float32:
            for index in 0..<count { destination.storeBytes(of: value(index), toByteOffset: index * 4, as: Float.self) }
        case .float64:
            for index in 0..<count { destination.storeBytes(of: Double(value(index)), toByteOffset: index * 8, as: Double.self) }
        case .float16:
            for index in 0..<count {
                let v = value(index)
                let bits = floatToHalf(v)
                maxError = max(maxError, abs(Double(v) - Double(TensorStatistics.halfToFloat(bits))))
                destination.storeBytes(of: bits, toByteOffset: index * 2, as: UInt16.self)
            }
        default:
            for index in 0..<count {
                let v = value(index)
                let bits = floatToBFloat16(v)
                maxError = max(maxError, abs(Double(v) - Double(Float(bitPattern: UInt32(bits) << 16))))
                destination.storeBytes(of: bits, toByteOffset: index * 2, as: UInt16.self)
            }
        }
        return maxError
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
