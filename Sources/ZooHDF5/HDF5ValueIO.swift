import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes string values from a dataset or attribute, in whichever storage form they have.
struct HDF5ValueReader {
    let fileName: String
    let path: String

    /// Reads `count` strings through `read(memoryType, buffer)`.
    func readStrings(count: Int, fileType: hid_t, read: (hid_t, UnsafeMutableRawPointer?) -> herr_t) throws -> [String] {
        if count == 0 { return [] }
        if H5Tis_variable_str(fileType) > 0 {
            let memType = try HDF5Library.own(H5Tcopy(zoo_h5t_c_s1()), .datatype, "making string type", file: fileName, path: path)
            H5Tset_size(memType.id, zoo_h5t_variable())
            H5Tset_cset(memType.id, H5Tget_cset(fileType))
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            let status = pointers.withUnsafeMutableBytes { read(memType.id, $0.baseAddress) }
            try HDF5Library.check(status, "reading strings", file: fileName, path: path)
            defer { for pointer in pointers where pointer != nil { zoo_h5_free(pointer) } }
            return pointers.map { pointer in pointer.map { String(cString: $0) } ?? "" }
        }
        let size = Int(H5Tget_size(fileType))
        guard size > 0 else { return [String](repeating: "", count: count) }
        let memType = try HDF5Library.own(H5Tcopy(fileType), .datatype, "making string type", file: fileName, path: path)
        var bytes = [UInt8](repeating: 0, count: size * count)
        let status = bytes.withUnsafeMutableBytes { read(memType.id, $0.baseAddress) }
        try HDF5Library.check(status, "reading strings", file: fileName, path: path)
        let spacePadded = H5Tget_strpad(fileType) == H5T_STR_SPACEPAD
        return (0..<count).map { index in
            var slice = bytes[(index * size)..<((index + 1) * size)]
            if let nul = slice.firstIndex(of: 0) { slice = slice[slice.startIndex..<nul] }
            if spacePadded { while slice.last == 0x20 { slice = slice.dropLast() } }
            return String(decoding: slice, as: UTF8.self)
        }
    }
}

/// Encodes an attribute value and hands the type and space to a creator that returns a writer.
struct HDF5ValueWriter {
    let fileName: String
    let path: String

    typealias Create = (_ fileType: hid_t, _ space: hid_t) throws -> (_ memType: hid_t, _ buffer: UnsafeRawPointer?) -> herr_t

    func write(_ value: HDF5AttributeValue, fixedLengthStrings: Bool, create: Create) throws {
        switch value {
        case .string(let s):
            try writeStrings([s], scalar: true, fixed: fixedLengthStrings, create: create)
        case .strings(let list):
            try writeStrings(list, scalar: false, fixed: fixedLengthStrings, create: create)
        case .integer(let i):
            try writeNumbers([i], scalar: true, type: zoo_h5t_native_int64(), create: create)
        case .integers(let list):
            try writeNumbers(list, scalar: false, type: zoo_h5t_native_int64(), create: create)
        case .double(let d):
            try writeNumbers([d], scalar: true, type: zoo_h5t_native_double(), create: create)
        case .doubles(let list):
            try writeNumbers(list, scalar: false, type: zoo_h5t_native_double(), create: create)
        case .unsupported(let text):
            throw HDF5Error.unsupportedType(file: fileName, path: path, type: text)
        }
    }

    private func makeSpace(scalar: Bool, count: Int) throws -> HDF5Handle {
        if scalar {
            return try HDF5Library.own(H5Screate(H5S_SCALAR), .dataspace, "making dataspace", file: fileName, path: path)
        }
        var dims = [hsize_t(count)]
        return try HDF5Library.own(H5Screate_simple(1, &dims, nil), .dataspace, "making dataspace", file: fileName, path: path)
    }

    private func writeNumbers<T>(_ values: [T], scalar: Bool, type: hid_t, create: Create) throws {
        let space = try makeSpace(scalar: scalar, count: values.count)
        let writeFn = try create(type, space.id)
        let status = values.withUnsafeBytes { writeFn(type, $0.baseAddress) }
        try HDF5Library.check(status, "writing attribute", file: fileName, path: path)
    }

    private func writeStrings(_ values: [String], scalar: Bool, fixed: Bool, create: Create) throws {
        let space = try makeSpace(scalar: scalar, count: values.count)
        if fixed {
            let utf8 = values.map { Array($0.utf8) }
            let size = max(1, utf8.map(\.count).max() ?? 1)
            let type = try HDF5Library.own(H5Tcopy(zoo_h5t_c_s1()), .datatype, "making string type", file: fileName, path: path)
            H5Tset_size(type.id, size)
            H5Tset_strpad(type.id, H5T_STR_NULLPAD)
            H5Tset_cset(type.id, H5T_CSET_ASCII)
            var bytes = [UInt8](repeating: 0, count: size * values.count)
            for (index, string) in utf8.enumerated() {
                bytes.replaceSubrange((index * size)..<(index * size + string.count), with: string)
            }
            let writeFn = try create(type.id, space.id)
            let status = bytes.withUnsafeBytes { writeFn(type.id, $0.baseAddress) }
            try HDF5Library.check(status, "writing attribute", file: fileName, path: path)
            return
        }
        let type = try HDF5Library.own(H5Tcopy(zoo_h5t_c_s1()), .datatype, "making string type", file: fileName, path: path)
        H5Tset_size(type.id, zoo_h5t_variable())
        H5Tset_cset(type.id, H5T_CSET_UTF8)
        let cStrings = values.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        let writeFn = try create(type.id, space.id)
        let pointers: [UnsafePointer<CChar>?] = cStrings.map { $0.map { UnsafePointer<CChar>($0) } }
        let status = pointers.withUnsafeBytes { writeFn(type.id, $0.baseAddress) }
        try HDF5Library.check(status, "writing attribute", file: fileName, path: path)
    }
}
