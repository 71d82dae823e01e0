import Foundation
import ZooFormats
import ZooGraph

/// Opens a `.zoo` file by mapping it: the header is validated once, and tensors are zero-copy
/// views into the mapping. Safe to use from many threads at once.
public final class ZooFileReader: @unchecked Sendable {
    /// When tensor checksums are checked.
    public enum Verification: Sendable {
        /// Only by `verify()`.
        case none
        /// The first time each tensor is accessed (a loader that touches a slice pays for that slice).
        case lazy
        /// All of them while opening.
        case eager
    }

    public let path: String
    public let entries: [ZooTensorEntry]
    public let alignment: Int
    public let version: (major: Int, minor: Int)
    let file: MappedFile
    private let index: [String: Int]
    private let metadataRange: Range<Int>
    private let graphRange: Range<Int>
    private let preamble: ZooFilePreamble
    private let verification: Verification
    private let lock = NSLock()
    private var verified: [Bool]

    /// Opens and validates `path`. With `mapped` false the file is read into memory instead
    /// (for pipes and tiny files); `populate` pre-faults every page of the mapping.
    public convenience init(path: String, verification: Verification = .none, mapped: Bool = true, populate: Bool = false) throws {
        let file: MappedFile
        if mapped {
            file = try MappedFile(path: path, populate: populate)
        } else {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            file = data.withUnsafeBytes { MappedFile(copying: $0, name: path) }
        }
        try self.init(file: file, verification: verification)
    }

    /// Validates a file already in memory or mapped.
    public init(file: MappedFile, verification: Verification = .none) throws {
        self.file = file
        let name = file.path
        path = name
        self.verification = verification
        let bytes = file.bytes
        let size = bytes.count
        guard size >= ZooFilePreamble.size else { throw ZooFileError.truncated(file: name, size: size, needed: ZooFilePreamble.size) }
        guard bytes.prefix(8).elementsEqual(ZooFilePreamble.magic) else { throw ZooFileError.badMagic(file: name) }
        let pre = ZooFilePreamble.decode(bytes)
        preamble = pre
        guard pre.versionMajor == ZooFilePreamble.versionMajor else {
            throw ZooFileError.unsupportedVersion(file: name, major: Int(pre.versionMajor), minor: Int(pre.versionMinor))
        }
        version = (Int(pre.versionMajor), Int(pre.versionMinor))
        let align = Int(pre.alignment)
        guard align >= 64, align <= ZooFilePreamble.maxAlignment, align & (align - 1) == 0 else {
            throw ZooFileError.badHeader(file: name, reason: "alignment \(pre.alignment) is not a power of two between 64 and 65536")
        }
        alignment = align
        // Every length is checked against the file before it is used, with overflow checks.
        func fits(_ value: UInt64, _ what: String) throws -> Int {
            guard value <= UInt64(size) else { throw ZooFileError.badHeader(file: name, reason: "\(what) \(value) exceeds the file size \(size)") }
            return Int(value)
        }
        let table = try fits(pre.tableLength, "table length")
        let metadata = try fits(pre.metadataLength, "metadata length")
        let graph = try fits(pre.graphLength, "graph length")
        let dataOffset = try fits(pre.dataOffset, "data offset")
        let headerEnd = ZooFilePreamble.size + table + metadata + graph
        guard headerEnd <= dataOffset else {
            throw ZooFileError.badHeader(file: name, reason: "header sections end at \(headerEnd), past the data offset \(dataOffset)")
        }
        guard dataOffset % ZooFilePreamble.page == 0, dataOffset % align == 0 else {
            throw ZooFileError.badHeader(file: name, reason: "data offset \(dataOffset) is not page- and \(align)-byte aligned")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[ZooFilePreamble.size..<headerEnd])
        guard XXH64.hash(headerBytes) == pre.headerChecksum else { throw ZooFileError.headerChecksumMismatch(file: name) }
        metadataRange = (ZooFilePreamble.size + table)..<(ZooFilePreamble.size + table + metadata)
        graphRange = metadataRange.upperBound..<headerEnd
        entries = try Self.parseTable(UnsafeRawBufferPointer(rebasing: bytes[ZooFilePreamble.size..<(ZooFilePreamble.size + table)]),
                                      file: name, dataRange: dataOffset..<size, alignment: align)
        var index: [String: Int] = [:]
        index.reserveCapacity(entries.count)
        for (i, entry) in entries.enumerated() {
            guard index.updateValue(i, forKey: entry.name) == nil else {
                throw ZooFileError.badTensor(file: name, tensor: entry.name, reason: "the name appears twice in the tensor table")
            }
        }
        self.index = index
        verified = [Bool](repeating: false, count: entries.count)
        if verification == .eager { try verify() }
    }

