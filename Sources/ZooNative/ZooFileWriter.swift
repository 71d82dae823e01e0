import Foundation
import ZooFormats
import ZooGraph

/// Writes `.zoo` files: header first, then each tensor streamed from its own memory (no second
/// copy of the model), into a temporary file that is synced and renamed into place. The
/// preamble, which makes the file valid, is written last.
public enum ZooFileWriter {
    /// One tensor to write.
    public struct Tensor: Sendable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public var layout: TensorLayout
        public var data: TensorData

        public init(name: String, dtype: DType, shape: [Int], layout: TensorLayout, data: TensorData) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.layout = layout
            self.data = data
        }
    }

    /// Writes `tensors` (in order), `metadata` and `graph` to `path`.
    /// - Parameter alignment: every tensor's offset is a multiple of it (64 to 65536, a power of two).
    public static func write(_ tensors: [Tensor], metadata: ZooMetadata, graph: Graph?, to path: String, alignment: Int = 64) throws {
        guard alignment >= 64, alignment <= ZooFilePreamble.maxAlignment, alignment & (alignment - 1) == 0 else {
            throw ZooFileError.cannotWrite(file: path, reason: "--align \(alignment) must be a power of two between 64 and 65536")
        }
        var seen = Set<String>()
        for tensor in tensors {
            guard seen.insert(tensor.name).inserted else { throw ZooFileError.cannotWrite(file: path, reason: "two tensors are named '\(tensor.name)'") }
            guard !tensor.name.isEmpty, tensor.name.utf8.count <= 4096, tensor.shape.count <= 8 else {
                throw ZooFileError.cannotWrite(file: path, reason: "tensor '\(tensor.name)' has a bad name or rank")
            }
            guard tensor.shape.reduce(1, *) * tensor.dtype.byteSize == tensor.data.count else {
                throw ZooFileError.cannotWrite(file: path, reason: "tensor '\(tensor.name)' holds \(tensor.data.count) bytes, not shape \(tensor.shape) of \(tensor.dtype.rawValue)")
            }
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        let metadataBytes = [UInt8](try encoder.encode(metadata))
        let graphBytes = try graph.map { [UInt8](try JSONEncoder().encode($0)) } ?? []
        // Lay out: table size depends only on names and ranks.
        let tableLength = 4 + tensors.reduce(0) { $0 + 2 + $1.name.utf8.count + 3 + 8 * $1.shape.count + 24 }
        let headerEnd = ZooFilePreamble.size + tableLength + metadataBytes.count + graphBytes.count
        let dataOffset = ZooFilePreamble.roundUp(headerEnd, max(ZooFilePreamble.page, alignment))
        var entries: [ZooTensorEntry] = []
        var cursor = dataOffset
        for tensor in tensors {
            cursor = ZooFilePreamble.roundUp(cursor, alignment)
            let checksum = tensor.data.withUnsafeBytes { XXH64.hash($0) }
            entries.append(ZooTensorEntry(name: tensor.name, dtype: tensor.dtype, layout: tensor.layout, shape: tensor.shape,
                                          offset: cursor, length: tensor.data.count, checksum: checksum))
            cursor += tensor.data.count
        }
        var table: [UInt8] = []
        table.reserveCapacity(tableLength)
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { table += $0 } }
        put(UInt32(entries.count))
        for entry in entries {
            put(UInt16(entry.name.utf8.count))
            table += entry.name.utf8
            put(ZooTensorEntry.dtypeCodes[entry.dtype] ?? 0)
            put(entry.layout.rawValue)
            put(UInt8(entry.shape.count))
            for dim in entry.shape { put(UInt64(dim)) }
            put(UInt64(entry.offset)); put(UInt64(entry.length)); put(entry.checksum)
        }
        var header = table + metadataBytes + graphBytes
        let headerChecksum = header.withUnsafeBytes { XXH64.hash($0) }
        header += [UInt8](repeating: 0, count: dataOffset - headerEnd)

        try AtomicOutput.write(to: path) { temporary in
            guard let handle = fopen(temporary, "wb") else { throw ZooFileError.cannotWrite(file: path, reason: "cannot create the temporary file") }
            defer { fclose(handle) }
            func emit(_ bytes: UnsafeRawBufferPointer, hashed: Bool = true) throws {
                guard bytes.count == 0 || fwrite(bytes.baseAddress, 1, bytes.count, handle) == bytes.count else {
                    throw ZooFileError.cannotWrite(file: path, reason: "write failed (\(String(cString: strerror(errno))))")
                }
            }
            // A zero preamble until everything else is on disk: a torn write never opens as valid.
            try [UInt8](repeating: 0, count: ZooFilePreamble.size).withUnsafeBytes { try emit($0, hashed: false) }
            try header.withUnsafeBytes { try emit($0) }
            var position = dataOffset
            let zeros = [UInt8](repeating: 0, count: alignment)
            for (tensor, entry) in zip(tensors, entries) {
                if entry.offset > position { try zeros.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0.prefix(entry.offset - position))) } }
                try tensor.data.withUnsafeBytes { try emit($0) }
                position = entry.offset + entry.length
            }
            let fileChecksum = header.withUnsafeBytes { ZooFilePreamble.fileChecksum(headerRegion: $0, tensorChecksums: entries.map(\.checksum)) }
            let preamble = ZooFilePreamble(alignment: UInt32(alignment), tableLength: UInt64(tableLength), metadataLength: UInt64(metadataBytes.count),
                                           graphLength: UInt64(graphBytes.count), dataOffset: UInt64(dataOffset),
                                           headerChecksum: headerChecksum, fileChecksum: fileChecksum)
            guard fseek(handle, 0, SEEK_SET) == 0 else { throw ZooFileError.cannotWrite(file: path, reason: "seek failed") }
            try preamble.encoded().withUnsafeBytes { try emit($0, hashed: false) }
            guard fflush(handle) == 0 else { throw ZooFileError.cannotWrite(file: path, reason: "flush failed (\(String(cString: strerror(errno))))") }
        }
    }
}
