#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One NumPy array as a `.npy` file holds it: an element type, a shape and the elements in C
/// (row-major) order, little-endian.
///
/// The `.npy` layout (NumPy's `numpy/lib/format.py`, NEP 1): the magic `\x93NUMPY`, a major and a
/// minor version byte (1.0, 2.0 or 3.0), the header length (little-endian u16 for 1.0, u32 for 2.0
/// and 3.0), the header (latin-1 for 1.0 and 2.0, UTF-8 for 3.0): a Python dict literal with
/// exactly the keys `'descr'`, `'fortran_order'` and `'shape'`, padded with spaces and a newline,
/// then the raw elements.
///
/// Reading is strict and never trusts a size before checking it against the bytes present:
/// - element types `<f4 <f8 <f2 <i4 <i8 |u1`; `=` `|` or no byte-order mark mean the reading
///   machine's order, as NumPy reads them, so they are little-endian here (big-endian hosts are
///   handled by swapping); big-endian data (`>f4` ...) is byte-swapped into little-endian storage;
/// - object (`|O`), string (`S`, `U`), void/structured (`V`, a list descr), bool, complex,
///   datetime and other widths are rejected, naming the descr;
/// - `fortran_order: True` is rejected (save with `np.ascontiguousarray`);
/// - shapes must be a tuple of non-negative integers whose element and byte counts fit in `Int`;
/// - the data must be exactly the bytes the shape needs: fewer is a truncated file, more is
///   rejected too (a header that lies about the shape, or several arrays saved one after another
///   into one file, which `np.load` would silently read only the first of);
/// - headers longer than `maxHeaderLength` are rejected.
///
/// Writing produces what `np.save` writes, byte for byte: version 1.0 (2.0 when the header
/// needs more than 65535 bytes), the same header text and padding (64-byte aligned data).
public struct NumpyArray: Sendable, Equatable {
    /// Element type. `bfloat16` has no NumPy descr; `encoded()` widens it exactly to float32.
    public var dtype: DType
    /// Dimensions; `[]` is a 0-d (scalar) array holding one element.
    public var shape: [Int]
    /// The elements, C order, little-endian; exactly `elementCount * dtype.byteSize` bytes.
    public var data: TensorData

    /// The longest header read (NumPy itself refuses more than 10,000 bytes by default).
    static let maxHeaderLength = 1 << 20

