import CHDF5

/// An open HDF5 dataset: its shape, element type, attributes, and reads straight into memory.
public struct HDF5Dataset: HDF5Object {
    public let fileName: String
    public let path: String
    public let handle: HDF5Handle
    /// Dimensions, outermost first; empty for a scalar.
    public let shape: [Int]
    /// The stored element type.
    public let elementType: HDF5ElementType
    /// The stored datatype, kept open for reads that must not convert (float16, opaque).
    let fileType: HDF5Handle
    /// Whether the data is stored as one contiguous run with no filters (what Keras and h5py
    /// write by default): reading it is a plain copy of file bytes, with no B-tree or filter
    /// pipeline for libhdf5 to parse.
    let isPlainContiguous: Bool

    init(fileName: String, path: String, handle: HDF5Handle) throws {
        HDF5Library.prepare()
        self.fileName = fileName
        self.path = path
        self.handle = handle
        // External storage keeps a dataset's bytes in other files (e.g. a system file): refused.
        let plist = try HDF5Library.own(H5Dget_create_plist(handle.id), .propertyList, "reading dataset layout", file: fileName, path: path)
        let externals = H5Pget_external_count(plist.id)
        guard externals == 0 else {
            throw HDF5Error.refused(file: fileName, path: path, reason: "keeps its bytes in \(max(externals, 1)) external file(s) (HDF5 external storage); zoo reads only what is inside the file it was given")
        }
        let layout = H5Pget_layout(plist.id)
        let filtered = H5Pget_nfilters(plist.id) != 0
        isPlainContiguous = layout == H5D_CONTIGUOUS && !filtered
        fileType = try HDF5Library.own(H5Dget_type(handle.id), .datatype, "reading dataset type", file: fileName, path: path)
        elementType = HDF5ElementType.classify(fileType.id)
        let space = try HDF5Library.own(H5Dget_space(handle.id), .dataspace, "reading dataset shape", file: fileName, path: path)
        let rank = H5Sget_simple_extent_ndims(space.id)
        guard rank >= 0 else { throw HDF5Library.failure("reading dataset shape", file: fileName, path: path) }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        if rank > 0 { H5Sget_simple_extent_dims(space.id, &dims, nil) }
        // A hostile file can claim any shape: the size must fit in an Int, and a contiguous
        // dataset must store all of its bytes, before anything is allocated for it.
        var elements = 1
        for dim in dims {
            let (product, overflow) = elements.multipliedReportingOverflow(by: Int(clamping: dim))
            guard dim <= UInt64(Int.max), !overflow else {
                throw HDF5Error.badShape(file: fileName, path: path, shape: dims, reason: "its element count overflows 64 bits")
            }
            elements = product
        }
        let width = elementType.byteSize ?? 0
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: width)
        guard !overflow else { throw HDF5Error.badShape(file: fileName, path: path, shape: dims, reason: "its byte size overflows 64 bits") }
        if bytes > 0 {
            // What the file actually holds must account for the declared size: all of it when
            // stored plainly (contiguous, or chunked without filters: unwritten chunks would be
            // conjured from the fill value, a 16 GiB tensor from an 8 KB file), and within
            // `maxInflation` of it when compressed (a gzip bomb).
            let stored = H5Dget_storage_size(handle.id)
            if layout == H5D_CONTIGUOUS || (layout == H5D_CHUNKED && !filtered) {
                guard stored >= UInt64(bytes) else {
                    throw HDF5Error.badShape(file: fileName, path: path, shape: dims,
                                             reason: "it needs \(bytes) bytes but the file stores \(stored) for it (truncated, or chunks never written)")
                }
            } else if layout == H5D_CHUNKED, bytes > HDF5Dataset.inflationFloor {
                let limit = HDF5Dataset.maxInflation
                guard Double(bytes) <= Double(stored) * limit else {
                    throw HDF5Error.badShape(file: fileName, path: path, shape: dims,
                                             reason: "it inflates \(stored) compressed bytes to \(bytes), more than \(Int(limit))x (a decompression bomb?); set ZOO_MAX_INFLATION to a larger ratio if the file is genuine")
                }
            }
        }
        shape = dims.map { Int($0) }
    }

    /// The largest ratio of declared to stored bytes a compressed dataset may have before it is
    /// refused as a decompression bomb: the environment's `ZOO_MAX_INFLATION`, else 100 (weights
    /// of trained models compress about 1.1x; an all-zero tensor under gzip, about 1000x).
    public static let maxInflation: Double = {
        if let text = getenv("ZOO_MAX_INFLATION"), let value = Double(String(cString: text)), value >= 1 { return value }
        return 100
    }()

    /// Compressed datasets up to this many declared bytes are never refused for their ratio
    /// (64 MiB: a small tensor of zeros compresses very well and is harmless).
    public static let inflationFloor = 64 << 20

    /// Number of elements (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Bytes the whole dataset takes in memory, or nil for variable-length or unsupported types.
    public var byteCount: Int? { elementType.byteSize.map { $0 * elementCount } }

    /// Reads the whole dataset into `buffer`, which must be exactly `byteCount` bytes.
    ///
    /// Values arrive in native byte order; libhdf5 copies straight into the caller's memory
    /// (no per-element loop and no intermediate copy when the stored type is already native).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws {
        HDF5Library.prepare()
        guard let expected = byteCount else {
            throw HDF5Error.unsupportedType(file: fileName, path: path, type: elementType.description)
        }
        guard expected == buffer.count else {
            throw HDF5Error.bufferSizeMismatch(file: fileName, path: path, expected: expected, given: buffer.count)
        }
        if expected == 0 { return }
        let memoryType = try makeMemoryType()
        let status = H5Dread(handle.id, memoryType.id, zoo_h5s_all(), zoo_h5s_all(), zoo_h5p_default(), buffer.baseAddress)
        try HDF5Library.check(status, "reading dataset", file: fileName, path: path)
    }

    /// The in-memory type reads convert to: native for numbers, the stored bits otherwise.
    private func makeMemoryType() throws -> HDF5Handle {
        let memoryTypeID: hid_t
        switch elementType {
        case .float16, .opaque, .string:
            // No native type to convert to: copy the stored bits (IEEE half is little-endian here).
            memoryTypeID = H5Tcopy(fileType.id)
        default:
            memoryTypeID = elementType.makeDatatype()
        }
        return try HDF5Library.own(memoryTypeID, .datatype, "making memory type", file: fileName, path: path)
    }

    /// Reads the dataset in C order, in consecutive pieces of at most `maxBytes` (at least one
    /// element), handing each to `body` in a buffer that is reused: a 4 GiB tensor can be
    /// copied, hashed or checked with `maxBytes` of memory.
    ///
    /// Each piece is one hyperslab: whole rows of the outermost axis whose rows fit, one
    /// index at a time on the axes above it.
    public func readPieces(maxBytes: Int = 16 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        HDF5Library.prepare()
        guard let total = byteCount, let width = elementType.byteSize, width > 0 else {
            throw HDF5Error.unsupportedType(file: fileName, path: path, type: elementType.description)
        }
        if total == 0 { return }
        let limit = max(maxBytes, width)
        if total <= limit || shape.isEmpty {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 64)
            defer { buffer.deallocate() }
            try read(into: buffer)
            try body(UnsafeRawBufferPointer(buffer))
            return
        }
        // The split axis: the outermost one whose trailing block (the axes after it) fits.
        let rank = shape.count
        var inner = [Int](repeating: width, count: rank)  // bytes of one index step on each axis
        for axis in stride(from: rank - 2, through: 0, by: -1) { inner[axis] = inner[axis + 1] * shape[axis + 1] }
        let split = (0..<rank).first { inner[$0] <= limit } ?? (rank - 1)
        let rowsPerPiece = max(1, limit / inner[split])
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(total, rowsPerPiece * inner[split]), alignment: 64)
        defer { buffer.deallocate() }
        let memoryType = try makeMemoryType()
        let fileSpace = try HDF5Library.own(H5Dget_space(handle.id), .dataspace, "reading dataset shape", file: fileName, path: path)
        var outer = [Int](repeating: 0, count: split)  // the index on the axes above the split
        while true {
            var row = 0
            while row < shape[split] {
                let rows = min(rowsPerPiece, shape[split] - row)
                var start = [hsize_t](repeating: 0, count: rank)
                var count = shape.map { hsize_t($0) }
                for axis in 0..<split { start[axis] = hsize_t(outer[axis]); count[axis] = 1 }
                start[split] = hsize_t(row)
                count[split] = hsize_t(rows)
                try HDF5Library.check(H5Sselect_hyperslab(fileSpace.id, H5S_SELECT_SET, &start, nil, &count, nil),
                                      "selecting a piece of the dataset", file: fileName, path: path)
                let bytes = rows * inner[split]
                var elements = [hsize_t(bytes / width)]
                let memorySpace = try HDF5Library.own(H5Screate_simple(1, &elements, nil), .dataspace, "making dataspace", file: fileName, path: path)
                let status = H5Dread(handle.id, memoryType.id, memorySpace.id, fileSpace.id, zoo_h5p_default(), buffer.baseAddress)
                try HDF5Library.check(status, "reading dataset", file: fileName, path: path)
                try body(UnsafeRawBufferPointer(rebasing: buffer[0..<bytes]))
                row += rows
            }
            // Next index on the outer axes (an odometer); done when it wraps.
            var axis = split - 1
            while axis >= 0 {
                outer[axis] += 1
                if outer[axis] < shape[axis] { break }
                outer[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }

    /// Reads the whole dataset into a new byte array.
    public func readBytes() throws -> [UInt8] {
        guard let count = byteCount else {
            throw HDF5Error.unsupportedType(file: fileName, path: path, type: elementType.description)
        }
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { try read(into: $0) }
        return bytes
    }

    /// Reads a string dataset (fixed- or variable-length) into Swift strings.
    public func readStrings() throws -> [String] {
        HDF5Library.prepare()
        guard case .string = elementType else {
            throw HDF5Error.wrongObjectKind(file: fileName, path: path, expected: "string dataset", found: elementType.description)
        }
        let reader = HDF5ValueReader(fileName: fileName, path: path)
        return try reader.readStrings(count: elementCount, fileType: fileType.id) {
            H5Dread(handle.id, $0, zoo_h5s_all(), zoo_h5s_all(), zoo_h5p_default(), $1)
        }
    }
}
