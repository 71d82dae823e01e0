import CHDF5

/// What groups and datasets share: an open handle, the file name and the path inside it, and
/// attributes.
public protocol HDF5Object: Sendable {
    /// The file this object lives in, as given when it was opened (used in error messages).
    var fileName: String { get }
    /// The absolute path of the object inside the file, such as `/conv1/conv1/kernel:0`.
    var path: String { get }
    /// The open libhdf5 identifier.
    var handle: HDF5Handle { get }
}

extension HDF5Object {
    /// Names of this object's attributes, in name order.
    public func attributeNames() throws -> [String] {
        HDF5Library.prepare()
        if let snapshot = HDF5AttributeSnapshot.attributes(of: handle.id) { return snapshot.map(\.name) }
        var info = H5O_info_t()
        try HDF5Library.check(H5Oget_info(handle.id, &info), "reading object info", file: fileName, path: path)
        var names: [String] = []
        names.reserveCapacity(Int(info.num_attrs))
        for index in 0..<info.num_attrs {
            let length = H5Aget_name_by_idx(handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, zoo_h5p_default())
            guard length >= 0 else { throw HDF5Library.failure("listing attributes", file: fileName, path: path) }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            let status = H5Aget_name_by_idx(handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, zoo_h5p_default())
            guard status >= 0 else { throw HDF5Library.failure("listing attributes", file: fileName, path: path) }
            names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names
    }

    /// Whether an attribute with this name exists.
    public func hasAttribute(_ name: String) throws -> Bool {
        HDF5Library.prepare()
        if let snapshot = HDF5AttributeSnapshot.attributes(of: handle.id) { return snapshot.contains { $0.name == name } }
        let exists = H5Aexists(handle.id, name)
        guard exists >= 0 else { throw HDF5Library.failure("looking up attribute '\(name)'", file: fileName, path: path) }
        return exists > 0
    }

    /// Reads an attribute, or returns nil when there is none with that name.
    public func attribute(_ name: String) throws -> HDF5AttributeValue? {
        HDF5Library.prepare()
        if let snapshot = HDF5AttributeSnapshot.attributes(of: handle.id) {
            guard let entry = snapshot.first(where: { $0.name == name }) else { return nil }
            if let value = entry.value { return value }
            // The child refused it (zoo's own check): the same check refuses it here.
        }
        return try readAttribute(name)
    }

    /// Reads an attribute through libhdf5.
    func readAttribute(_ name: String) throws -> HDF5AttributeValue? {
        guard try hasAttribute(name) else { return nil }
        let where_ = "\(path)@\(name)"
        let attr = try HDF5Library.own(H5Aopen(handle.id, name, zoo_h5p_default()), .attribute, "opening attribute", file: fileName, path: where_)
        let type = try HDF5Library.own(H5Aget_type(attr.id), .datatype, "reading attribute type", file: fileName, path: where_)
        let space = try HDF5Library.own(H5Aget_space(attr.id), .dataspace, "reading attribute shape", file: fileName, path: where_)
        let isScalar = H5Sget_simple_extent_type(space.id) == H5S_SCALAR
        let count = Int(H5Sget_simple_extent_npoints(space.id))
        guard count >= 0 else { throw HDF5Library.failure("reading attribute shape", file: fileName, path: where_) }
        let reader = HDF5ValueReader(fileName: fileName, path: where_)
        let element = HDF5ElementType.classify(type.id)
        switch element {
        case .string:
            let strings = try reader.readStrings(count: count, fileType: type.id) { H5Aread(attr.id, $0, $1) }
            return isScalar ? .string(strings.first ?? "") : .strings(strings)
        case .integer:
            var values = [Int64](repeating: 0, count: count)
            if count > 0 {
                try HDF5Library.check(values.withUnsafeMutableBytes { H5Aread(attr.id, zoo_h5t_native_int64(), $0.baseAddress) }, "reading attribute", file: fileName, path: where_)
            }
            return isScalar ? .integer(values.first ?? 0) : .integers(values)
        case .float16, .float32, .float64:
            var values = [Double](repeating: 0, count: count)
            if count > 0 {
                try HDF5Library.check(values.withUnsafeMutableBytes { H5Aread(attr.id, zoo_h5t_native_double(), $0.baseAddress) }, "reading attribute", file: fileName, path: where_)
            }
            return isScalar ? .double(values.first ?? 0) : .doubles(values)
        case .opaque, .unsupported:
            return .unsupported(element.description)
        }
    }

    /// Writes (or replaces) an attribute. Strings are written variable-length UTF-8, like h5py 3.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue) throws {
        try setAttribute(name, value, fixedLengthStrings: false)
    }

    /// Writes (or replaces) an attribute; with `fixedLengthStrings`, strings are stored as
    /// fixed-length NUL-padded arrays sized to the longest one, as h5py 2 wrote them.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue, fixedLengthStrings: Bool) throws {
        HDF5Library.prepare()
        let where_ = "\(path)@\(name)"
        if try hasAttribute(name) {
            try HDF5Library.check(H5Adelete(handle.id, name), "replacing attribute", file: fileName, path: where_)
        }
        let writer = HDF5ValueWriter(fileName: fileName, path: where_)
        try writer.write(value, fixedLengthStrings: fixedLengthStrings) { type, space in
            let attr = try HDF5Library.own(H5Acreate2(handle.id, name, type, space, zoo_h5p_default(), zoo_h5p_default()), .attribute, "creating attribute", file: fileName, path: where_)
            return { memType, buffer in H5Awrite(attr.id, memType, buffer) }
        }
    }
}
