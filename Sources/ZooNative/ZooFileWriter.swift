import Foundation
import ZooFormats
import ZooGraph

/// Writes `.zoo` files into a temporary file that is synced and renamed into place.
///
/// The layout (every offset) follows from names, shapes and dtypes alone, so each tensor is
/// placed at its final offset as it comes: copied from its own memory or, when it has none, read
/// by the caller's `fill` straight into the output's staging buffer, hashed there, and written
/// while the next one is read (see `ZooFileOutput`). The writer never holds a second copy of the
/// model. The header (whose table holds the checksums) and then the preamble, which makes the
/// file valid, are written last.
public enum ZooFileWriter {
    /// One tensor to write.
    public struct Tensor: Sendable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public var layout: TensorLayout
        /// The bytes, or nil when `write`'s `fill` supplies them while writing (streaming from a
        /// source file).
        public var data: TensorData?

        public init(name: String, dtype: DType, shape: [Int], layout: TensorLayout, data: TensorData?) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.layout = layout
            self.data = data
        }
    }

    /// Fills a tensor that has no `data`: called with the tensor's index and a buffer of
    /// exactly its byte length, in table order, once per such tensor.
    public typealias Fill = (_ index: Int, _ buffer: UnsafeMutableRawBufferPointer) throws -> Void

    /// Writes `tensors` (in order), `metadata` and `graph` to `path`.
    /// - Parameters:
    ///   - alignment: every tensor's offset is a multiple of it (64 to 65536, a power of two).
    ///   - fill: supplies the bytes of tensors whose `data` is nil.
    ///   - finishMetadata: called once every tensor is written, to complete the metadata (such as
    ///     a source hash computed meanwhile); it must not change the metadata's encoded length,
    ///     which the layout was planned with.
    public static func write(_ tensors: [Tensor], metadata: ZooMetadata, graph: Graph?, to path: String, alignment: Int = 64,
                             fill: Fill? = nil, finishMetadata: ((inout ZooMetadata) throws -> Void)? = nil) throws {
        try write(tensors, metadata: metadata, graph: graph, to: path, alignment: alignment, fill: fill, finishMetadata: finishMetadata, directIO: true)
    }

    /// `write`, with direct I/O for the data section allowed or not (tests take the page-cache
    /// path this way, which is otherwise only used where the filesystem refuses `O_DIRECT`).
    static func write(_ tensors: [Tensor], metadata: ZooMetadata, graph: Graph?, to path: String, alignment: Int,
                      fill: Fill?, finishMetadata: ((inout ZooMetadata) throws -> Void)?, directIO: Bool) throws {
        guard alignment >= 64, alignment <= ZooFilePreamble.maxAlignment, alignment & (alignment - 1) == 0 else {
            throw ZooFileError.cannotWrite(file: path, reason: "--align \(alignment) must be a power of two between 64 and 65536")
        }
        var seen = Set<String>()
        var lengths: [Int] = []
        lengths.reserveCapacity(tensors.count)
        for tensor in tensors {
            guard seen.insert(tensor.name).inserted else { throw ZooFileError.cannotWrite(file: path, reason: "two tensors are named '\(tensor.name)'") }
            guard !tensor.name.isEmpty, tensor.name.utf8.count <= 4096, tensor.shape.count <= 8, tensor.shape.allSatisfy({ $0 >= 0 }) else {
                throw ZooFileError.cannotWrite(file: path, reason: "tensor '\(tensor.name)' has a bad name, rank or shape \(tensor.shape)")
            }
            var length = tensor.dtype.byteSize
            for dim in tensor.shape {
                let (product, overflow) = length.multipliedReportingOverflow(by: dim)
                guard !overflow else { throw ZooFileError.cannotWrite(file: path, reason: "tensor '\(tensor.name)' shape \(tensor.shape) overflows") }
                length = product
            }
            if tensor.layout == .packed {
                // GEMM panels: the last dimension padded to whole panels (see PackedKernel).
                guard tensor.dtype == .float32, let packed = PackedKernel.byteCount(shape: tensor.shape) else {
                    throw ZooFileError.cannotWrite(file: path, reason: "tensor '\(tensor.name)': only float32 kernels of rank 2 or more can be packed, not \(tensor.dtype.rawValue) \(tensor.shape)")
                }
                length = packed
            }
            if let data = tensor.data {
                guard length == data.count else {
                    throw ZooFileError.cannotWrite(file: path, reason: "tensor '\(tensor.name)' holds \(data.count) bytes, not shape \(tensor.shape) of \(tensor.dtype.rawValue)")
                }
            } else if fill == nil {
                throw ZooFileError.cannotWrite(file: path, reason: "tensor '\(tensor.name)' has no data and nothing supplies it")
            }
            lengths.append(length)
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        var metadataBytes = [UInt8](try encoder.encode(metadata))
        // Sorted keys for the graph too: the same model always gives the same bytes.
        let graphEncoder = JSONEncoder()
        graphEncoder.outputFormatting = [.sortedKeys]
        let graphBytes = try graph.map { [UInt8](try graphEncoder.encode($0)) } ?? []
        // Lay out: the table's size depends only on names and ranks.
        let tableLength = 4 + tensors.reduce(0) { $0 + 2 + $1.name.utf8.count + 3 + 8 * $1.shape.count + 24 }
        let headerEnd = ZooFilePreamble.size + tableLength + metadataBytes.count + graphBytes.count
        let dataOffset = ZooFilePreamble.roundUp(headerEnd, max(ZooFilePreamble.page, alignment))
        var offsets: [Int] = []
        offsets.reserveCapacity(tensors.count)
        var cursor = dataOffset
        for length in lengths {
            cursor = ZooFilePreamble.roundUp(cursor, alignment)
            offsets.append(cursor)
            cursor += length
        }
        let largestRegion = (lengths.max() ?? 0) + alignment

        try AtomicOutput.write(to: path) { temporary in
            let output = try ZooFileOutput(temporary: temporary, path: path, dataOffset: dataOffset, largestRegion: largestRegion, directIO: directIO)
            // Tensors first, each filled and hashed in place at its final offset; the region
            // before data_offset stays zero (no valid preamble) until everything else is written.
            var checksums: [UInt64] = []
            checksums.reserveCapacity(tensors.count)
            for (index, tensor) in tensors.enumerated() {
                let region = try output.region(at: offsets[index], length: lengths[index])
                if let data = tensor.data {
                    data.withUnsafeBytes { region.copyMemory(from: $0) }
                } else {
                    try fill?(index, region)
                }
                checksums.append(XXH64.hash(UnsafeRawBufferPointer(region)))
            }
            try output.finishData()

            // Then the header, which holds the checksums, and last the preamble.
            if let finishMetadata {
                var finished = metadata
                try finishMetadata(&finished)
                let bytes = [UInt8](try encoder.encode(finished))
                guard bytes.count == metadataBytes.count else {
                    throw ZooFileError.cannotWrite(file: path, reason: "the metadata changed length (\(metadataBytes.count) to \(bytes.count) bytes) after the layout was planned")
                }
                metadataBytes = bytes
            }
            var table: [UInt8] = []
            table.reserveCapacity(tableLength)
            func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { table += $0 } }
            put(UInt32(tensors.count))
            for (index, tensor) in tensors.enumerated() {
                put(UInt16(tensor.name.utf8.count))
                table += tensor.name.utf8
                put(ZooTensorEntry.dtypeCodes[tensor.dtype] ?? 0)
                put(tensor.layout.rawValue)
                put(UInt8(tensor.shape.count))
                for dim in tensor.shape { put(UInt64(dim)) }
                put(UInt64(offsets[index])); put(UInt64(lengths[index])); put(checksums[index])
            }
            var header = table + metadataBytes + graphBytes
            let headerChecksum = header.withUnsafeBytes { XXH64.hash($0) }
            header += [UInt8](repeating: 0, count: dataOffset - headerEnd)
            let fileChecksum = header.withUnsafeBytes { ZooFilePreamble.fileChecksum(headerRegion: $0, tensorChecksums: checksums) }
            let preamble = ZooFilePreamble(alignment: UInt32(alignment), tableLength: UInt64(tableLength), metadataLength: UInt64(metadataBytes.count),
                                           graphLength: UInt64(graphBytes.count), dataOffset: UInt64(dataOffset),
                                           headerChecksum: headerChecksum, fileChecksum: fileChecksum)
            try header.withUnsafeBytes { try output.write($0, at: ZooFilePreamble.size) }
            try preamble.encoded().withUnsafeBytes { try output.write($0, at: 0) }
        }
    }
}
