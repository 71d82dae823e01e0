import Foundation
import Testing
import ZooFormats
import ZooGraph
import ZooNative
@testable import ZooModels

/// A folder under the temporary directory, removed with the value.
final class StreamingScratch {
    let path = NSTemporaryDirectory() + "zoo-streaming-" + UUID().uuidString
    init() { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    func file(_ name: String) -> String { path + "/" + name }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

@Suite(.serialized) struct StreamingExportTests {
    /// VGG16 without top (58 MB of distinct float32 values): many staging buffers' worth.
    static let vgg = try! Architecture.vgg16.build(ArchitectureOptions(includeTop: false))

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// The whole-checkpoint path: read everything, bind, hash, write.
    func writeHeld(_ input: String, to output: String) throws {
        let loaded = try ModelLoader(mode: .strict).load(input)
        try ZooExport.write(loaded, sourceFile: URL(fileURLWithPath: input).lastPathComponent,
                            sourceSHA256: try SHA256.hexDigest(ofFile: input), to: output, options: .init())
    }

    @Test(arguments: [CheckpointFormat.kerasH5Weights, .kerasH5Model, .keras3Weights])
    func streamingGivesTheSameFileAsReadingEverything(format: CheckpointFormat) throws {
        let scratch = StreamingScratch()
        let source = scratch.file(format == .keras3Weights ? "vgg.weights.h5" : format == .kerasH5Model ? "vgg.model.h5" : "vgg.h5")
        var checkpoint = syntheticCheckpoint(Self.vgg)
        checkpoint.kerasVersion = "3.15.1"
        if format == .kerasH5Model { checkpoint.modelConfig = try KerasConfigExporter.json(for: Self.vgg) }
        try CheckpointWriter.write(checkpoint, to: source, format: format)

        try writeHeld(source, to: scratch.file("held.zoo"))
        let structure = try #require(try ZooExport.convertStreaming(source, sourceFile: URL(fileURLWithPath: source).lastPathComponent,
                                                                    to: scratch.file("streamed.zoo"), loader: ModelLoader(mode: .strict), options: .init()))
        #expect(structure.allWeights.count == 26)
        #expect(structure.parameterCount == 14_714_688)
        #expect(structure.byteCount == 0, "the structure carries no weight data")
        #expect(try bytes(scratch.file("streamed.zoo")) == (try bytes(scratch.file("held.zoo"))))

        let reader = try ZooFileReader(path: scratch.file("streamed.zoo"), verification: .eager)
        try reader.verify()
        #expect(try reader.metadata().source?.sha256 == (try SHA256.hexDigest(ofFile: source)))
        #expect(try reader.metadata().architecture == (format == .kerasH5Model ? nil : "vgg16"))
        for node in Self.vgg.nodes {
            for spec in node.weights {
                #expect(try reader.tensor("\(node.name)/\(spec.name)") == sourceData(checkpoint, node.name, spec.name), "\(node.name)/\(spec.name)")
            }
        }
    }

    @Test func requestsTheStreamCannotServeWriteNothing() throws {
        let scratch = StreamingScratch()
        let source = scratch.file("vgg.h5")
        try CheckpointWriter.write(syntheticCheckpoint(Self.vgg), to: source, format: .kerasH5Weights)
        let output = scratch.file("out.zoo")
        let loader = ModelLoader(mode: .strict)
        // Both need the weights in memory: a dtype conversion, and folding a graph with BatchNorm.
        #expect(try ZooExport.convertStreaming(source, sourceFile: "vgg.h5", to: output, loader: loader, options: .init(dtype: .float16)) == nil)
        let tiny = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/tiny.model.h5").path
        #expect(try ZooExport.convertStreaming(tiny, sourceFile: "tiny.model.h5", to: output, loader: loader, options: .init(foldBatchNorm: true)) == nil)
        // Torchvision layouts are permuted while binding.
        let torch = scratch.file("torch.h5")
        let bound = try Binder.bind(syntheticCheckpoint(Self.vgg), to: Self.vgg, scheme: .keras, mode: .strict, file: source)
        try CheckpointWriter.write(try bound.checkpoint(naming: .torchvision, format: .kerasH5Weights), to: torch, format: .kerasH5Weights)
        #expect(try ZooExport.convertStreaming(torch, sourceFile: "torch.h5", to: output, loader: loader, options: .init()) == nil)
        // Not an HDF5 file, and one that does not bind.
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: scratch.file("junk.h5")))
        #expect(try ZooExport.convertStreaming(scratch.file("junk.h5"), sourceFile: "junk.h5", to: output, loader: loader, options: .init()) == nil)
        #expect(try ZooExport.convertStreaming(source, sourceFile: "vgg.h5", to: output, loader: ModelLoader(architecture: .resnet50, mode: .strict), options: .init()) == nil)
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect((try FileManager.default.contentsOfDirectory(atPath: scratch.path)).sorted() == ["junk.h5", "torch.h5", "vgg.h5"])
    }

    /// Packed kernels (and folding a graph with no BatchNorm, VGG) stream too: each kernel goes
    /// from the source into the output's panels in pieces, and the file is byte for byte the one
    /// written from the fully read model.
    @Test func packedStreamingGivesTheSameFileAsReadingEverything() throws {
        let scratch = StreamingScratch()
        let source = scratch.file("vgg.h5")
        try CheckpointWriter.write(syntheticCheckpoint(Self.vgg), to: source, format: .kerasH5Weights)
        var options = ZooExport.Options(foldBatchNorm: true)
        options.packKernel = { node, _ in if case .conv2D = node.op { true } else { false } }
        let loaded = try ModelLoader(mode: .strict).load(source)
        try ZooExport.write(loaded, sourceFile: "vgg.h5", sourceSHA256: try SHA256.hexDigest(ofFile: source), to: scratch.file("held.zoo"), options: options)
        let structure = try ZooExport.convertStreaming(source, sourceFile: "vgg.h5", to: scratch.file("streamed.zoo"), loader: ModelLoader(mode: .strict), options: options)
        #expect(structure != nil)
        #expect(try bytes(scratch.file("streamed.zoo")) == (try bytes(scratch.file("held.zoo"))))
        let reader = try ZooFileReader(path: scratch.file("streamed.zoo"), verification: .eager)
        try reader.verify()
        let kernel = try reader.tensor("block1_conv1/kernel")
        let plain = try #require(sourceData(syntheticCheckpoint(Self.vgg), "block1_conv1", "kernel"))
        #expect(kernel.count == PackedKernel.byteCount(shape: [3, 3, 3, 64]))
        #expect(PackedKernel.deferredPlain(kernel, shape: [3, 3, 3, 64]) == plain, "the panels hold the plain values")
    }
}
