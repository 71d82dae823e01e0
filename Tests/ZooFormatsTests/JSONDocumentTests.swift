import Foundation
import Testing
import ZooFormats

@Suite struct JSONDocumentTests {
    private func parse(_ text: String, options: JSONDocument.ParseOptions = .strict) throws -> JSONDocument {
        try JSONDocument.parse(text, options: options)
    }

    private func bytes(_ bytes: [UInt8], maxDepth: Int = 64) throws -> JSONDocument {
        try bytes.withUnsafeBytes { try JSONDocument.parse($0, maxDepth: maxDepth) }
    }

    /// The error parsing `text` throws, or nil (recording an issue) when it parses.
    private func failure(_ text: String, options: JSONDocument.ParseOptions = .strict) -> JSONDocument.ParseError? {
        do {
            let value = try parse(text, options: options)
            Issue.record("parsed \(text.prefix(80)) as \(value.summary)")
        } catch let error as JSONDocument.ParseError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return nil
    }

    // MARK: - Numbers

    @Test func numbersKeepTheirExactText() throws {
        let value = try parse("[0.00392156862745098, 1e-05, -0, 1E+3, 2.50]")
        #expect(value == .array([.number("0.00392156862745098"), .number("1e-05"), .number("-0"), .number("1E+3"), .number("2.50")]))
        // Correctly rounded once: 1/255 as Python's repr writes it round-trips.
        #expect(value.array?[0].double == 1.0 / 255.0)
        #expect(value.array?[1].double == 1e-5)
    }

    @Test func integersAreExactUpToUInt64() throws {
        let value = try parse("[9223372036854775807, -9223372036854775808, 18446744073709551615, 18446744073709551616, 3.0, 1e2]")
        let items = try #require(value.array)
        #expect(items[0].int64 == .max)
        #expect(items[1].int64 == .min)
        #expect(items[2].int64 == nil)
        #expect(items[2].uint64 == .max)
        #expect(items[3].uint64 == nil)
        #expect(items[3] == .number("18446744073709551616"))
        // Only integer syntax is an integer.
        #expect(items[4].int == nil && items[4].double == 3)
        #expect(items[5].int == nil && items[5].double == 100)
        #expect(items[1].uint64 == nil)
    }

    @Test func malformedNumbers() {
        #expect(failure("01")?.message == "invalid number (leading zero)")
        #expect(failure("[1.]") == JSONDocument.ParseError(message: "invalid number", offset: 3))
        #expect(failure("-") == JSONDocument.ParseError(message: "invalid number", offset: 1))
        #expect(failure("1e") == JSONDocument.ParseError(message: "invalid number", offset: 2))
        #expect(failure("+1") == JSONDocument.ParseError(message: "unexpected character '+'", offset: 0))
        #expect(failure(".5")?.offset == 0)
    }

    @Test func nonFiniteLiteralsOnlyWithPythonOptions() throws {
        #expect(failure("NaN")?.message == "unexpected character 'N'")
        #expect(failure("[-Infinity]") == JSONDocument.ParseError(message: "invalid number", offset: 2))
        let value = try parse("[NaN, Infinity, -Infinity, -1]", options: .python)
        #expect(value == .array([.number("NaN"), .number("Infinity"), .number("-Infinity"), .number("-1")]))
        #expect(value.array?[0].double?.isNaN == true)
        #expect(value.array?[1].double == .infinity)
        #expect(value.array?[2].double == -.infinity)
        #expect(failure("[Infinit]", options: .python) == JSONDocument.ParseError(message: "invalid literal, expected 'Infinity'", offset: 8))
    }

    // MARK: - Strings

