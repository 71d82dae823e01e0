import CHDF5

/// The element type of a dataset or attribute, as far as this wrapper reads or writes it.
///
/// Floats are IEEE little- or big-endian; libhdf5 converts byte order on read, so callers always
/// get native (little-endian) values. 16-bit floats have no native libhdf5 type: they are read and
/// written bit for bit with a 2-byte IEEE half type, like h5py does.
public enum HDF5ElementType: Equatable, Hashable, Sendable, CustomStringConvertible {
    case float16
    case float32
    case float64
    /// A signed or unsigned integer of 8, 16, 32 or 64 bits.
    case integer(bits: Int, signed: Bool)
    /// A string; `variableLength` tells the storage (h5py 3 writes variable, h5py 2 fixed).
    case string(variableLength: Bool, size: Int)
    /// Raw bytes of a fixed size (h5py stores ml_dtypes' bfloat16 like this).
    case opaque(size: Int)
    /// Any other type (compound, enum, reference, ...), described in words.
    case unsupported(String)

    /// Bytes per element, or nil for variable-length strings and unsupported types.
    public var byteSize: Int? {
        switch self {
        case .float16: return 2
        case .float32: return 4
        case .float64: return 8
        case .integer(let bits, _): return bits / 8
        case .string(let variable, let size): return variable ? nil : size
        case .opaque(let size): return size
        case .unsupported: return nil
        }
    }

    public var description: String {
        switch self {
        case .float16: return "float16"
        case .float32: return "float32"
        case .float64: return "float64"
        case .integer(let bits, let signed): return "\(signed ? "int" : "uint")\(bits)"
        case .string(let variable, let size): return variable ? "string(variable)" : "string(\(size))"
        case .opaque(let size): return "opaque(\(size) bytes)"
        case .unsupported(let text): return text
        }
    }

    /// Classifies a libhdf5 datatype identifier.
    static func classify(_ type: hid_t) -> HDF5ElementType {
        let size = Int(H5Tget_size(type))
        switch H5Tget_class(type) {
        case H5T_FLOAT:
            switch size {
            case 2: return .float16
            case 4: return .float32
            case 8: return .float64
            default: return .unsupported("float\(size * 8)")
            }
        case H5T_INTEGER:
            guard [1, 2, 4, 8].contains(size) else { return .unsupported("integer of \(size) bytes") }
            return .integer(bits: size * 8, signed: H5Tget_sign(type) == H5T_SGN_2)
        case H5T_STRING:
            return .string(variableLength: H5Tis_variable_str(type) > 0, size: size)
        case H5T_OPAQUE:
            return .opaque(size: size)
        case H5T_COMPOUND: return .unsupported("compound")
        case H5T_ENUM: return .unsupported("enum")
        case H5T_VLEN: return .unsupported("variable-length sequence")
        case H5T_ARRAY: return .unsupported("array")
        case H5T_REFERENCE: return .unsupported("reference")
        case H5T_BITFIELD: return .unsupported("bitfield")
        case H5T_TIME: return .unsupported("time")
        default: return .unsupported("unknown type class")
        }
    }

    /// A new datatype identifier for memory buffers or new datasets of this type (caller closes it).
    func makeDatatype() -> hid_t {
        switch self {
        case .float16:
            // IEEE binary16 little-endian: sign bit 15, exponent bits 10-14 (bias 15), mantissa 0-9.
            let type = H5Tcopy(zoo_h5t_ieee_f32le())
            guard type >= 0 else { return -1 }
            H5Tset_fields(type, 15, 10, 5, 0, 10)
            H5Tset_size(type, 2)
            H5Tset_precision(type, 16)
            H5Tset_ebias(type, 15)
            return type
        case .float32: return H5Tcopy(zoo_h5t_native_float())
        case .float64: return H5Tcopy(zoo_h5t_native_double())
        case .integer(let bits, let signed):
            switch (bits, signed) {
            case (8, true): return H5Tcopy(zoo_h5t_native_int8())
            case (8, false): return H5Tcopy(zoo_h5t_native_uint8())
            case (16, true): return H5Tcopy(zoo_h5t_native_int16())
            case (16, false): return H5Tcopy(zoo_h5t_native_uint16())
            case (32, true): return H5Tcopy(zoo_h5t_native_int32())
            case (32, false): return H5Tcopy(zoo_h5t_native_uint32())
            case (64, true): return H5Tcopy(zoo_h5t_native_int64())
            case (64, false): return H5Tcopy(zoo_h5t_native_uint64())
            default: return -1
            }
        case .string(let variable, let size):
            let type = H5Tcopy(zoo_h5t_c_s1())
            guard type >= 0 else { return -1 }
            H5Tset_size(type, variable ? zoo_h5t_variable() : max(size, 1))
            H5Tset_cset(type, H5T_CSET_UTF8)
            if !variable { H5Tset_strpad(type, H5T_STR_NULLPAD) }
            return type
        case .opaque(let size):
            let type = H5Tcreate(H5T_OPAQUE, size)
            return type
        case .unsupported:
            return -1
        }
    }
}