    /// An array; `data` must hold exactly the elements of `shape` (a programming error otherwise).
    public init(dtype: DType, shape: [Int], data: TensorData) {
        let bytes = Self.byteCount(shape: shape, dtype: dtype)
        precondition(bytes == data.count, "NumpyArray: shape \(shape) of \(dtype.rawValue) needs \(bytes.map(String.init) ?? "an impossible number of") bytes, data has \(data.count)")
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// A float32 array from values (C order).
    public init(float32 values: [Float], shape: [Int]) {
        self.init(dtype: .float32, shape: shape, data: TensorData(values: values))
    }

    /// Number of elements (1 for a 0-d array).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Bytes `shape` of `dtype` needs, or nil for a negative dimension or an `Int` overflow.
    static func byteCount(shape: [Int], dtype: DType) -> Int? {
        var elements = 1
        for size in shape {
            guard size >= 0 else { return nil }
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow else { return nil }
            elements = product
        }
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        return overflow ? nil : bytes
    }

    // MARK: - Reading

    /// Reads a `.npy` file. The elements are a view into a read-only mapping of the file where
    /// they are aligned and little-endian (nothing is copied), else a copy.
    public static func read(_ path: String) throws -> NumpyArray {
        let file = try MappedFile(path: path)
        return try decode(file.bytes, name: path, owner: file)
    }

    /// Decodes `.npy` bytes (the elements are copied); `name` names them in errors.
    public static func decode(_ bytes: UnsafeRawBufferPointer, name: String) throws -> NumpyArray {
        try decode(bytes, name: name, owner: nil)
    }

    /// Decodes `.npy` bytes; with an `owner` keeping `bytes` alive, aligned little-endian
    /// elements become a view instead of a copy.
    static func decode(_ bytes: UnsafeRawBufferPointer, name: String, owner: (AnyObject & Sendable)?) throws -> NumpyArray {
        let layout = try Layout(bytes, name: name)
        guard case .number(let dtype) = layout.element else {
            throw FormatError.invalid(file: name, location: "npy header", expected: "a numeric array, found the unicode string array '\(layout.descr)' (read it as NumpyStrings)")
        }
        let count = layout.byteCount
        let data: TensorData
        if count == 0 {
            data = TensorData(byteCount: 0) { _ in }
        } else {
            let start = bytes.baseAddress! + layout.dataOffset
            let source = UnsafeRawBufferPointer(start: start, count: count)
            if layout.swapped {
                data = TensorData(byteCount: count) { target in
                    Self.byteSwap(source, into: target, elementSize: dtype.byteSize)
                }
            } else if let owner, Int(bitPattern: start) % dtype.byteSize == 0 {
                data = TensorData(viewing: start, count: count, owner: owner)
            } else {
                data = TensorData(copying: source)
            }
        }
        return NumpyArray(dtype: dtype, shape: layout.shape, data: data)
    }

    private static func byteSwap(_ source: UnsafeRawBufferPointer, into target: UnsafeMutableRawBufferPointer, elementSize: Int) {
        var offset = 0
        while offset < source.count {
            for byte in 0..<elementSize { target[offset + byte] = source[offset + elementSize - 1 - byte] }
            offset += elementSize
        }
    }

    /// The validated layout of `.npy` bytes: where the elements are and what they are.
    struct Layout {
        /// What the elements are: numbers of a `DType`, or fixed-width unicode strings
        /// (`<U{width}`, UTF-32 code units) as NumPy stores `np.array(["a", "b"])`.
        enum Element: Equatable {
            case number(DType)
            case unicode(width: Int)

            var byteSize: Int {
                switch self {
                case .number(let dtype): return dtype.byteSize
                case .unicode(let width): return 4 * width
                }
            }
        }

        var descr: String
        var element: Element
        var shape: [Int]
        /// Whether the stored elements are big-endian (and need swapping).
        var swapped: Bool
        var dataOffset: Int
        var byteCount: Int

        static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

        init(_ bytes: UnsafeRawBufferPointer, name: String) throws {
            func fail(_ expected: String, _ path: String = "npy header") -> FormatError {
                .invalid(file: name, location: path, expected: expected)
            }
            let size = bytes.count
            guard size >= 8, bytes.prefix(6).elementsEqual(Self.magic) else {
                let head = bytes.prefix(8)
                if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
                    throw fail("the NumPy magic \\x93NUMPY at the start of a .npy file, found a zip archive (a .npz holding several arrays; read it as .npz)")
                }
                throw fail("the NumPy magic \\x93NUMPY and a version (8 bytes) at the start of a .npy file, found \(size < 8 ? "a \(size)-byte file" : "bytes") \(Self.hex(head))")
            }
            let major = bytes[6], minor = bytes[7]
            let lengthSize: Int
            switch (major, minor) {
            case (1, 0): lengthSize = 2
            case (2, 0), (3, 0): lengthSize = 4
            default: throw fail("format version 1.0, 2.0 or 3.0, found \(major).\(minor)")
            }
            let prefix = 8 + lengthSize
            guard size >= prefix else {
                throw fail("a \(lengthSize)-byte header length after the version, found a \(size)-byte file")
            }
            var headerLength = 0
            for index in 0..<lengthSize { headerLength |= Int(bytes[8 + index]) << (8 * index) }
            guard headerLength <= size - prefix else {
                throw fail("a header length of at most \(size - prefix) bytes (the file is \(size) bytes), found \(headerLength)")
            }
            guard headerLength <= NumpyArray.maxHeaderLength else {
                throw fail("a header length of at most \(NumpyArray.maxHeaderLength) bytes, found \(headerLength)")
            }
            let header = UnsafeRawBufferPointer(rebasing: bytes[prefix..<(prefix + headerLength)])

            // The dict literal.
            let root: PythonLiteral
            do {
                var parser = PythonLiteral.Parser(bytes: header, utf8: major >= 3, longSuffix: major <= 2)
                root = try parser.parseDocument()
            } catch let error as PythonLiteral.Failure {
                throw fail("a Python dict literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } (\(error.message) at header byte \(error.offset))")
            }
            guard case .dict(let items) = root else {
                throw fail("a Python dict literal as the header, found \(root.kind) \(root.shortRepr)")
            }
            var fields: [String: PythonLiteral] = [:]
            var keys: [String] = []
            for (key, value) in items {
                guard case .string(let text) = key else {
                    throw fail("string keys 'descr', 'fortran_order' and 'shape' in the header dict, found key \(key.shortRepr)")
                }
                if fields.updateValue(value, forKey: text) == nil { keys.append(text) }  // Python: the last value wins
            }
            guard Set(keys) == ["descr", "fortran_order", "shape"] else {
                throw fail("exactly the keys 'descr', 'fortran_order' and 'shape' in the header dict, found \(keys.isEmpty ? "none" : keys.sorted().map { "'\(PythonLiteral.clip($0))'" }.joined(separator: ", "))")
            }

            // descr
            let descrValue = fields["descr"]!
            guard case .string(let descr) = descrValue else {
                if case .list = descrValue {
                    throw fail("a plain element type descr such as '<f4', found a list \(descrValue.shortRepr): structured (record) arrays are not supported")
                }
                throw fail("a descr string such as '<f4', found \(descrValue.kind) \(descrValue.shortRepr)")
            }
            self.descr = descr
            if let width = Self.unicodeWidth(descr) {
                element = .unicode(width: width)
                swapped = descr.hasPrefix(">")
            } else {
                let (dtype, isSwapped) = try Self.elementType(descr, fail: fail)
                element = .number(dtype)
                swapped = isSwapped
            }

            // shape
            let shapeValue = fields["shape"]!
            guard case .tuple(let dims) = shapeValue else {
                throw fail("a shape tuple of non-negative integers such as (2, 3), found \(shapeValue.kind) \(shapeValue.shortRepr)")
            }
            var shape: [Int] = []
            var elements = 1
            for dim in dims {
                guard case .integer(let negative, let digits) = dim, !negative, let value = Int(digits) else {
                    let reason: String
                    if case .integer(true, _) = dim { reason = "a negative dimension" } else if case .integer = dim { reason = "a dimension too large for \(Int.bitWidth) bits" } else { reason = "\(dim.kind) \(dim.shortRepr)" }
                    throw fail("a shape tuple of non-negative integers, found \(reason) in shape \(shapeValue.shortRepr)")
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: value)
                guard !overflow else {
                    throw fail("a shape whose element count fits in \(Int.bitWidth) bits, found \(shapeValue.shortRepr)")
                }
                elements = product
                shape.append(value)
            }
            self.shape = shape
            let (byteCount, overflow) = elements.multipliedReportingOverflow(by: element.byteSize)
            guard !overflow else {
                throw fail("a shape whose byte count fits in \(Int.bitWidth) bits, found \(shapeValue.shortRepr) of '\(descr)'")
            }
            self.byteCount = byteCount

            // fortran_order
            guard case .bool(let fortran) = fields["fortran_order"]! else {
                let value = fields["fortran_order"]!
                throw fail("fortran_order True or False, found \(value.kind) \(value.shortRepr)")
            }
            if fortran {
                throw fail("C-order data (fortran_order False), found fortran_order True: Fortran-order arrays are not supported; save with np.ascontiguousarray")
            }

            // data
            dataOffset = prefix + headerLength
            let available = size - dataOffset
            let shapeText = "shape \(NumpyArray.shapeRepr(shape)) of '\(descr)'"
            guard available >= byteCount else {
                throw fail("\(byteCount) data bytes for \(shapeText), found \(available) (the file is truncated)", "npy data")
            }
            guard available == byteCount else {
                throw fail("exactly \(byteCount) data bytes for \(shapeText), found \(available) (\(available - byteCount) extra bytes after the array)", "npy data")
            }
        }

        /// The width of a unicode string descr (`<U12`, `>U3`, `=U1`), or nil for anything else.
        static func unicodeWidth(_ descr: String) -> Int? {
            var code = Substring(descr)
            if let first = code.first, "<>=|".contains(first) { code = code.dropFirst() }
            guard code.first == "U", let width = Int(code.dropFirst()), width >= 1, width <= 1 << 20 else { return nil }
            return width
        }

        /// The element type and whether it is stored big-endian.
        static func elementType(_ descr: String, fail: (String, String) -> FormatError) throws -> (DType, swapped: Bool) {
            let supported = "an element type '<f4', '<f8', '<f2', '<i4', '<i8' or '|u1' (float32, float64, float16, int32, int64, uint8)"
            var code = Substring(descr)
            var order: Character = "="
            if let first = code.first, "<>=|".contains(first) {
                order = first
                code = code.dropFirst()
            }
            let dtype: DType
            switch code {
            case "f4": dtype = .float32
            case "f8": dtype = .float64
            case "f2": dtype = .float16
            case "i4": dtype = .int32
            case "i8": dtype = .int64
            case "u1": dtype = .uint8
            default:
                let kind: String
                switch code.first {
                case "O": kind = "object arrays (pickled Python objects) are not supported"
                case "U": kind = "unicode string arrays are not supported"
                case "S", "a": kind = "byte string arrays are not supported"
                case "V": kind = "void (raw or structured record) arrays are not supported"
                case "b", "?": kind = code == "b1" || code == "?" ? "bool arrays are not supported; save as uint8" : "this integer width is not supported"
                case "c": kind = "complex arrays are not supported"
                case "M", "m": kind = "datetime arrays are not supported"
                case "f", "i", "u": kind = "this width is not supported"
                default: kind = "not a NumPy element type this reader knows"
                }
                throw fail("\(supported), found '\(PythonLiteral.clip(descr))': \(kind)", "npy header")
            }
            guard dtype.byteSize > 1 else { return (dtype, false) }
            switch order {
            case "<": return (dtype, false)
            case ">": return (dtype, true)
            default:
                // '=', '|' and no mark: the reading machine's order, as np.load treats them.
                #if _endian(little)
                return (dtype, false)
                #else
                return (dtype, true)
                #endif
            }
        }

        static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
            bytes.map { byte in
                let digits = String(byte, radix: 16)
                return "\\x" + (digits.count == 1 ? "0" + digits : digits)
            }.joined()
        }
    }

    // MARK: - Writing

    /// The descr written for `dtype` (bfloat16 is written as float32).
    static func descr(_ dtype: DType) -> String {
        switch dtype {
        case .float32, .bfloat16: return "<f4"
        case .float64: return "<f8"
        case .float16: return "<f2"
        case .int32: return "<i4"
        case .int64: return "<i8"
        case .uint8: return "|u1"
        }
    }

    /// Python's repr of the shape tuple: `()`, `(3,)`, `(2, 3)`.
    static func shapeRepr(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    /// The magic, version, header length and padded header, exactly as `np.save` writes them.
    func headerBytes() -> [UInt8] { Self.headerBytes(descr: Self.descr(dtype), shape: shape) }

    /// The `.npy` header for any element `descr` and `shape`.
    static func headerBytes(descr: String, shape: [Int]) -> [UInt8] {
        var text = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(Self.shapeRepr(shape)), }"
        // NumPy leaves room for the first dimension to grow to 21 digits in place.
        if let first = shape.first { text += String(repeating: " ", count: max(0, 21 - String(first).count)) }
        let body = Array(text.utf8)
        let textLength = body.count + 1  // with the final newline
        var lengthSize = 2
        var padding = 64 - (8 + lengthSize + textLength) % 64
        if textLength + padding > Int(UInt16.max) {
            lengthSize = 4
            padding = 64 - (8 + lengthSize + textLength) % 64
        }
        let headerLength = textLength + padding
        var bytes = Layout.magic + [lengthSize == 2 ? 1 : 2, 0]
        for index in 0..<lengthSize { bytes.append(UInt8(truncatingIfNeeded: headerLength >> (8 * index))) }
        bytes += body
        bytes += [UInt8](repeating: 0x20, count: padding)
        bytes.append(0x0A)
        return bytes
    }

    /// The element bytes as written: the data, or bfloat16 widened to float32.
    func storedData() -> TensorData {
        guard dtype == .bfloat16 else { return data }
        return data.withUnsafeBytes { source in
            TensorData(byteCount: source.count * 2) { target in
                for index in 0..<(source.count / 2) {
                    let bits = UInt32(source.load(fromByteOffset: 2 * index, as: UInt16.self).littleEndian) << 16
                    target.storeBytes(of: bits.littleEndian, toByteOffset: 4 * index, as: UInt32.self)
                }
            }
        }
    }

    /// Checks the invariant `init` establishes (the properties are mutable).
    func validate(file: String) throws {
        guard let bytes = Self.byteCount(shape: shape, dtype: dtype), bytes == data.count else {
            throw FormatError.cannotWrite(file: file, reason: "the array's shape \(shape) of \(dtype.rawValue) does not match its \(data.count) data bytes")
        }
    }

    /// The `.npy` file bytes (version 1.0, or 2.0 when the header needs more than 65535 bytes).
    public func encoded() -> [UInt8] {
        precondition(Self.byteCount(shape: shape, dtype: dtype) == data.count, "NumpyArray: shape \(shape) of \(dtype.rawValue) does not match \(data.count) data bytes")
        var bytes = headerBytes()
        storedData().withUnsafeBytes { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Writes a `.npy` file atomically (a temporary file renamed into place).
    public func write(to path: String) throws {
        try validate(file: path)
        let header = headerBytes()
        let stored = storedData()
        try AtomicOutput.write(to: path) { temporary in
            let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else {
                throw FormatError.io(file: path, reason: "cannot create a temporary file (\(String(cString: strerror(errno))))")
            }
            defer { close(fd) }
            try header.withUnsafeBytes { try writeAll(fd, $0, path: path) }
            try stored.withUnsafeBytes { try writeAll(fd, $0, path: path) }
        }
    }
}

/// Writes all of `bytes` to `fd`, retrying short writes and interruptions; `path` names the
/// file in the error. The one write loop of ZooFormats's outputs.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
    var offset = 0
    while offset < bytes.count {
        let count = write(fd, bytes.baseAddress! + offset, min(bytes.count - offset, 1 << 30))
        if count < 0 {
            if errno == EINTR { continue }
            throw FormatError.io(file: path, reason: "write failed (\(String(cString: strerror(errno))))")
        }
        offset += count
    }
}

