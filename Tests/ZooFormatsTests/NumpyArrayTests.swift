import Foundation
import Testing
@testable import ZooFormats

// MARK: - Fixtures

/// Files written by NumPy 2.4.6 (`np.save`, `np.lib.format.write_array`, `np.savez`,
/// `np.savez_compressed`), embedded so the tests need no Python:
///
///     f32       np.arange(24, dtype=np.float32).reshape(2, 3, 4) / np.float32(7) - np.float32(1)
///     f64       np.array([np.pi, -0.0, np.inf, 5e-324, -1e300, np.nan]).reshape(3, 2)
///     f16       np.array([1, -2.5, 65504, 6e-8, np.inf], dtype=np.float16)
///     i64       np.array([[-2**63, -1], [0, 2**63 - 1]], dtype=np.int64)
///     u8        np.array([0, 1, 127, 128, 255], dtype=np.uint8)
///     i32scalar np.array(-123456, dtype=np.int32)                          (0-d)
///     empty     np.zeros((0, 3), dtype=np.float32)
///     v2        write_array(f, np.array([1, 2, 3], dtype=np.float32), version=(2, 0))
///     fortran   np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))
///     bigendian np.array([1.5, -2.0, 3.0e38, 1e-45], dtype='>f4').reshape(2, 2)
///     savez     np.savez(f, x=x, y=y) and savezc: np.savez_compressed(f, x=x, y=y), with
///               x = np.array([[0.25, -0.5], [1e-3, 7]], dtype=np.float32)
///               y = np.array([10, -20, 30], dtype=np.int64)
///     runaway   a zip whose one deflated member 'x.npy' is a stored deflate block claiming
///               65535 bytes, running past the end of the file (ZIPFoundation 0.9.20 spins on it)
private enum NpyFixtures {
    static let f32 = base64("""
        k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMsIDQpLCB9ICAgICAg
        ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIC/t21bv27bNr8kSRK/tm3bviRJkr4kSRK+
        AAAAAChJEj4kSZI+uG3bPiRJEj9u2zY/tm1bPwAAgD8kSZI/SpKkP27btj+SJMk/tm3bP9y27T8AAABAkiQJQCVJEkA=
        """)
    static let f64 = base64("""
        k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsIDIpLCB9ICAgICAgICAg
        ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoYLURU+yEJQAAAAAAAAACAAAAAAAAA8H8BAAAA
        AAAAAJx1AIg85Df+AAAAAAAA+H8=
        """)
    static let f16 = base64("""
        k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDUsKSwgfSAgICAgICAgICAg
        ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAPADB/3sBAAB8
        """)
    static let i64 = base64("""
        k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAg
        ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAgP//////////AAAAAAAAAAD/////
        ////fw==
        """)
    static let u8 = base64("""
        k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDUsKSwgfSAgICAgICAgICAg
        ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAX+A/w==
        """)
    static let i32scalar = base64("""
        k05VTVBZAQB2AHsnZGVzY3InOiAnPGk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAg
        ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIArAHf7/
        """)
    static let empty = base64("""
        k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDAsIDMpLCB9ICAgICAgICAg
        ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo=
        """)
    static let v2 = base64("""
        k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywpLCB9ICAgICAgICAg
        ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIA/AAAAQAAAQEA=
        """)
    static let fortran = base64("""
        k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAg
        ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAABAQAAAgD8AAIBAAAAAQAAAoEA=
        """)
    static let bigendian = base64("""
        k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAg
        ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/wAAAwAAAAH9hseYAAAAB
        """)
    static let savez = base64("""
        UEsDBC0AAAAAAAAAIQCj7pBZ//////////8FABQAeC5ucHkBABAAkAAAAAAAAACQAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxm
        NCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCAyKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg
        ICAgICAgICAgICAgICAgICAgICAgICAgICAKAACAPgAAAL9vEoM6AADgQFBLAwQtAAAAAAAAACEA5QLZPP//////////BQAUAHkubnB5
        AQAQAJgAAAAAAAAAmAAAAAAAAACTTlVNUFkBAHYAeydkZXNjcic6ICc8aTgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUn
        OiAoMywpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgCgoAAAAAAAAA
        7P////////8eAAAAAAAAAFBLAQItAy0AAAAAAAAAIQCj7pBZkAAAAJAAAAAFAAAAAAAAAAAAAACAAQAAAAB4Lm5weVBLAQItAy0AAAAA
        AAAAIQDlAtk8mAAAAJgAAAAFAAAAAAAAAAAAAACAAccAAAB5Lm5weVBLBQYAAAAAAgACAGYAAACWAQAAAAA=
        """)
    static let savezc = base64("""
        UEsDBC0AAAAIAAAAIQCj7pBZ//////////8FABQAeC5ucHkBABAAkAAAAAAAAABWAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6T
        ZqKuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GkY6CkaaOgq1CmQDLgaGBjsGBob9+ULNVgwMDxwAUEsDBC0AAAAIAAAAIQDl
        Atk8//////////8FABQAeS5ucHkBABAAmAAAAAAAAABOAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TaaGuo6Cell9UUpSYF59f
        lJIKEndLzClOBYoXZyQWpAL5GsY6mjoKtQoUAC4uBgh48x8C5KB8AFBLAQItAy0AAAAIAAAAIQCj7pBZVgAAAJAAAAAFAAAAAAAAAAAA
        AACAAQAAAAB4Lm5weVBLAQItAy0AAAAIAAAAIQDlAtk8TgAAAJgAAAAFAAAAAAAAAAAAAACAAY0AAAB5Lm5weVBLBQYAAAAAAgACAGYA
        AAASAQAAAAA=
        """)
    static let runaway = base64("""
        UEsDBBQAAAAIAHh/d11FprXZCAAAAAgAAAAFAAAAeC5ucHkA//8AAGFiY1BLAQIUAxQAAAAIAHh/d11FprXZCAAAAAgAAAAFAAAAAAAA
        AAAAAACAAQAAAAB4Lm5weVBLBQYAAAAAAQABADMAAAArAAAAAAA=
        """)

