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

        let root: JSON
        do {
            var parser = JSONParser(bytes: header, maxDepth: maxNestingDepth)
            root = try parser.parseDocument()
        } catch let error as JSONParser.Failure {
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

    private static func readMetadata(_ value: JSON, file: String) throws -> [String: String] {
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

    private static func readEntry(name: String, value: JSON, index: Int, dataSize: Int, file: String) throws -> Entry {
        guard case .object(let fields) = value else {
            throw malformed(file, name, "an object with dtype, shape and data_offsets, found \(value.kindName)")
        }
        func field(_ key: String) throws -> JSON {
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
            guard case .integer(let value) = dim, value >= 0, let size = Int(exactly: value) else {
                throw malformed(file, name, "non-negative integer dimensions, found \(dim.text) in shape \(describe(dims))")
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
              case .integer(let rawBegin) = offsets[0], case .integer(let rawEnd) = offsets[1],
              rawBegin >= 0, rawEnd >= 0 else {
            throw malformed(file, name, "data_offsets of two non-negative integers, found \((try? field("data_offsets").text) ?? "?")")
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

        var header = JSONWriter()
        header.open()
        header.key("__metadata__")
        header.open()
        let metadata: [(String, String?)] = [
            ("keras_version", checkpoint.kerasVersion), ("backend", checkpoint.backend),
            ("model_config", checkpoint.modelConfig), ("training_config", checkpoint.trainingConfig),
            ("swiftzoo_provenance", checkpoint.provenance),
        ]
        let present = metadata.compactMap { key, value in value.map { (key, $0) } }
        for (key, value) in present.isEmpty ? [("format", "swiftzoo")] : present {
            header.key(key)
            header.string(value)
        }
        header.close()
        var offset = 0
        for tensor in tensors {
            header.key(tensor.name)
            header.open()
            header.key("dtype")
            header.string(code(for: tensor.weight.dtype))
            header.key("shape")
            header.integers(tensor.weight.shape)
            header.key("data_offsets")
            header.integers([offset, offset + tensor.weight.data.count])
            header.close()
            offset += tensor.weight.data.count
        }
        header.close()
        // Pad with spaces so the data starts at a multiple of 8 bytes, as the Rust crate does.
        header.bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.bytes.count % 8) % 8))
        guard UInt64(header.bytes.count) <= maxHeaderSize else {
            throw FormatError.cannotWrite(file: path, reason: "the safetensors header would be \(header.bytes.count) bytes, over the \(maxHeaderSize)-byte limit readers accept")
        }

        try AtomicOutput.write(to: path) { temporary in
            let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw FormatError.io(file: path, reason: "cannot create the temporary output '\(temporary)' (\(String(cString: strerror(errno))))")
            }
            var closed = false
            defer { if !closed { close(fd) } }
            var length = UInt64(header.bytes.count).littleEndian
            try withUnsafeBytes(of: &length) { try writeAll(fd, $0, path: path) }
            try header.bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
            for tensor in tensors {
                try tensor.weight.data.withUnsafeBytes { try writeAll(fd, $0, path: path) }
            }
            closed = true
            guard close(fd) == 0 else {
                throw FormatError.io(file: path, reason: "closing the output failed (\(String(cString: strerror(errno))))")
            }
        }
    }

    private static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        guard var pointer = buffer.baseAddress else { return }
        var remaining = buffer.count
        while remaining > 0 {
            #if canImport(Glibc)
            let written = Glibc.write(fd, pointer, min(remaining, 1 << 30))
            #else
            let written = Darwin.write(fd, pointer, min(remaining, 1 << 30))
            #endif
            if written < 0 {
                if errno == EINTR { continue }
                throw FormatError.io(file: path, reason: "writing the output failed (\(String(cString: strerror(errno))))")
            }
            pointer += written
            remaining -= written
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

    private static func describe(_ values: [JSON]) -> String { JSON.array(values).text }
}

// MARK: - A small strict JSON parser

extension SafetensorsFile {
    /// A parsed JSON value. Integers are kept exact (`integer` when they fit in Int64); any other
    /// number keeps its text. Objects keep their members in order.
    enum JSON {
        case string(String)
        case integer(Int64)
        case number(String)
        case bool(Bool)
        case null
        case array([JSON])
        case object([(key: String, value: JSON)])

        var kindName: String {
            switch self {
            case .string: return "a string"
            case .integer, .number: return "a number"
            case .bool: return "a boolean"
            case .null: return "null"
            case .array: return "an array"
            case .object: return "an object"
            }
        }

        /// A short rendering for error messages.
        var text: String {
            switch self {
            case .string(let value): return "\"\(value.prefix(64))\""
            case .integer(let value): return String(value)
            case .number(let value): return String(value.prefix(64))
            case .bool(let value): return String(value)
            case .null: return "null"
            case .array(let values):
                return "[" + values.prefix(16).map(\.text).joined(separator: ", ") + (values.count > 16 ? ", ..." : "") + "]"
            case .object: return "{...}"
            }
        }
    }

    /// Parses RFC 8259 JSON from bytes, rejecting duplicate object keys, invalid UTF-8 and nesting
    /// deeper than `maxDepth` (so hostile input cannot exhaust the stack).
    struct JSONParser {
        struct Failure: Error {
            let message: String
            let offset: Int
        }

        let bytes: UnsafeRawBufferPointer
        let maxDepth: Int
        var position = 0
        var depth = 0

        init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        /// One value surrounded by optional whitespace, and nothing else.
        mutating func parseDocument() throws -> JSON {
            skipWhitespace()
            let value = try parseValue()
            skipWhitespace()
            guard position == bytes.count else { throw fail("unexpected data after the JSON value") }
            return value
        }

        private func fail(_ message: String) -> Failure { Failure(message: message, offset: position) }

        private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        private mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
        }

        private mutating func expect(_ byte: UInt8, _ what: String) throws {
            guard current == byte else { throw fail("expected \(what)") }
            position += 1
        }

        private mutating func parseValue() throws -> JSON {
            guard let byte = current else { throw fail("unexpected end of the header") }
            switch byte {
            case UInt8(ascii: "{"): return try parseObject()
            case UInt8(ascii: "["): return try parseArray()
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw fail("unexpected character '\(Unicode.Scalar(byte).escaped(asASCII: true))'")
            }
        }

        private mutating func literal(_ word: String) throws {
            for expected in word.utf8 {
                guard current == expected else { throw fail("invalid literal, expected '\(word)'") }
                position += 1
            }
        }

        private mutating func enter() throws {
            depth += 1
            guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth) levels") }
        }

        private mutating func parseObject() throws -> JSON {
            try enter()
            defer { depth -= 1 }
            position += 1
            var members: [(key: String, value: JSON)] = []
            var keys = Set<String>()
            skipWhitespace()
            if current == UInt8(ascii: "}") { position += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let keyStart = position
                let key = try parseString()
                guard keys.insert(key).inserted else {
                    throw Failure(message: "duplicate key '\(key.prefix(200))'", offset: keyStart)
                }
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':'")
                skipWhitespace()
                members.append((key, try parseValue()))
                skipWhitespace()
                if current == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: "}"), "',' or '}'")
                return .object(members)
            }
        }

        private mutating func parseArray() throws -> JSON {
            try enter()
            defer { depth -= 1 }
            position += 1
            var values: [JSON] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") { position += 1; return .array(values) }
            while true {
                skipWhitespace()
                values.append(try parseValue())
                skipWhitespace()
                if current == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: "]"), "',' or ']'")
                return .array(values)
            }
        }

        private mutating func parseString() throws -> String {
            position += 1 // opening quote
            let start = position
            // Fast path: no escapes.
            while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte >= 0x20 { position += 1 }
            var buffer = Array(bytes[start..<position])
            while true {
                guard let byte = current else { throw fail("unterminated string") }
                if byte == UInt8(ascii: "\"") {
                    position += 1
                    guard let text = String(validating: buffer, as: UTF8.self) else {
                        throw Failure(message: "a string that is not valid UTF-8", offset: start)
                    }
                    return text
                }
                if byte < 0x20 { throw fail("control character in a string") }
                if byte != UInt8(ascii: "\\") {
                    buffer.append(byte)
                    position += 1
                    continue
                }
                position += 1
                guard let escape = current else { throw fail("unterminated string") }
                position += 1
                switch escape {
                case UInt8(ascii: "\""): buffer.append(0x22)
                case UInt8(ascii: "\\"): buffer.append(0x5C)
                case UInt8(ascii: "/"): buffer.append(0x2F)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard current == UInt8(ascii: "\\") else { throw fail("unpaired surrogate escape") }
                        position += 1
                        guard current == UInt8(ascii: "u") else { throw fail("unpaired surrogate escape") }
                        position += 1
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("unpaired surrogate escape")
                    }
                    buffer.append(contentsOf: Unicode.Scalar(scalar)!.utf8)
                default:
                    throw fail("invalid escape '\\\(Unicode.Scalar(escape).escaped(asASCII: true))'")
                }
            }
        }

        private mutating func hex4() throws -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = current else { throw fail("unterminated \\u escape") }
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw fail("invalid \\u escape")
                }
                value = value << 4 | digit
                position += 1
            }
            return value
        }

        private mutating func parseNumber() throws -> JSON {
            let start = position
            let negative = current == UInt8(ascii: "-")
            if negative { position += 1 }
            func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
            guard isDigit(current) else { throw fail("invalid number") }
            if current == UInt8(ascii: "0") {
                position += 1
                if isDigit(current) { throw fail("invalid number (leading zero)") }
            } else {
                while isDigit(current) { position += 1 }
            }
            let integerEnd = position
            var integral = true
            if current == UInt8(ascii: ".") {
                integral = false
                position += 1
                guard isDigit(current) else { throw fail("invalid number") }
                while isDigit(current) { position += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                integral = false
                position += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
                guard isDigit(current) else { throw fail("invalid number") }
                while isDigit(current) { position += 1 }
            }
            if integral {
                // Exact: accumulate negatively so Int64.min parses too.
                var value: Int64 = 0
                var fits = true
                for index in (negative ? start + 1 : start)..<integerEnd where fits {
                    let digit = Int64(bytes[index] - UInt8(ascii: "0"))
                    let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                    let (next, o2) = times10.subtractingReportingOverflow(digit)
                    fits = !o1 && !o2
                    value = next
                }
                if fits {
                    if negative { return .integer(value) }
                    if value != Int64.min { return .integer(-value) }
                }
            }
            return .number(String(decoding: bytes[start..<position], as: UTF8.self))
        }
    }

    /// Builds compact JSON text for the header.
    struct JSONWriter {
        var bytes: [UInt8] = []
        private var needsComma = false

        mutating func open() {
            separate()
            bytes.append(UInt8(ascii: "{"))
            needsComma = false
        }

        mutating func close() {
            bytes.append(UInt8(ascii: "}"))
            needsComma = true
        }

        mutating func key(_ key: String) {
            separate()
            append(string: key)
            bytes.append(UInt8(ascii: ":"))
            needsComma = false
        }

        mutating func string(_ value: String) {
            append(string: value)
            needsComma = true
        }

        mutating func integers(_ values: [Int]) {
            bytes.append(UInt8(ascii: "["))
            bytes.append(contentsOf: values.map(String.init).joined(separator: ",").utf8)
            bytes.append(UInt8(ascii: "]"))
            needsComma = true
        }

        private mutating func separate() {
            if needsComma { bytes.append(UInt8(ascii: ",")) }
        }

        private mutating func append(string: String) {
            bytes.append(UInt8(ascii: "\""))
            for byte in string.utf8 {
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                default: bytes.append(byte)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }
}
