import Foundation
import Testing
@testable import ZooHDF5

@Suite struct HDF5DatasetTests {
    /// `readPieces` hands over the dataset in C order in pieces of at most `maxBytes`, split
    /// along whichever axis fits, and the pieces join to exactly what one whole read gives.
    @Test(arguments: [4, 8, 20, 24, 96, 100, 480, 479, 1 << 20])
    func piecesJoinToTheWholeDataset(_ maxBytes: Int) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("pieces.h5")
        let values = (0..<120).map { Float($0) * 0.5 - 7 }  // shape [2, 3, 4, 5]: 480 bytes
        do {
            let root = try HDF5File.create(path).root()
            try values.withUnsafeBytes { _ = try root.createDataset("x", type: .float32, shape: [2, 3, 4, 5], bytes: $0) }
        }
        let dataset = try HDF5File.open(path).root().dataset("x")
        var joined: [UInt8] = []
        var sizes: [Int] = []
        try dataset.readPieces(maxBytes: maxBytes) { piece in
            joined.append(contentsOf: piece)
            sizes.append(piece.count)
        }
        #expect(joined == (try dataset.readBytes()))
        #expect(sizes.allSatisfy { $0 <= max(maxBytes, 4) && $0 > 0 })
        // Pieces per maxBytes: one index step of the [4, 5] block is 80 bytes, of [5] 20, of a float 4.
        let expected: [Int: [Int]] = [4: Array(repeating: 4, count: 120), 20: Array(repeating: 20, count: 24),
                                      24: Array(repeating: 20, count: 24), 100: Array(repeating: 80, count: 6),
                                      479: [240, 240], 480: [480], 1 << 20: [480]]
        if let want = expected[maxBytes] { #expect(sizes == want) }
    }

