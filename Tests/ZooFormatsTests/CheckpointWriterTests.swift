import Foundation
import Testing
import ZooHDF5
@testable import ZooFormats

@Suite struct CheckpointWriterTests {
    /// Layers with weights, by the name Keras knows them by, with their weight bytes.
    func weightsByLayer(_ checkpoint: Checkpoint) -> [String: [TensorData]] {
        Dictionary(checkpoint.layers.filter { !$0.weights.isEmpty }.map { ($0.kerasName ?? $0.name, $0.weights.map(\.data)) },
                   uniquingKeysWith: { a, _ in a })
    }

    @Test(arguments: ["tiny.legacy.h5", "tiny.tfera.h5", "tiny.f16.h5", "tiny.split.h5"])
    func legacyRoundTripIsLossless(name: String) throws {
        let dir = TemporaryDirectory()
        let source = try CheckpointReader.read(Fixtures.path(name))
        let out = dir.file("out.h5")
        try CheckpointWriter.write(source, to: out, format: .kerasH5Weights)
        let back = try CheckpointReader.read(out)
        #expect(back.format == .kerasH5Weights)
        #expect(back.layers.map(\.name) == source.layers.map(\.name))
        #expect(back.allWeights.map(\.weight) == source.allWeights.map(\.weight))
        #expect(back.kerasVersion == source.kerasVersion)
        #expect(back.backend == source.backend)
    }

    /// tf-keras's MobileNetV3 names layers `a/b/pad` before `a/b`: the groups are made sorted
    /// by name as tf-keras makes them (else `a/b` already exists), `layer_names` keeps the order.
    @Test func slashedLayerNamesNestLikeTfKeras() throws {
        let dir = TemporaryDirectory()
        func weight(_ layer: String, _ value: Float) -> Weight {
            Weight(name: "kernel", path: "", storedName: "\(layer)/kernel:0", dtype: .float32, shape: [1],
                   data: withUnsafeBytes(of: value) { TensorData(copying: $0) })
        }
        let layers = [CheckpointLayer(name: "block/depthwise/pad", weights: []),
                      CheckpointLayer(name: "block/depthwise", weights: [weight("block/depthwise", 1)]),
                      CheckpointLayer(name: "block/depthwise/BatchNorm", weights: [weight("block/depthwise/BatchNorm", 2)])]
        let out = dir.file("slashed.h5")
        try CheckpointWriter.write(Checkpoint(format: .kerasH5Weights, layers: layers), to: out, format: .kerasH5Weights)
        let back = try CheckpointReader.read(out)
        #expect(back.layers.map(\.name) == layers.map(\.name))
        #expect(back.layers.map { $0.weights.map(\.storedName) } == layers.map { $0.weights.map(\.storedName) })
        #expect(back.allWeights.map(\.weight.data) == layers.flatMap(\.weights).map(\.data))
    }

    @Test func longLayerNameListsAreSplitLikeKeras() throws {
        let dir = TemporaryDirectory()
        let source = try CheckpointReader.read(Fixtures.path("tiny.split.h5"))
        let out = dir.file("split.h5")
        try CheckpointWriter.write(source, to: out, format: .kerasH5Weights)
        let root = try HDF5File.open(out).root()
        #expect(try !root.hasAttribute("layer_names"))
        let original = try HDF5File.open(Fixtures.path("tiny.split.h5")).root()
        // Same number of chunks with the same entries as Keras's own split.
        var index = 0
        while try original.hasAttribute("layer_names\(index)") {
            #expect(try root.attribute("layer_names\(index)")?.stringList == original.attribute("layer_names\(index)")?.stringList)
            index += 1
        }
        #expect(index >= 2)
        #expect(try !root.hasAttribute("layer_names\(index)"))
        #expect(LegacyH5Writer.chunkSizes(41, 2) == [21, 20])
    }

    @Test func keras3LayoutFromALegacyFileUsesClassCounters() throws {
        let dir = TemporaryDirectory()
        let source = try CheckpointReader.read(Fixtures.path("tiny.tfera.h5"))
        let out = dir.file("x.weights.h5")
        try CheckpointWriter.write(source, to: out, format: .keras3Weights)
        let back = try CheckpointReader.read(out)
        #expect(back.format == .keras3Weights)
        // The reference layout Keras itself wrote for the same model.
        let reference = try CheckpointReader.read(Fixtures.path("tiny.weights.h5"))
        #expect(Set(back.layers.filter { !$0.weights.isEmpty }.map(\.name)) == Set(reference.layers.filter { !$0.weights.isEmpty }.map(\.name)))
        for layer in back.layers where !layer.weights.isEmpty {
            let twin = try #require(reference.layers.first { $0.name == layer.name })
            #expect(layer.kerasName == twin.kerasName)
            #expect(layer.weights.map(\.data) == twin.weights.map(\.data), "\(layer.name)")
            #expect(layer.weights.map(\.path) == twin.weights.map(\.path))
        }
    }

