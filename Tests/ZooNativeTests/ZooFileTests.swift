import Foundation
import Testing
import ZooFormats
import ZooGraph
@testable import ZooNative

final class Scratch {
    let path = NSTemporaryDirectory() + "zoo-native-" + UUID().uuidString
    init() { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    func file(_ name: String) -> String { path + "/" + name }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func sampleTensors() -> [ZooFileWriter.Tensor] {
    let kernel: [Float] = (0..<(3 * 3 * 3 * 8)).map { (i: Int) -> Float in Float(i) * 0.25 - 10 }
    let bias: [Float] = (0..<8).map { (i: Int) -> Float in Float(i) }
    let half: [UInt16] = [0x3C00, 0x4000, 0xC200]
    return [
        .init(name: "conv/kernel", dtype: .float32, shape: [3, 3, 3, 8], layout: .hwio, data: TensorData(values: kernel)),
        .init(name: "conv/bias", dtype: .float32, shape: [8], layout: .plain, data: TensorData(values: bias)),
        .init(name: "layer1.0.bn1.weight", dtype: .float16, shape: [3], layout: .plain, data: TensorData(values: half)),
        .init(name: "scalar/step", dtype: .int64, shape: [], layout: .plain, data: TensorData(values: [Int64(42)])),
    ]
}

func sampleGraph() throws -> Graph {
    var g = Graph()
    try g.add("input_layer", .input(shape: [8, 8, 3]))
    try g.add("conv", .conv2D(ConvAttributes(filters: 8, kernel: [3, 3], padding: .same)), inputs: ["input_layer"])
    return g
}

@Suite struct ZooFileTests {
    static let vectors: [(String, UInt64)] = [
        ("", 17241709254077376921), ("a", 15154266338359012955), ("abc", 4952883123889572249),
        (String(repeating: "x", count: 31), 6979749295578388976), (String(repeating: "y", count: 32), 7267155159012462182),
        (String(repeating: "z", count: 33), 14205499275651973736),
    ]

    @Test(arguments: vectors)
    func xxh64MatchesTheReference(text: String, expected: UInt64) {
        #expect(Array(text.utf8).withUnsafeBytes { XXH64.hash($0) } == expected)
        // Fed in awkward pieces, the result is the same.
        var hasher = XXH64()
        let bytes = Array(text.utf8)
        var i = 0
        for step in [1, 7, 3, 13, 32, 5] where i < bytes.count {
            let end = min(bytes.count, i + step)
            bytes[i..<end].withUnsafeBytes { hasher.update($0) }
            i = end
        }
        if i < bytes.count { bytes[i...].withUnsafeBytes { hasher.update($0) } }
        #expect(hasher.digest() == expected)
        let long = Array((0..<256).map(UInt8.init)) + Array((0..<256).map(UInt8.init)) + Array((0..<256).map(UInt8.init))
        #expect(long.withUnsafeBytes { XXH64.hash($0) } == 10233242924474565487)
    }

    @Test(arguments: [64, 4096, 65536])
    func roundTripIsExactAlignedAndZeroCopy(alignment: Int) throws {
        let scratch = Scratch()
        let path = scratch.file("m.zoo")
        var metadata = ZooMetadata()
        metadata.architecture = "resnet50"
        metadata.preprocessing = .caffe
        metadata.batchNormEpsilon = ["conv1_bn": 1.001e-5]
        let tensors = sampleTensors()
        try ZooFileWriter.write(tensors, metadata: metadata, graph: try sampleGraph(), to: path, alignment: alignment)
        let reader = try ZooFileReader(path: path, verification: .eager)
        #expect(reader.alignment == alignment)
        #expect(reader.entries.map(\.name) == tensors.map(\.name))
        #expect(reader.entries.map(\.shape) == tensors.map(\.shape))
        #expect(reader.entries.map(\.layout) == [.hwio, .plain, .plain, .plain])
        #expect(reader.entries.first!.offset % 4096 == 0)
        for (entry, tensor) in zip(reader.entries, tensors) {
            #expect(entry.offset % alignment == 0)
            let data = try reader.tensor(entry.name)
            #expect(data == tensor.data)
            #expect(data.isView)
            data.withUnsafeBytes { #expect(Int(bitPattern: $0.baseAddress) % alignment == 0) }
        }
        #expect(try reader.metadata() == metadata)
        #expect(try reader.graph() == (try sampleGraph()))
        // Padding bytes are zero, and the file ends right after the last tensor.
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let last = reader.entries.last!
        #expect(bytes.count == last.offset + last.length)
        var covered = [Bool](repeating: false, count: bytes.count)
        for entry in reader.entries { for i in entry.offset..<(entry.offset + entry.length) { covered[i] = true } }
        let firstData = reader.entries.map(\.offset).min()!
        #expect((firstData..<bytes.count).allSatisfy { covered[$0] || bytes[$0] == 0 })
        let checkpoint = try reader.checkpoint()
        #expect(checkpoint.format == .zoo)
        #expect(checkpoint.layers.map(\.name) == ["input_layer", "conv", "layer1.0.bn1", "scalar"] || checkpoint.layers.map(\.name) == ["conv", "layer1.0.bn1", "scalar"])
    }

    @Test func readingWithoutMmapGivesTheSameTensors() throws {
        let scratch = Scratch()
        let path = scratch.file("m.zoo")
        try ZooFileWriter.write(sampleTensors(), metadata: ZooMetadata(), graph: nil, to: path)
        let unmapped = try ZooFileReader(path: path, verification: .eager, mapped: false)
        #expect(!unmapped.file.isMapped)
        #expect(try unmapped.tensor("conv/bias").array(of: Float.self) == (0..<8).map { Float($0) })
        #expect(try unmapped.graph() == nil)
    }

    @Test func aFlippedByteIsCaughtAndNamed() throws {
        let scratch = Scratch()
        let path = scratch.file("m.zoo")
        try ZooFileWriter.write(sampleTensors(), metadata: ZooMetadata(), graph: nil, to: path)
        let clean = try ZooFileReader(path: path)
        let target = clean.entry("conv/bias")!
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[target.offset + 5] ^= 0x10
        let bad = scratch.file("bad.zoo")
        try Data(bytes).write(to: URL(fileURLWithPath: bad))
        // Opening is cheap and does not read tensors; verification names the tensor.
        let reader = try ZooFileReader(path: bad)
        #expect(throws: ZooFileError.checksumMismatch(file: bad, tensor: "conv/bias")) { try reader.verify() }
        let lazy = try ZooFileReader(path: bad, verification: .lazy)
        #expect(try lazy.tensor("conv/kernel").count == 864)
        #expect(throws: ZooFileError.checksumMismatch(file: bad, tensor: "conv/bias")) { try lazy.tensor("conv/bias") }
        #expect(throws: ZooFileError.checksumMismatch(file: bad, tensor: "conv/bias")) { try ZooFileReader(path: bad, verification: .eager) }
        // A flipped padding byte is caught by the whole-file check.
        var padded = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        padded[clean.entry("conv/kernel")!.offset + 864 + 3] = 1
        try Data(padded).write(to: URL(fileURLWithPath: bad))
        #expect(throws: ZooFileError.fileChecksumMismatch(file: bad)) { try ZooFileReader(path: bad).verify() }
    }

    @Test func manyThreadsReadAndVerifyAtOnce() async throws {
        let scratch = Scratch()
        let path = scratch.file("m.zoo")
        let tensors = sampleTensors()
        try ZooFileWriter.write(tensors, metadata: ZooMetadata(), graph: nil, to: path)
        let reader = try ZooFileReader(path: path, verification: .lazy)
        let ok = try await withThrowingTaskGroup(of: Bool.self) { group in
            for task in 0..<32 {
                group.addTask {
                    let tensor = tensors[task % tensors.count]
                    return try reader.tensor(tensor.name) == tensor.data
                }
            }
            var all = true
            for try await result in group { all = all && result }
            return all
        }
        #expect(ok)
        try reader.verify()
    }

    @Test func writerRejectsBadRequestsAndLeavesNothing() throws {
        let scratch = Scratch()
        let path = scratch.file("x.zoo")
        for alignment in [0, 3, 32, 100, 131072] {
            #expect(throws: ZooFileError.self) { try ZooFileWriter.write(sampleTensors(), metadata: ZooMetadata(), graph: nil, to: path, alignment: alignment) }
        }
        var tensors = sampleTensors()
        tensors.append(tensors[0])
        #expect(throws: ZooFileError.self) { try ZooFileWriter.write(tensors, metadata: ZooMetadata(), graph: nil, to: path) }
        #expect((try FileManager.default.contentsOfDirectory(atPath: scratch.path)).isEmpty)
    }
}
