import ZooHDF5

/// Writes a `Weight` as an HDF5 dataset the way Keras's writers store each dtype.
enum WeightStorage {
    static func elementType(_ dtype: DType) -> HDF5ElementType {
        switch dtype {
        case .float16: return .float16
        case .bfloat16: return .opaque(size: 2)
        case .float32: return .float32
        case .float64: return .float64
        case .int32: return .integer(bits: 32, signed: true)
        case .int64: return .integer(bits: 64, signed: true)
        case .uint8: return .integer(bits: 8, signed: false)
        }
    }

    static func write(_ weight: Weight, in group: HDF5Group, at relativePath: String) throws {
        try FormatError.wrapping {
            let dataset = try weight.data.withUnsafeBytes {
                try group.createDataset(relativePath, type: elementType(weight.dtype), shape: weight.shape, bytes: $0)
            }
            // Keras 3 marks bfloat16 data (stored as 2-byte opaque values) with this attribute.
            if weight.dtype == .bfloat16 { try dataset.setAttribute("dtype", .string("bfloat16")) }
        }
    }
}