// MARK: - The header's Python literal

/// The subset of Python literals a `.npy` header holds, parsed as `ast.literal_eval` would:
/// dicts, tuples, lists, strings ('...' or "...", no escapes), True, False, None and numbers.
indirect enum PythonLiteral {
    case string(String)
    case bool(Bool)
    case none
    /// An integer literal: sign and decimal digits (Python ints are unbounded).
    case integer(negative: Bool, digits: String)
    /// Any other number (`2.5`, `0x10`, `1e3`), kept as written.
    case number(String)
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dict([(PythonLiteral, PythonLiteral)])

    var kind: String {
        switch self {
        case .string: return "a string"
        case .bool: return "a bool"
        case .none: return "None"
        case .integer: return "an integer"
        case .number: return "a number"
        case .tuple: return "a tuple"
        case .list: return "a list"
        case .dict: return "a dict"
        }
    }

    /// Python's repr, roughly.
    var repr: String {
        switch self {
        case .string(let text): return "'\(text)'"
        case .bool(let value): return value ? "True" : "False"
        case .none: return "None"
        case .integer(let negative, let digits): return (negative ? "-" : "") + digits
        case .number(let text): return text
        case .tuple(let items): return items.count == 1 ? "(\(items[0].repr),)" : "(" + items.map(\.repr).joined(separator: ", ") + ")"
        case .list(let items): return "[" + items.map(\.repr).joined(separator: ", ") + "]"
        case .dict(let items): return "{" + items.map { "\($0.0.repr): \($0.1.repr)" }.joined(separator: ", ") + "}"
        }
    }

    /// The repr, clipped for error messages.
    var shortRepr: String { Self.clip(repr) }

    static func clip(_ text: String, limit: Int = 80) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "..."
    }

    struct Failure: Error {
        let message: String
        let offset: Int
    }

    struct Parser {
        let bytes: UnsafeRawBufferPointer
        /// Version 3.0 headers are UTF-8; 1.0 and 2.0 are latin-1.
        let utf8: Bool
        /// Python 2 wrote `3L` for longs; NumPy strips the suffix in 1.0 and 2.0 headers.
        let longSuffix: Bool
        var position = 0
        var depth = 0
        static let maxDepth = 32

        init(bytes: UnsafeRawBufferPointer, utf8: Bool, longSuffix: Bool) {
            self.bytes = bytes
            self.utf8 = utf8
            self.longSuffix = longSuffix
        }

        mutating func parseDocument() throws -> PythonLiteral {
            skipSpace()
            guard position < bytes.count else { throw Failure(message: "empty header", offset: position) }
            let value = try parseValue()
            skipSpace()
            guard position == bytes.count else {
                throw Failure(message: "unexpected \(describe(bytes[position])) after the literal", offset: position)
            }
            return value
        }

        private func describe(_ byte: UInt8) -> String {
            (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte \(NumpyArray.Layout.hex([byte]))"
        }

        private mutating func skipSpace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D, 0x0C: position += 1
                case UInt8(ascii: "#"):
                    while position < bytes.count, bytes[position] != 0x0A { position += 1 }
                default: return
                }
            }
        }

        private mutating func parseValue() throws -> PythonLiteral {
            guard position < bytes.count else { throw Failure(message: "unexpected end of the header", offset: position) }
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "{"): return try parseContainer(close: UInt8(ascii: "}"))
            case UInt8(ascii: "("): return try parseContainer(close: UInt8(ascii: ")"))
            case UInt8(ascii: "["): return try parseContainer(close: UInt8(ascii: "]"))
            case UInt8(ascii: "'"), UInt8(ascii: "\""): return try parseString()
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
                return try parseNumber()
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "_"):
                let start = position
                while position < bytes.count, Self.isWordByte(bytes[position]) { position += 1 }
                let word = String(decoding: bytes[start..<position], as: UTF8.self)
                switch word {
                case "True": return .bool(true)
                case "False": return .bool(false)
                case "None": return .none
                default: throw Failure(message: "unexpected name '\(PythonLiteral.clip(word, limit: 40))'", offset: start)
                }
            default:
                throw Failure(message: "unexpected \(describe(byte))", offset: position)
            }
        }

        private static func isWordByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                return true
            default:
                return false
            }
        }

        /// A dict, tuple (or parenthesized value) or list.
        private mutating func parseContainer(close: UInt8) throws -> PythonLiteral {
            let open = position
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maxDepth else { throw Failure(message: "nesting deeper than \(Self.maxDepth) levels", offset: position) }
            position += 1
            let isDict = close == UInt8(ascii: "}")
            var items: [PythonLiteral] = []
            var pairs: [(PythonLiteral, PythonLiteral)] = []
            var sawComma = false
            while true {
                skipSpace()
                guard position < bytes.count else {
                    throw Failure(message: "unterminated \(isDict ? "dict" : close == UInt8(ascii: ")") ? "tuple" : "list") opened at header byte \(open)", offset: position)
                }
                if bytes[position] == close {
                    position += 1
                    break
                }
                let value = try parseValue()
                skipSpace()
                if isDict {
                    guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                        throw Failure(message: "expected ':' after a dict key", offset: position)
                    }
                    position += 1
                    skipSpace()
                    pairs.append((value, try parseValue()))
                    skipSpace()
                } else {
                    items.append(value)
                }
                guard position < bytes.count else { continue }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    sawComma = true
                } else if bytes[position] != close {
                    throw Failure(message: "expected ',' or '\(Character(Unicode.Scalar(close)))', found \(describe(bytes[position]))", offset: position)
                }
            }
            switch close {
            case UInt8(ascii: "}"): return .dict(pairs)
            case UInt8(ascii: "]"): return .list(items)
            default: return items.count == 1 && !sawComma ? items[0] : .tuple(items)  // (3) is 3, (3,) a tuple
            }
        }

        private mutating func parseString() throws -> PythonLiteral {
            let quote = bytes[position]
            let start = position + 1
            position = start
            while position < bytes.count, bytes[position] != quote {
                switch bytes[position] {
                case UInt8(ascii: "\\"): throw Failure(message: "escape sequences in strings are not supported", offset: position)
                case 0x0A, 0x0D: throw Failure(message: "unterminated string", offset: position)
                default: position += 1
                }
            }
            guard position < bytes.count else { throw Failure(message: "unterminated string", offset: start - 1) }
            let content = bytes[start..<position]
            position += 1
            if utf8 {
                guard let text = String(validating: content, as: UTF8.self) else {
                    throw Failure(message: "a string that is not valid UTF-8", offset: start)
                }
                return .string(text)
            }
            return .string(String(String.UnicodeScalarView(content.map { Unicode.Scalar($0) })))
        }

        private mutating func parseNumber() throws -> PythonLiteral {
            let start = position
            var negative = false
            if bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+") {
                negative = bytes[position] == UInt8(ascii: "-")
                position += 1
                skipSpace()  // Python allows "- 3"
            }
            let bodyStart = position
            while position < bytes.count {
                let byte = bytes[position]
                if Self.isWordByte(byte) || byte == UInt8(ascii: ".") {
                    position += 1
                } else if (byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")) && position > bodyStart
                            && (bytes[position - 1] | 0x20) == UInt8(ascii: "e") {
                    position += 1  // an exponent sign, as in 1e-5
                } else {
                    break
                }
            }
            var body = String(decoding: bytes[bodyStart..<position], as: UTF8.self)
            guard !body.isEmpty else { throw Failure(message: "a number after the sign", offset: position) }
            if longSuffix, body.count > 1, body.last == "L" || body.last == "l" { body.removeLast() }
            if body.allSatisfy({ $0.isASCII && $0.isNumber }) {
                // Python 3 rejects leading zeros ("007"); NumPy-written headers never have them.
                let trimmed = body.drop(while: { $0 == "0" })
                return .integer(negative: negative && !trimmed.isEmpty, digits: trimmed.isEmpty ? "0" : String(trimmed))
            }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            return .number(PythonLiteral.clip(text, limit: 40))
        }
    }
}