    static func base64(_ text: String) -> [UInt8] {
        [UInt8](Data(base64Encoded: text, options: .ignoreUnknownCharacters)!)
    }
}

// MARK: - Helpers

private func decode(_ bytes: [UInt8], name: String = "test.npy") throws -> NumpyArray {
    try bytes.withUnsafeBytes { try NumpyArray.decode($0, name: name) }
}

/// `.npy` bytes from parts: the header text as given (no padding added), a version, and the
/// declared header length (the real one unless given).
private func npy(_ header: String, _ data: [UInt8] = [], version: (UInt8, UInt8) = (1, 0), declaredLength: Int? = nil) -> [UInt8] {
    let text = Array(header.utf8)
    let length = declaredLength ?? text.count
    let lengthSize = version.0 == 1 ? 2 : 4
    return [0x93] + Array("NUMPY".utf8) + [version.0, version.1]
        + (0..<lengthSize).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } + text + data
}

private func floatBytes(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }

/// Expects decoding `bytes` to fail with a FormatError naming the file and containing `phrases`.
private func expectRejected(_ bytes: [UInt8], _ phrases: String..., name: String = "hostile.npy",
                            sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let array = try decode(bytes, name: name)
        Issue.record("decoded \(array.dtype) \(array.shape) instead of failing", sourceLocation: sourceLocation)
    } catch let error as FormatError {
        let text = error.description
        #expect(text.hasPrefix(name + ":"), "\(text)", sourceLocation: sourceLocation)
        for phrase in phrases { #expect(text.contains(phrase), "\(text)", sourceLocation: sourceLocation) }
    } catch {
        Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
    }
}

private func expectArchiveRejected(_ bytes: [UInt8], _ phrases: String..., sourceLocation: SourceLocation = #_sourceLocation) throws {
    let directory = TemporaryDirectory()
    let path = directory.file("hostile.npz")
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    do {
        let arrays = try NumpyArchive.read(path)
        Issue.record("read \(arrays.count) arrays instead of failing", sourceLocation: sourceLocation)
    } catch let error as FormatError {
        let text = error.description
        #expect(text.hasPrefix(path), "\(text)", sourceLocation: sourceLocation)
        for phrase in phrases { #expect(text.contains(phrase), "\(text)", sourceLocation: sourceLocation) }
    }
}

/// A zip of stored members built by hand, for the layouts NumPy's writer does not produce:
/// zip64 records (as a > 4 GiB archive has), a comment, and broken variants.
private struct ZipBuilder {
    struct Member { var name: String; var data: [UInt8]; var flags: UInt16 = 0; var method: UInt16 = 0; var localName: String? = nil; var declaredSize: Int? = nil }
    var members: [Member]
    var zip64 = false
    var comment = ""
    var diskNumber: UInt16 = 0
    var declaredEntries: Int? = nil

    private static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }

    var bytes: [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for member in members {
            let offset = out.count
            let crc = member.data.withUnsafeBytes { ZipCRC32.checksum($0) }
            let name = Array(member.name.utf8), localName = Array((member.localName ?? member.name).utf8)
            let size32: UInt32 = zip64 ? 0xFFFF_FFFF : UInt32(member.data.count)
            let uncompressed = member.declaredSize ?? member.data.count
            let usize32: UInt32 = zip64 ? 0xFFFF_FFFF : UInt32(uncompressed)
            let localExtra = zip64 ? Self.le(UInt16(1)) + Self.le(UInt16(16)) + Self.le(UInt64(uncompressed)) + Self.le(UInt64(member.data.count)) : []
            out += Self.le(UInt32(0x0403_4B50)) + Self.le(UInt16(45)) + Self.le(member.flags) + Self.le(member.method)
            out += Self.le(UInt16(0)) + Self.le(UInt16(0x21)) + Self.le(crc) + Self.le(size32) + Self.le(usize32)
            out += Self.le(UInt16(localName.count)) + Self.le(UInt16(localExtra.count)) + localName + localExtra + member.data
            let centralExtra = zip64 ? Self.le(UInt16(1)) + Self.le(UInt16(24)) + Self.le(UInt64(uncompressed)) + Self.le(UInt64(member.data.count)) + Self.le(UInt64(offset)) : []
            central += Self.le(UInt32(0x0201_4B50)) + Self.le(UInt16(45)) + Self.le(UInt16(45)) + Self.le(member.flags) + Self.le(member.method)
            central += Self.le(UInt16(0)) + Self.le(UInt16(0x21)) + Self.le(crc) + Self.le(size32) + Self.le(usize32)
            central += Self.le(UInt16(name.count)) + Self.le(UInt16(centralExtra.count)) + Self.le(UInt16(0)) + Self.le(UInt16(0))
            central += Self.le(UInt16(0)) + Self.le(UInt32(0o100644) << 16) + Self.le(zip64 ? 0xFFFF_FFFF : UInt32(offset)) + name + centralExtra
        }
        let centralOffset = out.count
        out += central
        let entries = declaredEntries ?? members.count
        if zip64 {
            let record = out.count
            out += Self.le(UInt32(0x0606_4B50)) + Self.le(UInt64(44)) + Self.le(UInt16(45)) + Self.le(UInt16(45))
            out += Self.le(UInt32(diskNumber)) + Self.le(UInt32(0)) + Self.le(UInt64(entries)) + Self.le(UInt64(entries))
            out += Self.le(UInt64(central.count)) + Self.le(UInt64(centralOffset))
            out += Self.le(UInt32(0x0706_4B50)) + Self.le(UInt32(0)) + Self.le(UInt64(record)) + Self.le(UInt32(1))
        }
        out += Self.le(UInt32(0x0605_4B50)) + Self.le(zip64 ? 0xFFFF : diskNumber) + Self.le(UInt16(0))
        out += Self.le(UInt16(zip64 ? 0xFFFF : entries)) + Self.le(UInt16(zip64 ? 0xFFFF : entries))
        out += Self.le(zip64 ? 0xFFFF_FFFF : UInt32(central.count)) + Self.le(zip64 ? 0xFFFF_FFFF : UInt32(centralOffset))
        out += Self.le(UInt16(comment.utf8.count)) + Array(comment.utf8)
        return out
    }
}