    /// Parses and validates the tensor table: dtypes, ranks, sizes, bounds, alignment, overlap.
    static func parseTable(_ table: UnsafeRawBufferPointer, file: String, dataRange: Range<Int>, alignment: Int) throws -> [ZooTensorEntry] {
        var cursor = 0
        func read<T: FixedWidthInteger>(_ type: T.Type, _ what: String) throws -> T {
            guard cursor + MemoryLayout<T>.size <= table.count else {
                throw ZooFileError.badHeader(file: file, reason: "tensor table ends inside \(what)")
            }
            defer { cursor += MemoryLayout<T>.size }
            return T(littleEndian: table.loadUnaligned(fromByteOffset: cursor, as: T.self))
        }
        let count = Int(try read(UInt32.self, "the tensor count"))
        // Each entry takes at least 29 bytes: a lying count cannot make us allocate much.
        guard count <= table.count / 29 + 1 else { throw ZooFileError.badHeader(file: file, reason: "tensor count \(count) does not fit a \(table.count)-byte table") }
        var entries: [ZooTensorEntry] = []
        entries.reserveCapacity(count)
        for i in 0..<count {
            let nameLength = Int(try read(UInt16.self, "entry \(i)'s name length"))
            guard nameLength >= 1, nameLength <= 4096, cursor + nameLength <= table.count else {
                throw ZooFileError.badHeader(file: file, reason: "entry \(i) has a bad name length \(nameLength)")
            }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: table[cursor..<(cursor + nameLength)]), as: UTF8.self)
            cursor += nameLength
            let dtypeCode = try read(UInt8.self, "'\(name)' dtype")
            guard let dtype = ZooTensorEntry.dtypesByCode[dtypeCode] else { throw ZooFileError.badTensor(file: file, tensor: name, reason: "unknown dtype code \(dtypeCode)") }
            let layoutCode = try read(UInt8.self, "'\(name)' layout")
            guard let layout = TensorLayout(rawValue: layoutCode) else { throw ZooFileError.badTensor(file: file, tensor: name, reason: "unknown layout code \(layoutCode)") }
            let rank = Int(try read(UInt8.self, "'\(name)' rank"))
            guard rank <= 8 else { throw ZooFileError.badTensor(file: file, tensor: name, reason: "rank \(rank) is over 8") }
            var shape: [Int] = []
            var elements = 1
            for _ in 0..<rank {
                let dim = try read(UInt64.self, "'\(name)' shape")
                guard dim <= UInt64(Int.max) else { throw ZooFileError.badTensor(file: file, tensor: name, reason: "dimension \(dim) overflows") }
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(dim))
                guard !overflow else { throw ZooFileError.badTensor(file: file, tensor: name, reason: "shape product overflows") }
                elements = product
                shape.append(Int(dim))
            }
            let offset = try read(UInt64.self, "'\(name)' offset")
            let length = try read(UInt64.self, "'\(name)' length")
            let checksum = try read(UInt64.self, "'\(name)' checksum")
            var (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
            if layout == .packed {
                // GEMM panels: float32 only, the last dimension padded to whole 32-column panels.
                guard dtype == .float32, let packed = PackedKernel.byteCount(shape: shape) else {
                    throw ZooFileError.badTensor(file: file, tensor: name, reason: "a packed tensor must be float32 of rank 2 or more without empty dimensions, not \(dtype.rawValue) \(shape)")
                }
                (bytes, overflow) = (packed, false)
            }
            guard !overflow, UInt64(bytes) == length else {
                throw ZooFileError.badTensor(file: file, tensor: name, reason: "length \(length) does not match \(layout == .packed ? "packed " : "")shape \(shape) of \(dtype.rawValue) (\(overflow ? "overflow" : "\(bytes) bytes"))")
            }
            guard offset <= UInt64(Int.max), Int(offset) >= dataRange.lowerBound, Int(offset) <= dataRange.upperBound,
                  bytes <= dataRange.upperBound - Int(offset) else {
                throw ZooFileError.badTensor(file: file, tensor: name, reason: "bytes \(offset)..<\(offset &+ length) lie outside the data section \(dataRange)")
            }
            guard Int(offset) % alignment == 0 else {
                throw ZooFileError.badTensor(file: file, tensor: name, reason: "offset \(offset) is not \(alignment)-byte aligned")
            }
            entries.append(ZooTensorEntry(name: name, dtype: dtype, layout: layout, shape: shape, offset: Int(offset), length: bytes, checksum: checksum))
        }
        guard cursor == table.count else { throw ZooFileError.badHeader(file: file, reason: "\(table.count - cursor) stray bytes after the tensor table") }
        let sorted = entries.sorted { $0.offset < $1.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.offset + a.length > b.offset {
            throw ZooFileError.badTensor(file: file, tensor: b.name, reason: "overlaps tensor '\(a.name)'")
        }
        return entries
    }

    /// The entry for a tensor name.
    public func entry(_ name: String) -> ZooTensorEntry? { index[name].map { entries[$0] } }

    /// A zero-copy view of a tensor's bytes (checked first when opened with lazy verification).
    public func tensor(_ name: String) throws -> TensorData {
        guard let i = index[name] else { throw ZooFileError.noSuchTensor(file: path, tensor: name) }
        return try tensor(at: i)
    }

    func tensor(at i: Int) throws -> TensorData {
        let entry = entries[i]
        let view = UnsafeRawBufferPointer(rebasing: file.bytes[entry.offset..<(entry.offset + entry.length)])
        if verification == .lazy {
            lock.lock()
            let done = verified[i]
            lock.unlock()
            if !done {
                guard XXH64.hash(view) == entry.checksum else { throw ZooFileError.checksumMismatch(file: path, tensor: entry.name) }
                lock.lock()
                verified[i] = true
                lock.unlock()
            }
        }
        return TensorData(viewing: view.baseAddress ?? UnsafeRawPointer(file.bytes.baseAddress!), count: entry.length, owner: file)
    }

    /// Checks every tensor's checksum (tensors are split between the cores), that every gap
    /// between tensors is zero, and the whole-file checksum; throws naming the first bad tensor.
    public func verify() throws {
        let count = entries.count
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        // Balance by bytes: each worker takes tensors round-robin in size order.
        let order = entries.indices.sorted { entries[$0].length > entries[$1].length }
        nonisolated(unsafe) let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: count)
        results.initialize(repeating: false)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var k = worker
            while k < count {
                let i = order[k]
                let entry = entries[i]
                let view = UnsafeRawBufferPointer(rebasing: file.bytes[entry.offset..<(entry.offset + entry.length)])
                results[i] = XXH64.hash(view) == entry.checksum
                k += workers
            }
        }
        for (i, entry) in entries.enumerated() {
            guard results[i] else { throw ZooFileError.checksumMismatch(file: path, tensor: entry.name) }
        }
        lock.lock()
        for i in verified.indices { verified[i] = true }
        lock.unlock()
        // Gaps (header padding, alignment padding) must be zero.
        let bytes = file.bytes
        var position = ZooFilePreamble.size + Int(preamble.tableLength + preamble.metadataLength + preamble.graphLength)
        for entry in entries.sorted(by: { $0.offset < $1.offset }) + [ZooTensorEntry(name: "", dtype: .uint8, layout: .plain, shape: [0], offset: bytes.count, length: 0, checksum: 0)] {
            if position < entry.offset, bytes[position..<entry.offset].contains(where: { $0 != 0 }) {
                throw ZooFileError.fileChecksumMismatch(file: path)
            }
            position = max(position, entry.offset + entry.length)
        }
        let headerRegion = UnsafeRawBufferPointer(rebasing: bytes[ZooFilePreamble.size..<Int(preamble.dataOffset)])
        guard ZooFilePreamble.fileChecksum(headerRegion: headerRegion, tensorChecksums: entries.map(\.checksum)) == preamble.fileChecksum else {
            throw ZooFileError.fileChecksumMismatch(file: path)
        }
    }

    /// The metadata, decoded on demand.
    public func metadata() throws -> ZooMetadata {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(ZooMetadata.self, from: Data(UnsafeRawBufferPointer(rebasing: file.bytes[metadataRange])))
        } catch {
            throw ZooFileError.badHeader(file: path, reason: "metadata is not valid JSON (\(error))")
        }
    }

    /// The graph, decoded on demand; nil when the file stores none.
    public func graph() throws -> Graph? {
        guard !graphRange.isEmpty else { return nil }
        do {
            return try JSONDecoder().decode(Graph.self, from: Data(UnsafeRawBufferPointer(rebasing: file.bytes[graphRange])))
        } catch {
            throw ZooFileError.badHeader(file: path, reason: "graph is not valid JSON (\(error))")
        }
    }

    /// Every tensor as a checkpoint layer list (names split at the last `/` or, torchvision
    /// style, the last `.`), with zero-copy data. A `packed` kernel keeps its shape; its `data`
    /// is the plain layout, made from the panels only when read, and `kernelPanels` the stored
    /// panels.
    public func checkpoint() throws -> Checkpoint {
        var layers: [CheckpointLayer] = []
        var position: [String: Int] = [:]
        for (i, entry) in entries.enumerated() {
            let (layer, weight) = Self.split(entry.name)
            let stored = try tensor(at: i)
            var value = Weight(name: weight, path: entry.name, storedName: entry.name, dtype: entry.dtype, shape: entry.shape, data: stored)
            if entry.layout == .packed, let plain = PackedKernel.deferredPlain(stored, shape: entry.shape) {
                // Readers see the plain values (made on first read); the compute core uses the panels.
                value.data = plain
                value.kernelPanels = stored
            }
            if let p = position[layer] {
                layers[p].weights.append(value)
            } else {
                position[layer] = layers.count
                layers.append(CheckpointLayer(name: layer, weights: [value]))
            }
        }
        let meta = try metadata()
        var checkpoint = Checkpoint(format: .zoo, kerasVersion: meta.source?.kerasVersion, backend: meta.source?.backend, layers: layers,
                                    modelConfig: meta.kerasModelConfig, trainingConfig: meta.kerasTrainingConfig)
        checkpoint.provenance = meta.slice
        // Weightless layers come back from the graph, so a checkpoint lists every layer.
        if let graph = try graph() {
            let byName = Dictionary(uniqueKeysWithValues: layers.map { ($0.name, $0) })
            if Set(byName.keys).isSubset(of: Set(graph.nodes.map(\.name))) {
                // Op nodes (`x + 3.0`) are not Keras layers and hold no weights.
                // A nested model is a weightless layer, then its layers named `<model>/<layer>`,
                // as a Keras 3 reader names them.
                let nestedClass = Dictionary(graph.modelLayers.filter(\.isNestedModel).map { ($0.name, $0.className) }, uniquingKeysWith: { a, _ in a })
                var listed: [CheckpointLayer] = []
                for node in graph.nodes where !node.op.isOperationNode {
                    var layer = byName[node.name] ?? CheckpointLayer(name: node.name, weights: [])
                    layer.className = node.op.kerasClassName
                    if let container = node.container {
                        if listed.last?.nestedIn != container {
                            listed.append(CheckpointLayer(name: container, className: nestedClass[container], weights: []))
                        }
                        layer.name = "\(container)/\(node.name)"
                        layer.kerasName = node.name
                        layer.nestedIn = container
                    }
                    listed.append(layer)
                }
                checkpoint.layers = listed
            }
        }
        return checkpoint
    }

    static func split(_ name: String) -> (String, String) {
        if let slash = name.lastIndex(of: "/") { return (String(name[..<slash]), String(name[name.index(after: slash)...])) }
        if let dot = name.lastIndex(of: ".") { return (String(name[..<dot]), String(name[name.index(after: dot)...])) }
        return (name, name)
    }

    /// Whether a file starts with the `.zoo` magic.
    public static func isZooFile(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return ((try? handle.read(upToCount: 8)) ?? Data()).elementsEqual(ZooFilePreamble.magic)
    }
}
