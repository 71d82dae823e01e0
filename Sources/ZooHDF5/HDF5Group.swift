import CHDF5

/// One entry of a group: its name and what kind of object it links to.
public struct HDF5Link: Equatable, Sendable {
    public enum Kind: String, Sendable { case group, dataset, datatype, other }
    public let name: String
    public let kind: Kind
}

/// An open HDF5 group (the file's root group included).
public struct HDF5Group: HDF5Object {
    public let fileName: String
    public let path: String
    public let handle: HDF5Handle
    /// File addresses of this group and the groups above it: opening one of them again below
    /// is a hard-link cycle (a group linked inside itself), refused instead of recursed into.
    let ancestors: Set<haddr_t>

    init(fileName: String, path: String, handle: HDF5Handle, ancestors: Set<haddr_t> = []) {
        self.fileName = fileName
        self.path = path
        self.handle = handle
        var chain = ancestors
        if let address = HDF5AttributeSnapshot.location(of: handle.id)?.address { chain.insert(haddr_t(address)) }
        self.ancestors = chain
    }

    /// Refuses what would lead outside the file or around in circles: an external link at any
    /// step of `relativePath`, or a soft link that does not resolve (dangling, or a cycle).
    private func checkLinks(_ relativePath: String) throws {
        var prefix = ""
        for component in relativePath.split(separator: "/") {
            prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
            var info = H5L_info_t()
            guard H5Lget_info(handle.id, prefix, &info, zoo_h5p_default()) >= 0 else {
                _ = HDF5Library.takeErrorMessage()
                return
            }
            let full = HDF5Library.join(path, prefix)
            if info.type == H5L_TYPE_EXTERNAL {
                throw HDF5Error.refused(file: fileName, path: full, reason: "is an external link to another file; zoo reads only what is inside the file it was given")
            }
            if info.type == H5L_TYPE_SOFT, H5Oexists_by_name(handle.id, prefix, zoo_h5p_default()) <= 0 {
                _ = HDF5Library.takeErrorMessage()
                throw HDF5Error.refused(file: fileName, path: full, reason: "is a soft link that does not resolve (dangling, or a cycle of soft links)")
            }
        }
    }

    /// The group's children in creation order when the file tracks it, otherwise in name order
    /// (h5py, and so Keras, do not track creation order by default).
    ///
    /// One pass of `H5Literate` collects the names (asking for each name by index cost libhdf5
    /// a walk of the group every time: 30,000 datasets took 10 s), then each child's kind.
    public func children() throws -> [HDF5Link] {
        HDF5Library.prepare()
        let order = try tracksCreationOrder() ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME
        final class Names { var list: [String] = [] }
        let names = Names()
        var position: hsize_t = 0
        let status = withExtendedLifetime(names) {
            H5Literate(handle.id, order, H5_ITER_INC, &position, { _, name, _, context in
                guard let name, let context else { return -1 }
                Unmanaged<Names>.fromOpaque(context).takeUnretainedValue().list.append(String(cString: name))
                return 0
            }, Unmanaged.passUnretained(names).toOpaque())
        }
        guard status >= 0 else { throw HDF5Library.failure("listing group", file: fileName, path: path) }
        return names.list.map { HDF5Link(name: $0, kind: kind(of: $0) ?? .other) }
    }

    private func tracksCreationOrder() throws -> Bool {
        guard let plist = HDF5Handle(H5Gget_create_plist(handle.id), kind: .propertyList) else {
            throw HDF5Library.failure("reading group properties", file: fileName, path: path)
        }
        var flags: UInt32 = 0
        guard H5Pget_link_creation_order(plist.id, &flags) >= 0 else { return false }
        return flags & UInt32(H5P_CRT_ORDER_INDEXED) != 0
    }

    /// Whether a link with this name (or relative path) exists, following each path step.
    public func contains(_ relativePath: String) -> Bool {
        HDF5Library.prepare()
        var prefix = ""
        for component in relativePath.split(separator: "/", omittingEmptySubsequences: true) {
            prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
            if H5Lexists(handle.id, prefix, zoo_h5p_default()) <= 0 {
                _ = HDF5Library.takeErrorMessage()
                return false
            }
        }
        return !prefix.isEmpty
    }

    /// The kind of object at a relative path, or nil when there is none.
    public func kind(of relativePath: String) -> HDF5Link.Kind? {
        guard contains(relativePath) else { return nil }
        var info = H5O_info_t()
        guard H5Oget_info_by_name(handle.id, relativePath, &info, zoo_h5p_default()) >= 0 else {
            _ = HDF5Library.takeErrorMessage()
            return .other
        }
        switch info.type {
        case H5O_TYPE_GROUP: return .group
        case H5O_TYPE_DATASET: return .dataset
        case H5O_TYPE_NAMED_DATATYPE: return .datatype
        default: return .other
        }
    }