    @Test func escapesIncludingSurrogatePairs() throws {
        let value = try parse(#"["\"\\\/\b\f\n\r\t", "\u00e9\u00E9", "\ud83d\ude00", "é😀", "a\u0000b"]"#)
        #expect(value == .array([.string("\"\\/\u{08}\u{0C}\n\r\t"), .string("éé"), .string("😀"), .string("é😀"), .string("a\u{0}b")]))
    }

    @Test func malformedStrings() throws {
        #expect(failure(#""\ud800""#) == JSONDocument.ParseError(message: "unpaired surrogate escape", offset: 7))
        #expect(failure(#""\ud800\u0041""#) == JSONDocument.ParseError(message: "unpaired surrogate escape", offset: 13))
        #expect(failure(#""\udc00""#)?.message == "unpaired surrogate escape")
        #expect(failure(#""\x""#) == JSONDocument.ParseError(message: "invalid escape '\\x'", offset: 3))
        #expect(failure(#""\u12g4""#) == JSONDocument.ParseError(message: "invalid \\u escape", offset: 5))
        #expect(failure("\"a\u{01}\"") == JSONDocument.ParseError(message: "control character in a string", offset: 2))
        #expect(failure(#""abc"#) == JSONDocument.ParseError(message: "unterminated string", offset: 4))
        do {
            _ = try bytes(Array(#"{"a"#.utf8) + [0xFF] + Array(#"":1}"#.utf8))
            Issue.record("parsed invalid UTF-8")
        } catch let error as JSONDocument.ParseError {
            #expect(error == JSONDocument.ParseError(message: "a string that is not valid UTF-8", offset: 2))
        }
    }

    // MARK: - Objects

    @Test func objectsKeepOrderAndLookUpByKey() throws {
        let value = try parse(#" {"b": 1, "a": {"x": [true, false, null]}} "#)
        #expect(value.members?.map { $0.key } == ["b", "a"])
        #expect(value["b"]?.int == 1)
        #expect(value["a"]?["x"]?.array == [.bool(true), .bool(false), .null])
        #expect(value["missing"] == nil)
        #expect(value["b"]?["x"] == nil)
        #expect(value.dictionary?.keys.sorted() == ["a", "b"])
        #expect(value.kindName == "an object")
    }

    @Test func duplicateKeys() throws {
        #expect(failure(#"{"a": 1, "b": 2, "a": 3}"#) == JSONDocument.ParseError(message: "duplicate key 'a'", offset: 17))
        // Python's json keeps the last.
        let value = try parse(#"{"a": 1, "a": 3}"#, options: .python)
        #expect(value.members?.count == 2)
        #expect(value["a"]?.int == 3)
        #expect(value.dictionary?["a"]?.int == 3)
    }

    // MARK: - Depth

    @Test func nestingDepthIsCapped() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try parse(ok)
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(failure(deep) == JSONDocument.ParseError(message: "nesting deeper than 64 levels", offset: 64))
        let mixed = String(repeating: #"{"a":["#, count: 3) + "1" + String(repeating: "]}", count: 3)
        #expect(throws: JSONDocument.ParseError(message: "nesting deeper than 5 levels", offset: 17)) {
            try bytes(Array(mixed.utf8), maxDepth: 5)
        }
        // Hostile depth fails fast instead of exhausting the stack.
        let hostile = String(repeating: "[", count: 200_000)
        #expect(failure(hostile, options: .python)?.message == "nesting deeper than 512 levels")
    }

    // MARK: - Malformed documents

    @Test func malformedDocumentsReportMessageAndOffset() {
        let cases: [(String, String, Int)] = [
            ("", "unexpected end of the JSON text", 0),
            ("   ", "unexpected end of the JSON text", 3),
            ("{not json}", "expected a string key", 1),
            (#"{"a" 1}"#, "expected ':'", 5),
            (#"{"a": 1 "b": 2}"#, "expected ',' or '}'", 8),
            ("[1, 2", "expected ',' or ']'", 5),
            ("[1,]", "unexpected character ']'", 3),
            ("{} {}", "unexpected data after the JSON value", 3),
            ("tru", "invalid literal, expected 'true'", 3),
            ("nul", "invalid literal, expected 'null'", 3),
            ("\u{01}", "unexpected character '\\u{01}'", 0),
        ]
        for (text, message, offset) in cases {
            #expect(failure(text) == JSONDocument.ParseError(message: message, offset: offset), "\(text)")
        }
        #expect("\(JSONDocument.ParseError(message: "expected ':'", offset: 5))" == "expected ':' at byte 5")
    }

    // MARK: - Writing

    @Test func compactWriterRoundTrips() throws {
        let value: JSONDocument = .object([
            ("__metadata__", .object([("format", .string("pt")), ("note", .string("a\"b\\c\n\r\t\u{01}é😀/"))])),
            ("w", .object([("shape", .array([.number("1"), .number("2")])), ("flag", .bool(true)), ("none", .null), ("empty", .array([])), ("obj", .object([]))])),
        ])
        let text = String(decoding: value.compactBytes(), as: UTF8.self)
        #expect(text == #"{"__metadata__":{"format":"pt","note":"a\"b\\c\n\r\t\u0001é😀/"},"w":{"shape":[1,2],"flag":true,"none":null,"empty":[],"obj":{}}}"#)
        #expect(try parse(text) == value)
    }

    @Test func summaryCutsLongValues() throws {
        let long = JSONDocument.array((0..<20).map { .number(String($0)) })
        #expect(long.summary == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, ...]")
        #expect(JSONDocument.string(String(repeating: "x", count: 100)).summary == "\"" + String(repeating: "x", count: 64) + "\"")
        #expect(JSONDocument.object([]).summary == "{...}")
    }
}