    @Test func everyNumericTypeRoundTripsBitForBit() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("types.h5")
        let floats: [Float] = [1.5, -2.25, 3.0e-20, .greatestFiniteMagnitude, -0.0, 7]
        let doubles: [Double] = [1.0 / 3.0, -1e300]
        let halves: [UInt16] = [0x3C00, 0xC000, 0x0001, 0x7BFF]  // 1, -2, smallest subnormal, 65504
        let ints: [Int64] = [Int64.min, -1, 0, Int64.max]
        let bytes: [UInt8] = [0, 127, 255]
        do {
            let root = try HDF5File.create(path).root()
            try floats.withUnsafeBytes { _ = try root.createDataset("f32", type: .float32, shape: [2, 3], bytes: $0) }
            try doubles.withUnsafeBytes { _ = try root.createDataset("f64", type: .float64, shape: [2], bytes: $0) }
            try halves.withUnsafeBytes { _ = try root.createDataset("f16", type: .float16, shape: [4], bytes: $0) }
            try ints.withUnsafeBytes { _ = try root.createDataset("i64", type: .integer(bits: 64, signed: true), shape: [4], bytes: $0) }
            try bytes.withUnsafeBytes { _ = try root.createDataset("u8", type: .integer(bits: 8, signed: false), shape: [3], bytes: $0) }
            try [Float(42)].withUnsafeBytes { _ = try root.createDataset("scalar", type: .float32, shape: [], bytes: $0) }
        }
        let root = try HDF5File.open(path).root()
        let f32 = try root.dataset("f32")
        #expect(f32.shape == [2, 3])
        #expect(f32.elementType == .float32)
        var back = [Float](repeating: 0, count: 6)
        try back.withUnsafeMutableBytes { try f32.read(into: $0) }
        #expect(back.map(\.bitPattern) == floats.map(\.bitPattern))
        #expect(try root.dataset("f64").readBytes() == doubles.withUnsafeBytes { Array($0) })
        let f16 = try root.dataset("f16")
        #expect(f16.elementType == .float16)
        #expect(try f16.readBytes() == halves.withUnsafeBytes { Array($0) })
        #expect(try root.dataset("i64").readBytes() == ints.withUnsafeBytes { Array($0) })
        #expect(try root.dataset("i64").elementType == .integer(bits: 64, signed: true))
        #expect(try root.dataset("u8").readBytes() == bytes)
        let scalar = try root.dataset("scalar")
        #expect(scalar.shape == [])
        #expect(scalar.elementCount == 1)
        #expect(try scalar.readBytes() == [Float(42)].withUnsafeBytes { Array($0) })
    }

    @Test func readRejectsAWrongSizedBuffer() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("size.h5")
        let root = try HDF5File.create(path).root()
        try [Float](repeating: 0, count: 8).withUnsafeBytes { _ = try root.createDataset("x", type: .float32, shape: [8], bytes: $0) }
        let dataset = try root.dataset("x")
        var small = [Float](repeating: 0, count: 7)
        #expect(throws: HDF5Error.bufferSizeMismatch(file: path, path: "/x", expected: 32, given: 28)) {
            try small.withUnsafeMutableBytes { try dataset.read(into: $0) }
        }
        #expect(throws: HDF5Error.bufferSizeMismatch(file: path, path: "/y", expected: 8, given: 4)) {
            try [Float(1)].withUnsafeBytes { _ = try root.createDataset("y", type: .float32, shape: [2], bytes: $0) }
        }
    }

    @Test func manyThreadsReadOneFileIdentically() async throws {
        let dir = TemporaryDirectory()
        let path = dir.file("threads.h5")
        let count = 64 * 1024
        let values = (0..<count).map { Float($0) * 0.5 }
        do {
            let root = try HDF5File.create(path).root()
            for index in 0..<8 {
                try values.withUnsafeBytes { _ = try root.createDataset("layer\(index)/kernel", type: .float32, shape: [count], bytes: $0) }
                try root.group("layer\(index)").setAttribute("weight_names", .strings(["layer\(index)/kernel"]))
            }
        }
        let file = try HDF5File.open(path)
        let expected = values.withUnsafeBytes { Array($0) }
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for task in 0..<16 {
                group.addTask {
                    // Each task walks the file itself: groups, attributes and data.
                    let root = try file.root()
                    for index in 0..<8 {
                        let layer = try root.group("layer\((index + task) % 8)")
                        guard try layer.attribute("weight_names")?.stringList?.count == 1 else { return false }
                        guard try layer.dataset("kernel").readBytes() == expected else { return false }
                    }
                    return true
                }
            }
            var all: [Bool] = []
            for try await ok in group { all.append(ok) }
            return all
        }
        #expect(results.count == 16)
        #expect(results.allSatisfy { $0 })
    }

    @Test func stringDatasetsReadAndAreNotNumeric() throws {
        // A Keras-shaped file whose conv1 kernel was replaced by a variable-length string dataset.
        let path = fixturePath("bad_dtype.h5")
        let dataset = try HDF5File.open(path).root().dataset("conv1/conv1/kernel")
        guard case .string(variableLength: true, _) = dataset.elementType else {
            Issue.record("expected a variable-length string dataset, got \(dataset.elementType)")
            return
        }
        #expect(dataset.byteCount == nil)
        #expect(try !dataset.readStrings().isEmpty)
        #expect(throws: HDF5Error.unsupportedType(file: path, path: "/conv1/conv1/kernel", type: "string(variable)")) {
            try dataset.readBytes()
        }
    }

    @Test func noIdentifierLeaksWhenErrorsAreThrownHalfWay() throws {
        let path = fixturePath("tiny.legacy.h5")
        let file = try HDF5File.open(path)
        do {
            let root = try file.root()
            for link in try root.children() where link.kind == .group {
                let group = try root.group(link.name)
                _ = try group.attribute("weight_names")
                _ = try? group.dataset("missing/kernel")
                _ = try? group.group("nope")
                for inner in try group.children() where inner.kind == .group {
                    for leaf in try group.group(inner.name).children() {
                        let dataset = try group.group(inner.name).dataset(leaf.name)
                        var small = [UInt8](repeating: 0, count: 1)
                        _ = try? small.withUnsafeMutableBytes { try dataset.read(into: $0) }
                    }
                }
            }
            #expect(file.openObjectCount > 1)
        }
        #expect(file.openObjectCount == 1)
    }
}

/// The sandbox's walk touches every object of a file: counted on the shipped full-model file
/// against h5py's `visititems` (22 groups with the root, 39 datasets, 20 attributes), and it goes
/// on past an object it cannot read.
@Suite struct HDF5ProbeTests {
    @Test func walkCountsEveryObjectOfAGoodFile() throws {
        let summary = HDF5Probe.walk(path: fixturePath("tiny.model.h5"))
        #expect(summary.errors.isEmpty, "\(summary.errors)")
        #expect(summary.groups == 22)
        #expect(summary.datasets == 39)
        #expect(summary.attributes == 20)
        #expect(summary.bytesRead == 0, "contiguous unfiltered data is not read")
    }

    @Test func walkGoesOnPastAnObjectItCannotRead() throws {
        // The gzip bomb's one chunked dataset is refused; its 14 siblings are still walked.
        let summary = HDF5Probe.walk(path: fixturePath("bad_gzip_bomb.h5"))
        #expect(summary.errors.count == 1)
        #expect(summary.errors.first?.contains("more than 100x") == true, "\(summary.errors)")
        #expect(summary.datasets == 14)
        let missing = HDF5Probe.walk(path: fixturePath("absent.h5"))
        #expect(missing.errors.count == 1 && missing.errors[0].contains("absent.h5"))
        #expect(missing.groups == 0)
    }
}

/// The path of a shipped fixture file.
func fixturePath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name).path
}