    /// Opens a child group by name or relative path.
    public func group(_ relativePath: String) throws -> HDF5Group {
        let full = HDF5Library.join(path, relativePath)
        try checkLinks(relativePath)
        guard let found = kind(of: relativePath) else { throw HDF5Error.objectNotFound(file: fileName, path: full) }
        guard found == .group else {
            throw HDF5Error.wrongObjectKind(file: fileName, path: full, expected: "group", found: found.rawValue)
        }
        let handle = try HDF5Library.own(H5Gopen2(self.handle.id, relativePath, zoo_h5p_default()), .group, "opening group", file: fileName, path: full)
        let child = HDF5Group(fileName: fileName, path: full, handle: handle, ancestors: ancestors)
        guard child.ancestors.count > ancestors.count else {
            throw HDF5Error.refused(file: fileName, path: full, reason: "links back to a group that contains it (a hard-link cycle)")
        }
        return child
    }

    /// Opens a dataset by name or relative path.
    public func dataset(_ relativePath: String) throws -> HDF5Dataset {
        let full = HDF5Library.join(path, relativePath)
        try checkLinks(relativePath)
        guard let found = kind(of: relativePath) else { throw HDF5Error.objectNotFound(file: fileName, path: full) }
        guard found == .dataset else {
            throw HDF5Error.wrongObjectKind(file: fileName, path: full, expected: "dataset", found: found.rawValue)
        }
        let handle = try HDF5Library.own(H5Dopen2(self.handle.id, relativePath, zoo_h5p_default()), .dataset, "opening dataset", file: fileName, path: full)
        return try HDF5Dataset(fileName: fileName, path: full, handle: handle)
    }

    /// Creates a child group (intermediate groups are created too, like `mkdir -p`).
    ///
    /// With `trackCreationOrder`, the new group records the order its children are created in
    /// and `children()` lists them in that order.
    @discardableResult
    public func createGroup(_ relativePath: String, trackCreationOrder: Bool = false) throws -> HDF5Group {
        HDF5Library.prepare()
        let full = HDF5Library.join(path, relativePath)
        let lcpl = try HDF5Library.own(H5Pcreate(zoo_h5p_link_create()), .propertyList, "creating group", file: fileName, path: full)
        H5Pset_create_intermediate_group(lcpl.id, 1)
        let gcpl = try HDF5Library.own(H5Pcreate(zoo_h5p_group_create()), .propertyList, "creating group", file: fileName, path: full)
        if trackCreationOrder {
            H5Pset_link_creation_order(gcpl.id, UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED))
        }
        let handle = try HDF5Library.own(H5Gcreate2(self.handle.id, relativePath, lcpl.id, gcpl.id, zoo_h5p_default()), .group, "creating group", file: fileName, path: full)
        return HDF5Group(fileName: fileName, path: full, handle: handle)
    }

    /// Opens a child group, creating it (and its parents) when it does not exist.
    public func groupCreatingIfNeeded(_ relativePath: String) throws -> HDF5Group {
        contains(relativePath) ? try group(relativePath) : try createGroup(relativePath)
    }

    /// Creates a contiguous dataset and writes `bytes` into it in one call.
    ///
    /// - Parameters:
    ///   - relativePath: name of the new dataset; intermediate groups are created.
    ///   - type: the element type; `bytes` must hold native (little-endian) values of it.
    ///   - shape: dimensions, outermost first (C order). An empty shape makes a scalar.
    ///   - bytes: exactly `product(shape) * type.byteSize` bytes.
    @discardableResult
    public func createDataset(_ relativePath: String, type: HDF5ElementType, shape: [Int], bytes: UnsafeRawBufferPointer) throws -> HDF5Dataset {
        HDF5Library.prepare()
        let full = HDF5Library.join(path, relativePath)
        guard let elementSize = type.byteSize, case let typeID = type.makeDatatype(), typeID >= 0 else {
            throw HDF5Error.unsupportedType(file: fileName, path: full, type: type.description)
        }
        let datatype = try HDF5Library.own(typeID, .datatype, "making datatype", file: fileName, path: full)
        let count = shape.reduce(1, *)
        guard count * elementSize == bytes.count else {
            throw HDF5Error.bufferSizeMismatch(file: fileName, path: full, expected: count * elementSize, given: bytes.count)
        }
        let spaceID: hid_t
        if shape.isEmpty {
            spaceID = H5Screate(H5S_SCALAR)
        } else {
            var dims = shape.map { hsize_t($0) }
            spaceID = H5Screate_simple(Int32(dims.count), &dims, nil)
        }
        let space = try HDF5Library.own(spaceID, .dataspace, "making dataspace", file: fileName, path: full)
        let lcpl = try HDF5Library.own(H5Pcreate(zoo_h5p_link_create()), .propertyList, "creating dataset", file: fileName, path: full)
        H5Pset_create_intermediate_group(lcpl.id, 1)
        let handle = try HDF5Library.own(H5Dcreate2(self.handle.id, relativePath, datatype.id, space.id, lcpl.id, zoo_h5p_default(), zoo_h5p_default()), .dataset, "creating dataset", file: fileName, path: full)
        if count > 0 {
            let status = H5Dwrite(handle.id, datatype.id, zoo_h5s_all(), zoo_h5s_all(), zoo_h5p_default(), bytes.baseAddress)
            try HDF5Library.check(status, "writing dataset", file: fileName, path: full)
        }
        return try HDF5Dataset(fileName: fileName, path: full, handle: handle)
    }
}
