/// A parsed JSON value, shared by the safetensors header reader/writer and the Keras config
/// importer.
///
/// Numbers keep their exact source text, so integers of any size stay exact (`int64`,
/// `uint64`) and doubles are rounded once, correctly, by Swift's `Double(_:)` (Foundation's
/// Linux `JSONSerialization` can be off by one ulp, e.g. for 1/255). Objects keep their members
/// in source order.
///
/// Parsing is RFC 8259 strict by default: invalid UTF-8, unpaired surrogate escapes, control
/// characters in strings, leading zeros, duplicate object keys and nesting deeper than
/// `maxDepth` arrays/objects (so hostile input cannot exhaust the stack) are errors.
/// `ParseOptions.python` additionally accepts what Python's `json` module reads: duplicate keys
/// (the last one wins on lookup) and the `NaN`, `Infinity` and `-Infinity` literals.
public indirect enum JSONDocument: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's exact JSON text (`NaN`, `Infinity`, `-Infinity` only with `allowsNonFiniteNumbers`).
    case number(String)
    case string(String)
    case array([JSONDocument])
    case object([(key: String, value: JSONDocument)])

    // MARK: - Parsing

    /// A parse failure: what went wrong and the byte offset into the input where it did.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let message: String
        public let offset: Int

        public init(message: String, offset: Int) {
            self.message = message
            self.offset = offset
        }

        public var description: String { "\(message) at byte \(offset)" }
    }

    public struct ParseOptions: Sendable {
        /// Arrays and objects nested deeper than this are an error.
        public var maxDepth: Int
        /// Accept repeated keys in an object (all are kept; lookups return the last).
        public var allowsDuplicateKeys: Bool
        /// Accept `NaN`, `Infinity` and `-Infinity`, as Python's `json` module writes them.
        public var allowsNonFiniteNumbers: Bool

        public init(maxDepth: Int = 64, allowsDuplicateKeys: Bool = false, allowsNonFiniteNumbers: Bool = false) {
            self.maxDepth = maxDepth
            self.allowsDuplicateKeys = allowsDuplicateKeys
            self.allowsNonFiniteNumbers = allowsNonFiniteNumbers
        }

        /// RFC 8259, no duplicate keys, at most 64 levels.
        public static let strict = ParseOptions()
        /// What Python's `json.loads` accepts, at most 512 levels.
        public static let python = ParseOptions(maxDepth: 512, allowsDuplicateKeys: true, allowsNonFiniteNumbers: true)
    }

    /// Parses one JSON value surrounded by optional whitespace, strictly.
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) throws -> JSONDocument {
        try parse(bytes, options: ParseOptions(maxDepth: maxDepth))
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer, options: ParseOptions) throws -> JSONDocument {
        var parser = Parser(bytes: bytes, options: options)
        return try parser.parseDocument()
    }

    public static func parse(_ text: String, options: ParseOptions = .strict) throws -> JSONDocument {
        var text = text
        return try text.withUTF8 { try parse(UnsafeRawBufferPointer($0), options: options) }
    }

    // MARK: - Accessors

    public var isNull: Bool { if case .null = self { return true } else { return false } }
    public var bool: Bool? { if case .bool(let value) = self { return value } else { return nil } }
    public var string: String? { if case .string(let value) = self { return value } else { return nil } }
    public var array: [JSONDocument]? { if case .array(let value) = self { return value } else { return nil } }
    public var members: [(key: String, value: JSONDocument)]? { if case .object(let value) = self { return value } else { return nil } }

    /// The object's members as a dictionary (for a repeated key, the last value).
    public var dictionary: [String: JSONDocument]? {
        guard case .object(let members) = self else { return nil }
        return Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    /// The value of an object's member `key` (the last, where it repeats); nil for a missing
    /// key or a value that is not an object.
    public subscript(key: String) -> JSONDocument? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    /// A number written as an integer (no fraction or exponent) that fits in Int64.
    public var int64: Int64? { if case .number(let text) = self { return Int64(text) } else { return nil } }
    /// A number written as an integer (no fraction or exponent) that fits in UInt64.
    public var uint64: UInt64? { if case .number(let text) = self { return UInt64(text) } else { return nil } }
    /// A number written as an integer (no fraction or exponent) that fits in Int.
    public var int: Int? { if case .number(let text) = self { return Int(text) } else { return nil } }
    /// The number, correctly rounded to the nearest Double.
    public var double: Double? { if case .number(let text) = self { return Double(text) } else { return nil } }

    /// "a string", "a number", ... for error messages.
    public var kindName: String {
        switch self {
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// A short rendering for error messages (long strings, numbers and arrays are cut).
    public var summary: String {
        switch self {
        case .string(let value): return "\"\(value.prefix(64))\""
        case .number(let value): return String(value.prefix(64))
        case .bool(let value): return String(value)
        case .null: return "null"
        case .array(let values):
            return "[" + values.prefix(16).map(\.summary).joined(separator: ", ") + (values.count > 16 ? ", ..." : "") + "]"
        case .object: return "{...}"
        }
    }

    public static func == (lhs: JSONDocument, rhs: JSONDocument) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    // MARK: - Writing

    /// Compact UTF-8 JSON text (no whitespace; `"`, `\`, and control characters escaped, other
    /// characters written as UTF-8). Numbers are written as their text.
    public func compactBytes() -> [UInt8] {
        var out: [UInt8] = []
        writeCompact(to: &out)
        return out
    }

    private func writeCompact(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .string(let value): Self.writeCompact(string: value, to: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                value.writeCompact(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeCompact(string: member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.value.writeCompact(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeCompact(string: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

// MARK: - Parser

extension JSONDocument {
    private struct Parser {
        let bytes: UnsafeRawBufferPointer
        let options: ParseOptions
        var position = 0
        var depth = 0

        init(bytes: UnsafeRawBufferPointer, options: ParseOptions) {
            self.bytes = bytes
            self.options = options
        }

        mutating func parseDocument() throws -> JSONDocument {
            skipWhitespace()
            let value = try parseValue()
            skipWhitespace()
            guard position == bytes.count else { throw fail("unexpected data after the JSON value") }
            return value
        }

        private func fail(_ message: String) -> ParseError { ParseError(message: message, offset: position) }

        private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        private mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
        }

        private mutating func expect(_ byte: UInt8, _ what: String) throws {
            guard current == byte else { throw fail("expected \(what)") }
            position += 1
        }

        private mutating func parseValue() throws -> JSONDocument {
            guard let byte = current else { throw fail("unexpected end of the JSON text") }
            switch byte {
            case UInt8(ascii: "{"): return try parseObject()
            case UInt8(ascii: "["): return try parseArray()
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "N") where options.allowsNonFiniteNumbers: try literal("NaN"); return .number("NaN")
            case UInt8(ascii: "I") where options.allowsNonFiniteNumbers: try literal("Infinity"); return .number("Infinity")
            case UInt8(ascii: "-") where options.allowsNonFiniteNumbers && position + 1 < bytes.count && bytes[position + 1] == UInt8(ascii: "I"):
                try literal("-Infinity"); return .number("-Infinity")
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
            guard depth <= options.maxDepth else { throw fail("nesting deeper than \(options.maxDepth) levels") }
        }

        private mutating func parseObject() throws -> JSONDocument {
            try enter()
            defer { depth -= 1 }
            position += 1
            var members: [(key: String, value: JSONDocument)] = []
            var keys = Set<String>()
            skipWhitespace()
            if current == UInt8(ascii: "}") { position += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let keyStart = position
                let key = try parseString()
                if !options.allowsDuplicateKeys {
                    guard keys.insert(key).inserted else {
                        throw ParseError(message: "duplicate key '\(key.prefix(200))'", offset: keyStart)
                    }
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

        private mutating func parseArray() throws -> JSONDocument {
            try enter()
            defer { depth -= 1 }
            position += 1
            var values: [JSONDocument] = []
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
                        throw ParseError(message: "a string that is not valid UTF-8", offset: start)
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

        private mutating func parseNumber() throws -> JSONDocument {
            let start = position
            if current == UInt8(ascii: "-") { position += 1 }
            func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
            guard isDigit(current) else { throw fail("invalid number") }
            if current == UInt8(ascii: "0") {
                position += 1
                if isDigit(current) { throw fail("invalid number (leading zero)") }
            } else {
                while isDigit(current) { position += 1 }
            }
            if current == UInt8(ascii: ".") {
                position += 1
                guard isDigit(current) else { throw fail("invalid number") }
                while isDigit(current) { position += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                position += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
                guard isDigit(current) else { throw fail("invalid number") }
                while isDigit(current) { position += 1 }
            }
            return .number(String(decoding: bytes[start..<position], as: UTF8.self))
        }
    }
}