private func readArchive(_ bytes: [UInt8]) throws -> [(name: String, array: NumpyArray)] {
    let directory = TemporaryDirectory()
    let path = directory.file("built.npz")
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return try NumpyArchive.read(path)
}

private let f32Values: [Float] = (0..<24).map { Float($0) / 7 - 1 }

// MARK: - Reading NumPy's files

@Suite struct NumpyArrayTests {
    @Test func readsFloat32() throws {
        let array = try decode(NpyFixtures.f32)
        #expect(array.dtype == .float32)
        #expect(array.shape == [2, 3, 4])
        #expect(array.elementCount == 24)
        #expect(array.data.array(of: Float.self).map(\.bitPattern) == f32Values.map(\.bitPattern))
    }

    @Test func readsFloat64BitExact() throws {
        let array = try decode(NpyFixtures.f64)
        #expect(array.dtype == .float64)
        #expect(array.shape == [3, 2])
        #expect(array.data.array(of: UInt64.self) == [0x4009_21FB_5444_2D18, 0x8000_0000_0000_0000, 0x7FF0_0000_0000_0000,
                                                      0x1, 0xFE37_E43C_8800_759C, 0x7FF8_0000_0000_0000])
        #expect(array.data.array(of: Double.self)[0] == Double.pi)
    }

    @Test func readsFloat16Bits() throws {
        let array = try decode(NpyFixtures.f16)
        #expect(array.dtype == .float16)
        #expect(array.shape == [5])
        #expect(array.data.array(of: UInt16.self) == [0x3C00, 0xC100, 0x7BFF, 0x0001, 0x7C00])
    }

    @Test func readsIntegers() throws {
        let int64 = try decode(NpyFixtures.i64)
        #expect(int64.dtype == .int64 && int64.shape == [2, 2])
        #expect(int64.data.array(of: Int64.self) == [.min, -1, 0, .max])
        let uint8 = try decode(NpyFixtures.u8)
        #expect(uint8.dtype == .uint8 && uint8.shape == [5])
        #expect(uint8.data.array(of: UInt8.self) == [0, 1, 127, 128, 255])
    }

    @Test func readsScalarAndEmpty() throws {
        let scalar = try decode(NpyFixtures.i32scalar)
        #expect(scalar.dtype == .int32)
        #expect(scalar.shape == [])
        #expect(scalar.elementCount == 1)
        #expect(scalar.data.array(of: Int32.self) == [-123456])
        let empty = try decode(NpyFixtures.empty)
        #expect(empty.dtype == .float32)
        #expect(empty.shape == [0, 3])
        #expect(empty.elementCount == 0)
        #expect(empty.data.count == 0)
    }

    @Test func readsVersion2() throws {
        #expect(NpyFixtures.v2[6] == 2)
        let array = try decode(NpyFixtures.v2)
        #expect(array.shape == [3])
        #expect(array.data.array(of: Float.self) == [1, 2, 3])
    }

    @Test func readsVersion3WithUTF8Header() throws {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n"
        let array = try decode(npy(header, floatBytes([0.5, -1]), version: (3, 0)))
        #expect(array.shape == [2])
        #expect(array.data.array(of: Float.self) == [0.5, -1])
        // Non-ASCII in a version 3.0 header is UTF-8; here it makes the descr unknown.
        expectRejected(npy("{'descr': '<f4\u{00E9}', 'fortran_order': False, 'shape': (2,), }\n", floatBytes([0.5, -1]), version: (3, 0)),
                       "'<f4\u{00E9}'")
    }

    @Test func swapsBigEndian() throws {
        let array = try decode(NpyFixtures.bigendian)
        #expect(array.dtype == .float32)
        #expect(array.shape == [2, 2])
        #expect(array.data.array(of: UInt32.self) == [0x3FC0_0000, 0xC000_0000, 0x7F61_B1E6, 0x0000_0001])
        let int64 = try decode(npy("{'descr': '>i8', 'fortran_order': False, 'shape': (1,), }", [0x01, 2, 3, 4, 5, 6, 7, 0x88]))
        #expect(int64.data.array(of: UInt64.self) == [0x0102_0304_0506_0788])
    }

    @Test func rejectsFortranOrder() {
        expectRejected(NpyFixtures.fortran, "fortran_order True",
                       "Fortran-order arrays are not supported; save with np.ascontiguousarray", name: "inputs/fortran.npy")
    }

    @Test func acceptsEveryHeaderSpellingNumPyAccepts() throws {
        let data = floatBytes([1, 2, 3])
        for header in [
            "{'descr': '=f4', 'fortran_order': False, 'shape': (3,), }",  // native order: little-endian here
            "{'descr': '|f4', 'fortran_order': False, 'shape': (3,), }",
            "{'descr': 'f4', 'fortran_order': False, 'shape': (3,), }",
            "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (3,)}",  // double quotes, no trailing comma
            "{'shape': (3L,), 'fortran_order': False, 'descr': '<f4'}",     // Python 2 long, any key order
            "\n  {'descr':'<f4','fortran_order':False,'shape':(3 ,)}\t\r\n",   // whitespace anywhere
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), } # comment\n",
            "{'descr': '<i4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}",  // the last value wins
        ] {
            let array = try decode(npy(header, data))
            #expect(array.dtype == .float32 && array.shape == [3], "\(header)")
            #expect(array.data.array(of: Float.self) == [1, 2, 3], "\(header)")
        }
        for code in ["<u1", ">u1", "=u1", "u1"] {
            let array = try decode(npy("{'descr': '\(code)', 'fortran_order': False, 'shape': (2,), }", [7, 9]))
            #expect(array.dtype == .uint8 && array.data.array(of: UInt8.self) == [7, 9])
        }
        let zeros = try decode(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1000000000000000000, 0), }"))
        #expect(zeros.shape == [0, 1_000_000_000_000_000_000, 0] && zeros.data.count == 0)
    }

    // MARK: - Writing

    @Test func encodesByteForByteAsNumPy() throws {
        for (name, bytes) in [("f32", NpyFixtures.f32), ("f64", NpyFixtures.f64), ("f16", NpyFixtures.f16),
                              ("i64", NpyFixtures.i64), ("u8", NpyFixtures.u8), ("i32scalar", NpyFixtures.i32scalar),
                              ("empty", NpyFixtures.empty)] {
            #expect(try decode(bytes).encoded() == bytes, "\(name)")
        }
        // Big-endian input is normalised: written back as NumPy writes the little-endian array.
        let swapped = try decode(NpyFixtures.bigendian).encoded()
        #expect(swapped == npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }" + String(repeating: " ", count: 58) + "\n",
                               floatBytes([1.5, -2.0, 3.0e38, Float(bitPattern: 1)])))
    }

    @Test func roundTripsThroughFiles() throws {
        let directory = TemporaryDirectory()
        let arrays = [
            NumpyArray(float32: f32Values, shape: [2, 3, 4]),
            NumpyArray(dtype: .float64, shape: [2], data: TensorData(values: [Double.pi, -.infinity])),
            NumpyArray(dtype: .float16, shape: [1, 2], data: TensorData(values: [UInt16(0x3C00), 0x7E01])),
            NumpyArray(dtype: .int32, shape: [], data: TensorData(values: [Int32.min])),
            NumpyArray(dtype: .int64, shape: [3, 0], data: TensorData(values: [Int64]())),
            NumpyArray(dtype: .uint8, shape: [1, 1, 1, 3], data: TensorData(values: [UInt8(1), 2, 255])),
        ]
        for (index, array) in arrays.enumerated() {
            let path = directory.file("a\(index).npy")
            try array.write(to: path)
            #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == array.encoded())
            let read = try NumpyArray.read(path)
            #expect(read == array)
            #expect(try decode(array.encoded()) == array)
            if array.data.count > 0 { #expect(read.data.isView, "aligned little-endian data is mapped, not copied") }
        }
        #expect(directory.contents == (0..<arrays.count).map { "a\($0).npy" }, "no temporary files left behind")
    }

    @Test func writesBFloat16AsFloat32() throws {
        let array = NumpyArray(dtype: .bfloat16, shape: [3], data: TensorData(values: [UInt16(0x3F80), 0xC040, 0x7F80]))
        let read = try decode(array.encoded())
        #expect(read.dtype == .float32)
        #expect(read.data.array(of: Float.self) == [1, -3, .infinity])
    }

    @Test func switchesToVersion2ForHugeHeaders() throws {
        let array = NumpyArray(dtype: .uint8, shape: [2] + [Int](repeating: 1, count: 22_000), data: TensorData(values: [UInt8(4), 5]))
        let bytes = array.encoded()
        #expect(bytes[6] == 2 && bytes[7] == 0)
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        #expect(headerLength > 65535)
        #expect((12 + headerLength) % 64 == 0)
        #expect(try decode(bytes) == array)
        let small = NumpyArray(float32: [1], shape: [1]).encoded()
        #expect(small[6] == 1 && small.count == 128 + 4)
    }

    @Test func writeFailsCleanly() throws {
        let directory = TemporaryDirectory()
        var array = NumpyArray(float32: [1, 2], shape: [2])
        array.shape = [3]  // the properties are mutable; write checks again
        #expect(throws: FormatError.self) { try array.write(to: directory.file("bad.npy")) }
        #expect(throws: FormatError.self) { try NumpyArray(float32: [1], shape: [1]).write(to: directory.file("missing/x.npy")) }
        #expect(directory.contents.isEmpty)
    }

    // MARK: - Hostile .npy files

    @Test func rejectsBadPrefixes() {
        expectRejected([], "a 0-byte file")
        expectRejected([0x93] + Array("NUMP".utf8), "\\x93NUMPY", "a 5-byte file")
        expectRejected(Array("PK\u{03}\u{04}rest".utf8), "zip archive")
        expectRejected(Array("\u{01}NUMPY\u{01}\u{00}xx".utf8), "\\x01\\x4e")
        expectRejected(npy("{}", version: (4, 0)), "version 1.0, 2.0 or 3.0, found 4.0")
        expectRejected(npy("{}", version: (1, 1)), "found 1.1")
        expectRejected([0x93] + Array("NUMPY".utf8) + [1, 0, 0x10], "a 2-byte header length", "9-byte file")
        expectRejected([0x93] + Array("NUMPY".utf8) + [2, 0, 0x10, 0], "a 4-byte header length")
    }

    @Test func rejectsHeaderLengthsThatLie() {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }"
        expectRejected(npy(header, floatBytes([1]), declaredLength: 65535), "header length of at most 61 bytes (the file is 71 bytes)", "found 65535")
        expectRejected(npy(header, floatBytes([1]), version: (2, 0), declaredLength: Int(UInt32.max)), "found 4294967295")
        let padded = header + String(repeating: " ", count: NumpyArray.maxHeaderLength)
        expectRejected(npy(padded, floatBytes([1]), version: (2, 0)), "at most 1048576 bytes")
        // A declared length shorter than the real header cuts the dict.
        expectRejected(npy(header, floatBytes([1]), declaredLength: 30), "Python dict literal")
    }

    @Test func rejectsHeadersThatAreNotTheDict() {
        expectRejected(npy(""), "empty header")
        expectRejected(npy("   \n"), "empty header")
        expectRejected(npy("['descr', '<f4']"), "a Python dict literal as the header, found a list")
        expectRejected(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)"), "unterminated dict")
        expectRejected(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x"), "unexpected 'x' after the literal")
        expectRejected(npy("{'descr': '<f4' 'fortran_order': False}"), "expected ',' or '}'")
        expectRejected(npy("{'descr': '<f\\x34', 'fortran_order': False, 'shape': (1,)}"), "escape sequences")
        expectRejected(npy("{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}"), "Python dict literal")
        expectRejected(npy("{'descr': __import__('os'), 'fortran_order': False, 'shape': (1,)}"), "unexpected name '__import__'")
        expectRejected(npy(String(repeating: "(", count: 100_000)), "nesting deeper than 32 levels")
        expectRejected(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 1: 2}"), "string keys")
        expectRejected(npy("{'descr': '\u{93}<f4', 'fortran_order': False, 'shape': (1,)}", floatBytes([1])), "not a NumPy element type")
    }

    @Test func rejectsMissingOrExtraKeys() {
        expectRejected(npy("{}"), "exactly the keys 'descr', 'fortran_order' and 'shape'", "found none")
        expectRejected(npy("{'descr': '<f4', 'shape': (1,)}", floatBytes([1])), "found 'descr', 'shape'")
        expectRejected(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", floatBytes([1])),
                       "found 'descr', 'extra', 'fortran_order', 'shape'")
        expectRejected(npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", floatBytes([1])), "fortran_order True or False, found an integer 0")
    }

    @Test func rejectsBadShapes() {
        func header(_ shape: String) -> String { "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }" }
        expectRejected(npy(header("(-1, 3)")), "non-negative integers", "a negative dimension", "(-1, 3)")
        expectRejected(npy(header("(2.5,)")), "found a number 2.5")
        expectRejected(npy(header("(True,)")), "found a bool True")
        expectRejected(npy(header("[1]"), floatBytes([1])), "a shape tuple", "found a list [1]")
        expectRejected(npy(header("(1)"), floatBytes([1])), "a shape tuple", "found an integer 1")  // (1) is not a tuple
        expectRejected(npy(header("None")), "found None")
        expectRejected(npy(header("(99999999999999999999,)")), "too large for 64 bits")
        expectRejected(npy(header("(4294967296, 4294967296)")), "element count fits in 64 bits")
        expectRejected(npy(header("(1152921504606846976, 4)")), "byte count fits in 64 bits")
        expectRejected(npy(header("(3037000500, 3037000500, 0)")), "element count fits")
    }

    @Test func rejectsDataOfTheWrongSize() {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
        expectRejected(npy(header, floatBytes([1, 2, 3, 4, 5])), "npy data", "24 data bytes for shape (2, 3) of '<f4', found 20", "truncated")
        expectRejected(npy(header, []), "found 0")
        expectRejected(npy(header, floatBytes([1, 2, 3, 4, 5, 6, 7])), "exactly 24 data bytes", "4 extra bytes")
        expectRejected(Array(NpyFixtures.f32.dropLast()), "found 95")
        expectRejected(NpyFixtures.f32 + [0], "1 extra bytes")
        let scalar = "{'descr': '<i8', 'fortran_order': False, 'shape': (), }"
        expectRejected(npy(scalar, [1, 2, 3]), "8 data bytes for shape () of '<i8', found 3")
    }

    @Test func rejectsUnsupportedElementTypes() {
        func header(_ descr: String) -> String { "{'descr': \(descr), 'fortran_order': False, 'shape': (1,), }" }
        expectRejected(npy(header("'|O'"), [0, 0, 0, 0, 0, 0, 0, 0]), "found '|O'", "object arrays")
        expectRejected(npy(header("'<U5'"), [UInt8](repeating: 0, count: 20)), "unicode string array '<U5'", "NumpyStrings")
        expectRejected(npy(header("'|S3'")), "byte string")
        expectRejected(npy(header("'|V4'")), "void")
        expectRejected(npy(header("'|b1'"), [1]), "bool arrays are not supported")
        expectRejected(npy(header("'<c8'")), "complex")
        expectRejected(npy(header("'<M8[ns]'")), "datetime")
        expectRejected(npy(header("'<i2'")), "found '<i2'")
        expectRejected(npy(header("'<u4'")), "found '<u4'")
        expectRejected(npy(header("[('a', '<f4'), ('b', '<i4')]")), "structured (record) arrays are not supported")
        expectRejected(npy(header("None")), "a descr string", "found None")
    }

    /// Every prefix and many single-byte corruptions of every fixture either decode or fail with a
    /// FormatError: nothing crashes, nothing hangs.
    @Test func survivesTruncationAndCorruption() throws {
        var generator = SystemRandomNumberGenerator()
        for file in [NpyFixtures.f32, NpyFixtures.f64, NpyFixtures.i32scalar, NpyFixtures.v2, NpyFixtures.bigendian] {
            for length in 0..<file.count {
                #expect(throws: FormatError.self) { try decode(Array(file.prefix(length))) }
            }
            for _ in 0..<400 {
                var bytes = file
                let index = Int.random(in: 0..<min(bytes.count, 140), using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
                do { _ = try decode(bytes) } catch is FormatError {} catch { Issue.record("\(error)") }
            }
        }
    }

    // MARK: - .npz archives

    @Test func readsNumPyArchives() throws {
        let directory = TemporaryDirectory()
        for (label, bytes) in [("savez", NpyFixtures.savez), ("savez_compressed", NpyFixtures.savezc)] {
            let path = directory.file("\(label).npz")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let arrays = try NumpyArchive.read(path)
            #expect(arrays.map(\.name) == ["x", "y"], "\(label)")
            guard arrays.count == 2 else { continue }
            #expect(arrays[0].array.dtype == .float32 && arrays[0].array.shape == [2, 2])
            #expect(arrays[0].array.data.array(of: Float.self) == [0.25, -0.5, 1e-3, 7])
            #expect(arrays[1].array.dtype == .int64 && arrays[1].array.shape == [3])
            #expect(arrays[1].array.data.array(of: Int64.self) == [10, -20, 30])
        }
    }

    @Test func roundTripsArchives() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("outputs.npz")
        let arrays: [(name: String, array: NumpyArray)] = [
            ("predictions", NumpyArray(float32: f32Values, shape: [2, 3, 4])),
            ("block1/conv", NumpyArray(dtype: .float64, shape: [1], data: TensorData(values: [Double.pi]))),
            ("scalar", NumpyArray(dtype: .int32, shape: [], data: TensorData(values: [Int32(-5)]))),
            ("empty", NumpyArray(dtype: .uint8, shape: [0], data: TensorData(values: [UInt8]()))),
        ]
        try NumpyArchive.write(arrays, to: path)
        let read = try NumpyArchive.read(path)
        #expect(read.map(\.name) == arrays.map(\.name))
        for (a, b) in zip(read, arrays) { #expect(a.array == b.array, "\(a.name)") }
        #expect(directory.contents == ["outputs.npz"])

        try NumpyArchive.write([], to: path)
        #expect(try NumpyArchive.read(path).isEmpty)

        let one = NumpyArray(float32: [1], shape: [1])
        #expect(throws: FormatError.self) { try NumpyArchive.write([("a", one), ("a", one)], to: path) }
        #expect(throws: FormatError.self) { try NumpyArchive.write([("", one)], to: path) }
        #expect(try NumpyArchive.read(path).isEmpty, "a failed write leaves the old file")
    }

    @Test func rejectsHostileArchives() throws {
        // A deflate stream running past the end of the file: an error, not a hang.
        try expectArchiveRejected(NpyFixtures.runaway, "zip member 'x.npy'", "8 bytes once inflated")
        var runaway = NpyFixtures.runaway  // declaring 100000 bytes lets it run to the end of the input
        let central = runaway.indices.first { runaway[$0...].starts(with: [0x50, 0x4B, 0x01, 0x02]) }!
        for offset in [22, central + 24] { runaway.replaceSubrange(offset..<(offset + 4), with: [0xA0, 0x86, 0x01, 0x00]) }
        try expectArchiveRejected(runaway, "zip member 'x.npy'", "complete deflate stream within its 8 compressed bytes")
        // A corrupt stored member: the CRC catches it even though the .npy still parses.
        var corrupt = NpyFixtures.savez
        let data = corrupt.indices.first { corrupt[$0...].starts(with: floatBytes([0.25])) }!
        corrupt[data] ^= 1
        try expectArchiveRejected(corrupt, "zip member 'x.npy'", "CRC-32")
        // A corrupt deflated member.
        var deflated = NpyFixtures.savezc
        deflated[60] ^= 0xFF
        try expectArchiveRejected(deflated, "zip member 'x.npy'")
        // Not a zip, and a .npy passed as .npz.
        try expectArchiveRejected(Array("hello".utf8), "no end-of-central-directory record")
        try expectArchiveRejected(NpyFixtures.f32, "found a single .npy file")
        // A member not named *.npy.
        var renamed = NpyFixtures.savez
        for index in renamed.indices where renamed[index...].starts(with: Array("y.npy".utf8)) {
            renamed.replaceSubrange(index..<(index + 5), with: Array("y.txt".utf8))
        }
        try expectArchiveRejected(renamed, "zip member 'y.txt'", "NAME.npy")
        // Every truncation fails cleanly.
        for file in [NpyFixtures.savez, NpyFixtures.savezc] {
            for length in stride(from: 0, to: file.count, by: 7) {
                try expectArchiveRejected(Array(file.prefix(length)))
            }
        }
    }

    @Test func survivesArchiveCorruption() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("fuzz.npz")
        var generator = SystemRandomNumberGenerator()
        for file in [NpyFixtures.savez, NpyFixtures.savezc, NpyFixtures.runaway] {
            for _ in 0..<300 {
                var bytes = file
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                do { _ = try NumpyArchive.read(path) } catch is FormatError {} catch { Issue.record("\(error)") }
            }
        }
    }

    @Test func crc32MatchesKnownValues() {
        func crc(_ text: String) -> UInt32 { Array(text.utf8).withUnsafeBytes { ZipCRC32.checksum($0) } }
        #expect(crc("") == 0)
        #expect(crc("123456789") == 0xCBF4_3926)
        #expect(crc("The quick brown fox jumps over the lazy dog") == 0x414F_A339)
    }

    @Test func readsZip64AndCommentedArchives() throws {
        let x = NpyFixtures.f32, y = NpyFixtures.u8
        for builder in [
            ZipBuilder(members: [.init(name: "x.npy", data: x), .init(name: "y.npy", data: y)], zip64: true),
            ZipBuilder(members: [.init(name: "x.npy", data: x), .init(name: "sub/", data: []), .init(name: "y.npy", data: y)],
                       comment: "PK\u{05}\u{06} a comment holding the end signature"),
        ] {
            let arrays = try readArchive(builder.bytes)
            #expect(arrays.map(\.name) == ["x", "y"])
            #expect(arrays.first?.array == (try decode(x)))
            #expect(arrays.last?.array == (try decode(y)))
        }
    }

    @Test func rejectsBrokenZipStructures() throws {
        let x = NpyFixtures.f32
        try expectArchiveRejected(ZipBuilder(members: [.init(name: "x.npy", data: x, flags: 1)]).bytes, "unencrypted")
        try expectArchiveRejected(ZipBuilder(members: [.init(name: "x.npy", data: x, method: 12)]).bytes, "compression method 12")
        try expectArchiveRejected(ZipBuilder(members: [.init(name: "x.npy", data: x, localName: "z.npy")]).bytes, "same name in the local header")
        try expectArchiveRejected(ZipBuilder(members: [.init(name: "x.npy", data: x)], diskNumber: 1).bytes, "single-disk")
        try expectArchiveRejected(ZipBuilder(members: [.init(name: "x.npy", data: x)], zip64: true, diskNumber: 1).bytes, "single-disk")
        try expectArchiveRejected(ZipBuilder(members: [.init(name: "x.npy", data: x)], declaredEntries: 2).bytes, "2 central directory entries", "found 1")
        try expectArchiveRejected(ZipBuilder(members: [.init(name: "x.npy", data: x), .init(name: "x.npy", data: x)]).bytes, "twice")
        try expectArchiveRejected(ZipBuilder(members: [.init(name: ".npy", data: x)]).bytes, "NAME.npy")
        try expectArchiveRejected(ZipBuilder(members: [.init(name: "x.npy", data: NpyFixtures.fortran)]).bytes,
                                  "x.npy: at", "np.ascontiguousarray")  // member errors name archive:member
        // Sizes and offsets that point past the file.
        var bytes = ZipBuilder(members: [.init(name: "x.npy", data: x)]).bytes
        let central = bytes.count - 22 - 51
        bytes.replaceSubrange((central + 42)..<(central + 46), with: [0xFF, 0xFF, 0xFF, 0x7F])
        try expectArchiveRejected(bytes, "local header offset of at most")
        bytes = ZipBuilder(members: [.init(name: "x.npy", data: x)]).bytes
        bytes.replaceSubrange((central + 20)..<(central + 28), with: [0xFF, 0xFF, 0xFF, 0x0F, 0xFF, 0xFF, 0xFF, 0x0F])
        try expectArchiveRejected(bytes, "a compressed size of at most")
        bytes = ZipBuilder(members: [.init(name: "x.npy", data: x)]).bytes
        bytes.replaceSubrange((bytes.count - 10)..<(bytes.count - 6), with: [0, 0, 0, 0x10])
        try expectArchiveRejected(bytes, "central directory size of at most")
        bytes = ZipBuilder(members: [.init(name: "x.npy", data: x)], zip64: true).bytes
        let locator = bytes.count - 22 - 20
        bytes.replaceSubrange((locator + 8)..<(locator + 16), with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        try expectArchiveRejected(bytes, "zip64 end record offset")
    }

    // MARK: - Python interop

    /// With ZOO_NPY_OUT set to a directory, writes files to check with NumPy:
    /// f32.npy, scalar.npy, empty.npy, bf16.npy, wide.npy (version 2.0), outputs.npz, and zip64.npz (the
    /// test's hand-built zip64 layout, to confirm Python's zipfile reads it as this reader does).
    @Test func writesFilesForNumPy() throws {
        guard let directory = ProcessInfo.processInfo.environment["ZOO_NPY_OUT"] else { return }
        try NumpyArray(float32: f32Values, shape: [2, 3, 4]).write(to: directory + "/f32.npy")
        try NumpyArray(dtype: .int64, shape: [], data: TensorData(values: [Int64.min])).write(to: directory + "/scalar.npy")
        try NumpyArray(dtype: .float16, shape: [0, 3], data: TensorData(values: [UInt16]())).write(to: directory + "/empty.npy")
        try NumpyArray(dtype: .bfloat16, shape: [2], data: TensorData(values: [UInt16(0x3F80), 0xC040])).write(to: directory + "/bf16.npy")
        try NumpyArray(dtype: .uint8, shape: [2] + [Int](repeating: 1, count: 22_000), data: TensorData(values: [UInt8(4), 5]))
            .write(to: directory + "/wide.npy")
        try NumpyArchive.write([
            ("logits", NumpyArray(float32: f32Values, shape: [2, 12])),
            ("block1/pool", NumpyArray(dtype: .float64, shape: [2], data: TensorData(values: [Double.pi, -0.0]))),
            ("counts", NumpyArray(dtype: .int32, shape: [3], data: TensorData(values: [Int32.min, 0, Int32.max]))),
        ], to: directory + "/outputs.npz")
        try Data(ZipBuilder(members: [.init(name: "x.npy", data: NpyFixtures.f32), .init(name: "y.npy", data: NpyFixtures.u8)],
                            zip64: true).bytes).write(to: URL(fileURLWithPath: directory + "/zip64.npz"))
    }

    /// A deflated member declaring far more than its compressed bytes can hold at a sane ratio
    /// is refused before anything is inflated (a zip bomb; issue 11, item 1).
    @Test func refusesZipBombMembers() throws {
        var member = ZipBuilder.Member(name: "x.npy", data: [UInt8](repeating: 0x03, count: 1000), method: 8)
        member.declaredSize = 100_000_000
        try expectArchiveRejected(ZipBuilder(members: [member]).bytes, "inflates at most 100x", "declaring 100000000", "ZOO_MAX_INFLATION")
        member.declaredSize = 1_000_000  // below the 64 MiB floor: inflated (and found broken), not refused as a bomb
        try expectArchiveRejected(ZipBuilder(members: [member]).bytes, "zip member 'x.npy'")
    }

}