    @Test(arguments: [CheckpointFormat.kerasH5Weights, .kerasH5Model, .keras3Weights, .kerasArchive])
    func archiveConvertsToEveryLayoutAndBack(format: CheckpointFormat) throws {
        let dir = TemporaryDirectory()
        let source = try CheckpointReader.read(Fixtures.path("tiny.keras"))
        let out = dir.file("out.bin")
        try CheckpointWriter.write(source, to: out, format: format)
        let back = try CheckpointReader.read(out)
        #expect(back.format == format)
        #expect(weightsByLayer(back) == weightsByLayer(source))
        if format == .kerasH5Model || format == .kerasArchive {
            #expect(back.modelConfig == source.modelConfig)
            #expect(back.layers.map(\.name) == source.layers.map(\.name))
        }
    }

    @Test func fullModelRoundTripKeepsConfigsAndVersions() throws {
        let dir = TemporaryDirectory()
        let source = try CheckpointReader.read(Fixtures.path("tiny.model.h5"))
        let out = dir.file("m.h5")
        try CheckpointWriter.write(source, to: out, format: .kerasH5Model)
        let back = try CheckpointReader.read(out)
        #expect(back == source.with { $0.layers = back.layers })
        #expect(back.allWeights.map(\.weight) == source.allWeights.map(\.weight))
        #expect(back.trainingConfig == source.trainingConfig)
    }

    @Test func bfloat16AndIntegerWeightsRoundTrip() throws {
        let dir = TemporaryDirectory()
        let bf16: [UInt16] = [0x3F80, 0xC000, 0x4049]  // 1, -2, ~3.14
        let layer = CheckpointLayer(name: "dense", className: "Dense", weights: [
            Weight(name: "kernel", path: "", storedName: "dense/kernel", dtype: .bfloat16, shape: [3, 1], data: TensorData(values: bf16)),
            Weight(name: "bias", path: "", storedName: "dense/bias", dtype: .int32, shape: [1], data: TensorData(values: [Int32(-5)])),
        ])
        let checkpoint = Checkpoint(format: .kerasH5Weights, layers: [layer])
        for format in [CheckpointFormat.kerasH5Weights, .keras3Weights] {
            let out = dir.file("bf16-\(format.rawValue).h5")
            try CheckpointWriter.write(checkpoint, to: out, format: format)
            let back = try CheckpointReader.read(out)
            let weights = try #require(back.layers.first { !$0.weights.isEmpty }).weights
            #expect(weights.map(\.dtype) == [.bfloat16, .int32])
            #expect(weights[0].data.array(of: UInt16.self) == bf16)
            #expect(floatValues(weights[0]) == [1, -2, 3.140625])
            #expect(weights[1].data.array(of: Int32.self) == [-5])
        }
    }

    @Test func failedWritesLeaveNothingAndKeepTheOldFile() throws {
        let dir = TemporaryDirectory()
        let weightsOnly = try CheckpointReader.read(Fixtures.path("tiny.legacy.h5"))
        // A full model needs a config this checkpoint lacks.
        let target = dir.file("model.h5")
        #expect(throws: FormatError.self) { try CheckpointWriter.write(weightsOnly, to: target, format: .kerasH5Model) }
        #expect(dir.contents.isEmpty)
        // An existing good file survives a failed overwrite untouched.
        try Data("good".utf8).write(to: URL(fileURLWithPath: target))
        #expect(throws: FormatError.self) { try CheckpointWriter.write(weightsOnly, to: target, format: .kerasArchive) }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "good")
        #expect(dir.contents == ["model.h5"])
        // A layer whose class cannot be told cannot go to the Keras 3 layout.
        var odd = weightsOnly
        odd.layers[1].className = nil
        #expect(throws: FormatError.self) { try CheckpointWriter.write(odd, to: dir.file("odd.weights.h5"), format: .keras3Weights) }
        #expect(dir.contents == ["model.h5"])
        // A missing output directory is an error that names it.
        do {
            try CheckpointWriter.write(weightsOnly, to: dir.file("no/such/dir/x.h5"), format: .kerasH5Weights)
            Issue.record("writing into a missing directory succeeded")
        } catch {
            #expect("\(error)".contains("does not exist"))
        }
    }

    @Test func outputLayoutGuessesFromNames() {
        #expect(CheckpointFormat.guess(fromOutputName: "a.weights.h5") == .keras3Weights)
        #expect(CheckpointFormat.guess(fromOutputName: "a.keras") == .kerasArchive)
        #expect(CheckpointFormat.guess(fromOutputName: "a.model.h5") == .kerasH5Model)
        #expect(CheckpointFormat.guess(fromOutputName: "resnet50_weights_tf_dim_ordering_tf_kernels.h5") == .kerasH5Weights)
        #expect(CheckpointFormat.guess(fromOutputName: "a.bin") == nil)
    }
}

extension Checkpoint {
    func with(_ change: (inout Checkpoint) -> Void) -> Checkpoint {
        var copy = self
        change(&copy)
        return copy
    }
}
