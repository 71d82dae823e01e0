import Foundation
import Testing
import ZooFormats
import ZooGraph
@testable import ZooNative

/// Tensors large enough that the writer's staging buffers fill and rotate several times, with
/// sizes that leave partial pages and padding at every boundary.
func largeTensors() -> [ZooFileWriter.Tensor] {
    let counts = [3_000_001, 17, 2_500_000, 1, 4_194_304, 999_999, 5]
    return counts.enumerated().map { index, count in
        let data = TensorData(byteCount: count * 4) { raw in
            let values = raw.bindMemory(to: UInt32.self)
            for i in 0..<count { values[i] = UInt32(truncatingIfNeeded: index &* 0x9E37_79B9 &+ i &* 2_654_435_761) }
        }
        return .init(name: "layer\(index)/kernel", dtype: .float32, shape: [count], layout: .plain, data: data)
    }
}

@Suite struct ZooFileStreamingWriteTests {
    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    @Test(arguments: [64, 4096, 65536])
    func tensorsFilledWhileWritingGiveTheSameFile(alignment: Int) throws {
        let scratch = Scratch()
        let tensors = largeTensors() + sampleTensors()
        var metadata = ZooMetadata()
        metadata.source = .init(file: "m.h5", sha256: String(repeating: "ab", count: 32), format: "keras-h5-weights")
        try ZooFileWriter.write(tensors, metadata: metadata, graph: try sampleGraph(), to: scratch.file("held.zoo"), alignment: alignment)

        // The same tensors without data, supplied one at a time into the writer's buffer, and
        // the hash only known once the tensors are written.
        var streamed = tensors
        for index in streamed.indices { streamed[index].data = nil }
        var placeholder = metadata
        placeholder.source?.sha256 = String(repeating: "0", count: 64)
        var filled: [Int] = []
        try ZooFileWriter.write(streamed, metadata: placeholder, graph: try sampleGraph(), to: scratch.file("streamed.zoo"), alignment: alignment,
                                fill: { index, buffer in
                                    filled.append(index)
                                    try #require(buffer.count == tensors[index].data?.count)
                                    tensors[index].data?.withUnsafeBytes { buffer.copyMemory(from: $0) }
                                }, finishMetadata: { $0.source?.sha256 = String(repeating: "ab", count: 32) })
        #expect(filled == Array(tensors.indices))
        #expect(try bytes(scratch.file("streamed.zoo")) == (try bytes(scratch.file("held.zoo"))))
        // Through the page cache only (where a filesystem refuses direct I/O): the same bytes.
        try ZooFileWriter.write(tensors, metadata: metadata, graph: try sampleGraph(), to: scratch.file("cached.zoo"), alignment: alignment,
                                fill: nil, finishMetadata: nil, directIO: false)
        #expect(try bytes(scratch.file("cached.zoo")) == (try bytes(scratch.file("held.zoo"))))
        let reader = try ZooFileReader(path: scratch.file("streamed.zoo"), verification: .eager)
        try reader.verify()
        #expect(try reader.metadata() == metadata)
        for tensor in tensors { #expect(try reader.tensor(tensor.name) == tensor.data, "\(tensor.name)") }
    }

    @Test func aFailingFillOrAMetadataOfAnotherLengthLeavesNothing() throws {
        let scratch = Scratch()
        var tensors = largeTensors()
        tensors[4].data = nil
        struct SourceGone: Error {}
        #expect(throws: SourceGone.self) {
            try ZooFileWriter.write(tensors, metadata: ZooMetadata(), graph: nil, to: scratch.file("x.zoo"), fill: { _, _ in throw SourceGone() })
        }
        #expect(throws: ZooFileError.self) {
            try ZooFileWriter.write(tensors, metadata: ZooMetadata(), graph: nil, to: scratch.file("x.zoo"))
        }
        var metadata = ZooMetadata()
        metadata.architecture = "vgg16"
        let error = #expect(throws: ZooFileError.self) {
            try ZooFileWriter.write(sampleTensors(), metadata: metadata, graph: nil, to: scratch.file("x.zoo"),
                                    finishMetadata: { $0.architecture = "resnet152" })
        }
        #expect(error?.description.contains("changed length") == true)
        #expect((try FileManager.default.contentsOfDirectory(atPath: scratch.path)).isEmpty)
    }
}
