import Foundation
import Testing
import ZooFormats
@testable import ZooNative

/// Files whose header lies, built by patching a valid file (and re-sealing the header checksum
/// where the lie is deeper than the checksum), must fail with a clear error, never crash.
@Suite struct ZooFileHostileTests {
    struct Valid {
        let bytes: [UInt8]
        let scratch = Scratch()
        let tableStart = 64
        init() throws {
            let path = scratch.file("ok.zoo")
            try ZooFileWriter.write(sampleTensors(), metadata: ZooMetadata(), graph: nil, to: path)
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        func u64(_ at: Int) -> UInt64 { bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) } }
        var headerEnd: Int { 64 + Int(u64(16)) + Int(u64(24)) + Int(u64(32)) }

        /// Applies `patch`, optionally re-seals the header checksum, writes, and returns the error text.
        func open(reseal: Bool, _ patch: (inout [UInt8]) -> Void) -> String? {
            var copy = bytes
            patch(&copy)
            if reseal {
                let end = 64 + Int(copy.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self) })
                    + Int(u64(24)) + Int(u64(32))
                let sum = copy[64..<min(end, copy.count)].withUnsafeBytes { XXH64.hash($0) }
                withUnsafeBytes(of: sum.littleEndian) { copy.replaceSubrange(48..<56, with: $0) }
            }
            let path = scratch.file("bad-\(UUID().uuidString).zoo")
            FileManager.default.createFile(atPath: path, contents: Data(copy))
            do {
                _ = try ZooFileReader(path: path)
                return nil
            } catch {
                let text = "\(error)"
                #expect(text.hasPrefix(path))
                return text
            }
        }
    }

    static func put(_ value: UInt64, at offset: Int, in bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<(offset + 8), with: $0) }
    }

    @Test func truncatedMagicVersionAndEmpty() throws {
        let valid = try Valid()
        #expect(valid.open(reseal: false) { $0 = Array($0.prefix(40)) }?.contains("truncated") == true)
        #expect(valid.open(reseal: false) { $0 = [] }?.contains("truncated") == true)
        #expect(valid.open(reseal: false) { $0[1] = 0x41 }?.contains("not a .zoo file") == true)
        #expect(valid.open(reseal: false) { $0[8] = 2 }?.contains("version 2.0 is newer") == true)
        // A newer minor version is accepted.
        #expect(valid.open(reseal: false) { $0[10] = 7 } == nil)
        // Cut inside the data: the last tensor no longer fits.
        #expect(valid.open(reseal: false) { $0 = Array($0.dropLast(4)) } != nil)
    }

    @Test(arguments: [0, 1, 3, 32, 100, 1 << 17])
    func badAlignment(alignment: Int) throws {
        let valid = try Valid()
        let text = valid.open(reseal: false) { bytes in
            withUnsafeBytes(of: UInt32(alignment).littleEndian) { bytes.replaceSubrange(12..<16, with: $0) }
        }
        #expect(text?.contains("alignment") == true)
    }

    @Test func lengthsThatLie() throws {
        let valid = try Valid()
        #expect(valid.open(reseal: false) { Self.put(UInt64.max, at: 16, in: &$0) }?.contains("exceeds the file size") == true)
        #expect(valid.open(reseal: false) { Self.put(1 << 40, at: 24, in: &$0) }?.contains("exceeds the file size") == true)
        #expect(valid.open(reseal: false) { Self.put(UInt64(valid.bytes.count) + 4096, at: 40, in: &$0) }?.contains("exceeds") == true)
        #expect(valid.open(reseal: false) { Self.put(4100, at: 40, in: &$0) }?.contains("aligned") == true)
        #expect(valid.open(reseal: false) { Self.put(0, at: 40, in: &$0) }?.contains("past the data offset") == true)
        #expect(valid.open(reseal: false) { $0[valid.tableStart + 10] ^= 1 }?.contains("header checksum") == true)
    }

    /// Offset of the first table entry's fields (name "conv/kernel", rank 4).
    var firstEntry: (dims: Int, offset: Int, length: Int) {
        let dims = 64 + 4 + 2 + 11 + 3
        return (dims, dims + 32, dims + 40)
    }

    @Test func tableEntriesThatLie() throws {
        let valid = try Valid()
        let (dims, offset, length) = firstEntry
        #expect(valid.open(reseal: true) { Self.put(UInt64(valid.bytes.count) + 64, at: offset, in: &$0) }?.contains("outside the data section") == true)
        #expect(valid.open(reseal: true) { Self.put(UInt64.max - 63, at: offset, in: &$0) }?.contains("outside the data section") == true)
        #expect(valid.open(reseal: true) { Self.put(4096 + 1, at: offset, in: &$0) }?.contains("aligned") == true)
        #expect(valid.open(reseal: true) { Self.put(999, at: length, in: &$0) }?.contains("does not match shape") == true)
        #expect(valid.open(reseal: true) { Self.put(UInt64(Int.max), at: dims, in: &$0) }?.contains("overflow") == true)
        #expect(valid.open(reseal: true) { Self.put(1 << 62, at: dims, in: &$0); Self.put(1 << 62, at: dims + 8, in: &$0) }?.contains("overflow") == true)
        #expect(valid.open(reseal: true) { $0[dims - 3] = 99 }?.contains("unknown dtype") == true)
        #expect(valid.open(reseal: true) { $0[dims - 2] = 77 }?.contains("unknown layout") == true)
        // Tagged packed with a plain kernel's length: the panels would run past the tensor.
        #expect(valid.open(reseal: true) { $0[dims - 2] = TensorLayout.packed.rawValue }?.contains("does not match packed shape") == true)
        #expect(valid.open(reseal: true) { $0[dims - 1] = 200 }?.contains("rank") == true)
        #expect(valid.open(reseal: true) { bytes in
            withUnsafeBytes(of: UInt32(1_000_000).littleEndian) { bytes.replaceSubrange(64..<68, with: $0) }
        }?.contains("tensor count") == true)
        // The second tensor moved onto the first: overlap.
        let reader = try ZooFileReader(path: { let p = valid.scratch.file("v.zoo"); FileManager.default.createFile(atPath: p, contents: Data(valid.bytes)); return p }())
        let first = reader.entries[0]
        let secondOffsetField = firstEntry.length + 16 + 2 + 9 + 3 + 8 * 1
        #expect(valid.open(reseal: true) { Self.put(UInt64(first.offset), at: secondOffsetField, in: &$0) }?.contains("overlaps") == true)
    }
}
