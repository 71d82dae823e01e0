import Foundation
import Testing
@testable import ZooFormats

@Suite struct NumpyStringsTests {
    /// `np.save(f, np.array(['cat', 'dög', 'a/b c.jpg']))`, byte for byte.
    static let numpyBytes = hexBytes("934e554d5059010076007b276465736372273a20273c5539272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a63000000610000007400000000000000000000000000000000000000000000000000000064000000f600000067000000000000000000000000000000000000000000000000000000610000002f0000006200000020000000630000002e0000006a0000007000000067000000")

    @Test func encodesExactlyAsNumPy() {
        #expect(NumpyStrings(["cat", "dög", "a/b c.jpg"]).encoded() == Self.numpyBytes)
    }

    @Test func decodesNumPyBytes() throws {
        let strings = try Self.numpyBytes.withUnsafeBytes { try NumpyStrings.decode($0, name: "names.npy") }
        #expect(strings.values == ["cat", "dög", "a/b c.jpg"])
        let empty = NumpyStrings([]).encoded()
        #expect(try empty.withUnsafeBytes { try NumpyStrings.decode($0, name: "e.npy") }.values == [])
    }

    @Test func numericReaderRefusesStringsWithAPointer() {
        #expect(throws: FormatError.self) { try Self.numpyBytes.withUnsafeBytes { try NumpyArray.decode($0, name: "names.npy") } }
        let floats = NumpyArray(float32: [1, 2], shape: [2]).encoded()
        #expect(throws: FormatError.self) { try floats.withUnsafeBytes { try NumpyStrings.decode($0, name: "x.npy") } }
    }

    @Test func archiveKeepsStringsBesideArrays() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("strings-\(UUID().uuidString).npz").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try NumpyArchive.write([("x", NumpyArray(float32: [1, 2, 3, 4], shape: [2, 2]))],
                               strings: [("class_names", NumpyStrings(["cats", "dogs"])), ("paths", NumpyStrings(["cats/1.jpg", "dogs/é.png"]))], to: path)
        let contents = try NumpyArchive.contents(path)
        #expect(contents.array("x")?.shape == [2, 2])
        #expect(contents.strings("class_names") == ["cats", "dogs"])
        #expect(contents.strings("paths") == ["cats/1.jpg", "dogs/é.png"])
        #expect(try NumpyArchive.read(path).map(\.name) == ["x"], "read returns the numeric arrays only")
        #expect(throws: FormatError.self) {
            try NumpyArchive.write([("x", NumpyArray(float32: [1], shape: [1]))], strings: [("x", NumpyStrings(["a"]))], to: path)
        }
    }
}

private func hexBytes(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index..<next], radix: 16) ?? 0)
        index = next
    }
    return bytes
}
