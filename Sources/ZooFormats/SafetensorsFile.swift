import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and writes the safetensors layout: an 8-byte little-endian header length N, N bytes of
/// UTF-8 JSON (`{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {string: string}}`), then the raw little-endian tensor data, with offsets
/// relative to the start of the data.
///
/// Reading maps the file and makes every tensor a zero-copy view into the mapping, after the whole
/// header has been validated. Writing streams each tensor's bytes straight to the file.
public enum SafetensorsFile {
    /// The largest header accepted or written (the limit of the Rust `safetensors` crate).
    static let maxHeaderSize: UInt64 = 100_000_000

    /// Header nesting deeper than this is rejected (a valid header nests three levels).
    static let maxNestingDepth = 64

    // MARK: - Detection

    /// A cheap content sniff: the first 8 bytes give a header length N with
    /// 2 <= N <= file size - 8, and the header starts with `{`.
    public static func isSafetensors(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        let size = UInt64(max(Int64(info.st_size), 0))
        guard size >= 10 else { return false }
        var prefix = [UInt8](repeating: 0, count: 9)
        let got = prefix.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 9, 0) }
        guard got == 9 else { return false }
        let length = littleEndianUInt64(prefix)
        return length >= 2 && length <= size - 8 && prefix[8] == UInt8(ascii: "{")
    }

    // MARK: - Reading

    /// Reads every tensor of a safetensors file into a checkpoint of zero-copy views.
    ///
    /// Names split into layer and weight at the last `/` (`conv1_conv/kernel`), or where there is
    /// none at the last `.` (`layer1.0.conv1.weight`). Tensors come in data-offset order; all
    /// tensors of one layer join the layer at its first appearance. `__metadata__` keys
    /// `keras_version`, `backend`, `model_config`, `training_config` and `swiftzoo_provenance`
    /// fill the matching checkpoint fields.
    public static func read(_ path: String) throws -> Checkpoint {
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        let fileSize = bytes.count
        guard fileSize >= 8 else {
            throw malformed(path, nil, "an 8-byte little-endian header length, found a \(fileSize)-byte file")
        }
        let headerLength = littleEndianUInt64(UnsafeRawBufferPointer(rebasing: bytes[0..<8]))
        let available = UInt64(fileSize - 8)
        guard headerLength <= available else {
            throw malformed(path, nil, "a header length of at most \(available) bytes (the file is \(fileSize) bytes), found \(headerLength)")
        }
        guard headerLength <= maxHeaderSize else {
            throw malformed(path, nil, "a header length of at most \(maxHeaderSize) bytes, found \(headerLength)")
        }
        let headerEnd = 8 + Int(headerLength)
        let header = UnsafeRawBufferPointer(rebasing: bytes[8..<headerEnd])
        let dataSize = fileSize - headerEnd

        let root: JSONDocument
        do {
            root = try JSONDocument.parse(header, maxDepth: maxNestingDepth)
        } catch let error as JSONDocument.ParseError {
            throw malformed(path, nil, "a JSON header (\(error.message) at header byte \(error.offset))")
        }
        guard case .object(let members) = root else {
            throw malformed(path, nil, "a JSON object as the header, found \(root.kindName)")
        }

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        entries.reserveCapacity(members.count)
        for (index, member) in members.enumerated() {
            if member.key == "__metadata__" {
                metadata = try readMetadata(member.value, file: path)
            } else {
                entries.append(try readEntry(name: member.key, value: member.value, index: index, dataSize: dataSize, file: path))
            }
        }

        // File order: by data offset (zero-size tensors first at a tie), then header order.
        entries.sort { ($0.begin, $0.end, $0.index) < ($1.begin, $1.end, $1.index) }
        for (previous, next) in zip(entries, entries.dropFirst()) where next.begin < previous.end {
            throw malformed(path, next.name, "data that does not overlap other tensors, found data_offsets [\(next.begin), \(next.end)] overlapping tensor '\(previous.name)' at [\(previous.begin), \(previous.end)]")
        }

        // Everything is valid: expose the views.
        let dataStart = bytes.baseAddress! + headerEnd
        var layers: [CheckpointLayer] = []
        var layerIndex: [String: Int] = [:]
        for entry in entries {
            let start = dataStart + entry.begin
            let count = entry.end - entry.begin
            let data: TensorData
            if count == 0 || Int(bitPattern: start) % entry.dtype.byteSize == 0 {
                data = TensorData(viewing: start, count: count, owner: file)
            } else {
                // Elements that are not aligned to their size are copied into aligned storage.
                data = TensorData(copying: UnsafeRawBufferPointer(start: start, count: count))
            }
            let (layerName, weightName) = splitName(entry.name)
            let weight = Weight(name: weightName, path: entry.name, storedName: entry.name,
                                dtype: entry.dtype, shape: entry.shape, data: data)
            if let position = layerIndex[layerName] {
                layers[position].weights.append(weight)
            } else {
                layerIndex[layerName] = layers.count
                layers.append(CheckpointLayer(name: layerName, weights: [weight]))
            }
        }

        var checkpoint = Checkpoint(format: CheckpointFormat.safetensors,
                                    kerasVersion: metadata["keras_version"], backend: metadata["backend"],
                                    layers: layers, modelConfig: metadata["model_config"],
                                    trainingConfig: metadata["training_config"])
        checkpoint.provenance = metadata["swiftzoo_provenance"]
        return checkpoint
    }

    /// One validated header entry.
    private struct Entry {
        let name: String
        let dtype: DType
        let shape: [Int]
        let begin: Int
        let end: Int
        let index: Int
    }

    private static func readMetadata(_ value: JSONDocument, file: String) throws -> [String: String] {
        switch value {
        case .null:
            return [:]
        case .object(let members):
            var result: [String: String] = [:]
            for member in members {
                guard case .string(let text) = member.value else {
                    throw malformed(file, "__metadata__", "string values, found \(member.value.kindName) for key '\(member.key)'")
                }
                result[member.key] = text
            }
            return result
        default:
            throw malformed(file, "__metadata__", "an object of strings, found \(value.kindName)")
        }
    }

    private static func readEntry(name: String, value: JSONDocument, index: Int, dataSize: Int, file: String) throws -> Entry {
        guard case .object(let fields) = value else {
            throw malformed(file, name, "an object with dtype, shape and data_offsets, found \(value.kindName)")
        }
        func field(_ key: String) throws -> JSONDocument {
            guard let found = fields.last(where: { $0.key == key }) else {
                throw malformed(file, name, "a '\(key)' field")
            }
            return found.value
        }
        guard case .string(let code) = try field("dtype") else {
            throw malformed(file, name, "a string dtype, found \(try field("dtype").kindName)")
        }
        guard let dtype = dtype(code: code) else {
            throw FormatError.unsupportedDType(file: file, path: name, type: code)
        }

        guard case .array(let dims) = try field("shape") else {
            throw malformed(file, name, "a shape array, found \(try field("shape").kindName)")
        }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        var elements = 1
        for dim in dims {
            guard let value = dim.int64, value >= 0, let size = Int(exactly: value) else {
                throw malformed(file, name, "non-negative integer dimensions, found \(dim.summary) in shape \(describe(dims))")
            }
            // Left to right, as `Weight.elementCount` multiplies, so that can never overflow.
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow else {
                throw malformed(file, name, "a shape whose element count fits in \(Int.bitWidth) bits, found \(describe(dims))")
            }
            elements = product
            shape.append(size)
        }
        let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else {
            throw malformed(file, name, "a shape whose byte count fits in \(Int.bitWidth) bits, found \(describe(dims)) of \(code)")
        }

        guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2,
              let rawBegin = offsets[0].int64, let rawEnd = offsets[1].int64,
              rawBegin >= 0, rawEnd >= 0 else {
            throw malformed(file, name, "data_offsets of two non-negative integers, found \((try? field("data_offsets").summary) ?? "?")")
        }
        guard rawBegin <= rawEnd else {
            throw malformed(file, name, "data_offsets [begin, end] with begin <= end, found [\(rawBegin), \(rawEnd)]")
        }
        guard rawEnd <= Int64(dataSize) else {
            throw malformed(file, name, "data_offsets within the \(dataSize)-byte data buffer, found [\(rawBegin), \(rawEnd)]")
        }
        let begin = Int(rawBegin), end = Int(rawEnd)
        guard end - begin == byteCount else {
            throw malformed(file, name, "\(byteCount) bytes for shape \(describe(dims)) of \(code), found data_offsets [\(begin), \(end)] (\(end - begin) bytes)")
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end, index: index)
    }

    // MARK: - Writing

    /// Writes `checkpoint` as safetensors, atomically. Each tensor is named `layer/weight`, or
    /// `layer.weight` for torchvision-style names (a layer name with a `.` and no `/`, or a weight
    /// read from safetensors as `layer.weight`); tensors are laid
    /// out contiguously in checkpoint order and the data starts on an 8-byte boundary.
    public static func write(_ checkpoint: Checkpoint, to path: String) throws {
        var seen = Set<String>()
        var tensors: [(name: String, weight: Weight)] = []
        for layer in checkpoint.layers {
            for weight in layer.weights {
                let name = tensorName(layer: layer.name, weight: weight.name, storedName: weight.storedName)
                guard name != "__metadata__" else {
                    throw FormatError.cannotWrite(file: path, reason: "layer '\(layer.name)' weight '\(weight.name)' would be named '__metadata__', which safetensors reserves")
                }
                guard seen.insert(name).inserted else {
                    throw FormatError.cannotWrite(file: path, reason: "two weights would both be stored as tensor '\(name)' (layer '\(layer.name)', weight '\(weight.name)'); safetensors names must be unique")
                }
                var elements = 1
                for size in weight.shape {
                    let (product, overflow) = elements.multipliedReportingOverflow(by: size)
                    guard size >= 0, !overflow else {
                        throw FormatError.cannotWrite(file: path, reason: "tensor '\(name)' has an invalid shape \(weight.shape)")
                    }
                    elements = product
                }
                let (expected, overflow) = elements.multipliedReportingOverflow(by: weight.dtype.byteSize)
                guard !overflow, expected == weight.data.count else {
                    throw FormatError.cannotWrite(file: path, reason: "tensor '\(name)' has \(weight.data.count) bytes of data, but shape \(weight.shape) of \(weight.dtype.rawValue) needs \(elements) × \(weight.dtype.byteSize)")
                }
                tensors.append((name, weight))
            }
        }

        let metadata: [(String, String?)] = [
            ("keras_version", checkpoint.kerasVersion), ("backend", checkpoint.backend),
            ("model_config", checkpoint.modelConfig), ("training_config", checkpoint.trainingConfig),
            ("swiftzoo_provenance", checkpoint.provenance),
        ]
        let present = metadata.compactMap { key, value in value.map { (key: key, value: JSONDocument.string($0)) } }
        var members: [(key: String, value: JSONDocument)] = [
            ("__metadata__", .object(present.isEmpty ? [("format", .string("swiftzoo"))] : present)),
        ]
        func integers(_ values: [Int]) -> JSONDocument { .array(values.map { .number(String($0)) }) }
        var offset = 0
        for tensor in tensors {
            members.append((tensor.name, .object([
                ("dtype", .string(code(for: tensor.weight.dtype))),
                ("shape", integers(tensor.weight.shape)),
                ("data_offsets", integers([offset, offset + tensor.weight.data.count])),
            ])))
            offset += tensor.weight.data.count
        }
        var header = JSONDocument.object(members).compactBytes()
        // Pad with spaces so the data starts at a multiple of 8 bytes, as the Rust crate does.
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        guard UInt64(header.count) <= maxHeaderSize else {
            throw FormatError.cannotWrite(file: path, reason: "the safetensors header would be \(header.count) bytes, over the \(maxHeaderSize)-byte limit readers accept")
        }

        try AtomicOutput.write(to: path) { temporary in
            let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw FormatError.io(file: path, reason: "cannot create the temporary output '\(temporary)' (\(String(cString: strerror(errno))))")
            }
            var closed = false
            defer { if !closed { close(fd) } }
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try writeAll(fd, $0, path: path) }
            try header.withUnsafeBytes { try writeAll(fd, $0, path: path) }
            for tensor in tensors {
                try tensor.weight.data.withUnsafeBytes { try writeAll(fd, $0, path: path) }
            }
            closed = true
            guard close(fd) == 0 else {
                throw FormatError.io(file: path, reason: "closing the output failed (\(String(cString: strerror(errno))))")
            }
        }
    }

    // MARK: - Names and types

    /// The tensor name a layer's weight is stored under: `layer/weight`, or `layer.weight` where
    /// the layer name is torchvision style (has a `.`, no `/`) or the weight was read as
    /// `layer.weight` (its `storedName`, so `fc.weight` stays `fc.weight`), and only where
    /// `splitName` gives the two parts back. An empty layer name stores the weight name alone.
    static func tensorName(layer: String, weight: String, storedName: String? = nil) -> String {
        if layer.isEmpty { return weight }
        let dotted = layer + "." + weight
        let splitsBack = !layer.contains("/") && !weight.contains(".") && !weight.contains("/")
        let torchvision = splitsBack && (layer.contains(".") || storedName == dotted)
        return torchvision ? dotted : layer + "/" + weight
    }

    /// Splits a tensor name into layer and weight at the last `/`, or else at the last `.`; a
    /// name with neither is a weight of the unnamed layer `""`.
    static func splitName(_ name: String) -> (layer: String, weight: String) {
        let cut = name.lastIndex(of: "/") ?? name.lastIndex(of: ".")
        guard let cut else { return ("", name) }
        return (String(name[..<cut]), String(name[name.index(after: cut)...]))
    }

    /// The dtype a safetensors type code names, or nil for the types SwiftZoo does not read.
    static func dtype(code: String) -> DType? {
        switch code {
        case "F16": return .float16
        case "BF16": return .bfloat16
        case "F32": return .float32
        case "F64": return .float64
        case "I32": return .int32
        case "I64": return .int64
        case "U8": return .uint8
        default: return nil
        }
    }

    /// The safetensors type code of a dtype.
    static func code(for dtype: DType) -> String {
        switch dtype {
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .float32: return "F32"
        case .float64: return "F64"
        case .int32: return "I32"
        case .int64: return "I64"
        case .uint8: return "U8"
        }
    }

    // MARK: - Helpers

    /// A header problem, at tensor `tensor` or (nil) in the header as a whole.
    private static func malformed(_ file: String, _ tensor: String?, _ expected: String) -> FormatError {
        .invalid(file: file, location: tensor.map { "tensor '\($0)'" } ?? "the safetensors header", expected: expected)
    }

    private static func littleEndianUInt64<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var value: UInt64 = 0
        for (shift, byte) in zip(stride(from: 0, to: 64, by: 8), bytes) { value |= UInt64(byte) << UInt64(shift) }
        return value
    }

    private static func describe(_ values: [JSONDocument]) -> String { JSONDocument.array(values).summary }
}
