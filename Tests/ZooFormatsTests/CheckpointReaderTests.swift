import Foundation
import Testing
import ZooHDF5
@testable import ZooFormats

@Suite struct CheckpointReaderTests {
    @Test(arguments: Fixtures.good)
    func detectsTheLayoutFromContent(name: String, format: CheckpointFormat) throws {
        #expect(try CheckpointReader.detectFormat(Fixtures.path(name)) == format)
        // A misleading file name changes nothing.
        let dir = TemporaryDirectory()
        let renamed = dir.file("renamed.weights.h5")
        try FileManager.default.copyItem(atPath: Fixtures.path(name), toPath: renamed)
        #expect(try CheckpointReader.detectFormat(renamed) == format)
    }

    @Test(arguments: Fixtures.good.map(\.0))
    func readsEveryWeightAsH5pySawIt(name: String) throws {
        let checkpoint = try CheckpointReader.read(Fixtures.path(name))
        let expected = try Fixtures.expected(name)
        #expect(checkpoint.format.rawValue == expected.format)
        #expect(checkpoint.kerasVersion == expected.keras_version)
        #expect(checkpoint.backend == expected.backend)
        #expect(checkpoint.parameterCount == expected.total_params)
        // Keras 3 .weights.h5 files do not record layer order: compare those by name.
        let unordered = checkpoint.format == .keras3Weights
        let got = unordered ? checkpoint.layers.sorted { $0.name < $1.name } : checkpoint.layers
        let want = unordered ? expected.layers.sorted { $0.name < $1.name } : expected.layers
        #expect(got.map(\.name) == want.map(\.name))
        for (layer, expectedLayer) in zip(got, want) {
            #expect(layer.weights.map(\.name) == expectedLayer.weights.map(\.name), "\(layer.name)")
            for (weight, expectedWeight) in zip(layer.weights, expectedLayer.weights) {
                #expect(weight.path == expectedWeight.path)
                #expect(weight.shape == expectedWeight.shape)
                #expect(weight.dtype.rawValue == expectedWeight.dtype)
                let values = floatValues(weight)
                #expect(Array(values.prefix(expectedWeight.first.count)) == expectedWeight.first, "\(weight.path)")
                let sum = TensorStatistics(weight.data, dtype: weight.dtype).sum
                #expect(abs(sum - expectedWeight.sum) <= 1e-9 * max(1, abs(expectedWeight.sum)), "\(weight.path)")
            }
        }
    }

    @Test func legacyFilesKeepTheirStoredNamesAndEra() throws {
        let tfera = try CheckpointReader.read(Fixtures.path("tiny.tfera.h5"))
        let conv1 = try #require(tfera.layers.first { $0.name == "conv1" })
        #expect(conv1.weights.map(\.storedName) == ["conv1/kernel:0", "conv1/bias:0"])
        #expect(conv1.weights.map(\.path) == ["conv1/conv1/kernel:0", "conv1/conv1/bias:0"])
        #expect(conv1.className == "Conv2D")
        #expect(tfera.layers.first { $0.name == "dw" }?.className == "DepthwiseConv2D")
        #expect(tfera.layers.first { $0.name == "bn1" }?.className == "BatchNormalization")
        #expect(tfera.layers.first { $0.name == "fc" }?.className == "Dense")
    }

    @Test func splitLayerNamesAreJoinedInOrder() throws {
        let file = try HDF5File.open(Fixtures.path("tiny.split.h5"))
        let root = try file.root()
        #expect(try root.hasAttribute("layer_names0"))
        #expect(try !root.hasAttribute("layer_names"))
        let checkpoint = try CheckpointReader.read(Fixtures.path("tiny.split.h5"))
        let dense = checkpoint.layers.filter { !$0.weights.isEmpty }
        #expect(dense.count == 40)
        #expect(dense.first?.name.hasPrefix("dense_block_00") == true)
        #expect(dense.last?.name.hasPrefix("dense_block_39") == true)
    }

    @Test func fullModelFilesCarryConfigAndClasses() throws {
        let checkpoint = try CheckpointReader.read(Fixtures.path("tiny.model.h5"))
        let config = try #require(checkpoint.modelConfig)
        let expectedConfig = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.directory.appendingPathComponent("expected/tiny.model_config.json"))) as? NSDictionary
        let gotConfig = try JSONSerialization.jsonObject(with: Data(config.utf8)) as? NSDictionary
        #expect(gotConfig == expectedConfig)
        #expect(checkpoint.trainingConfig?.contains("optimizer") == true)
        let classes = try Fixtures.expected("tiny.model.h5").layer_classes ?? [:]
        for layer in checkpoint.layers { #expect(layer.className == classes[layer.name], "\(layer.name)") }
        // Optimizer state is not model weight.
        #expect(!checkpoint.layers.contains { $0.name.contains("optimizer") })
    }

    @Test func archivesGetRealNamesAndModelOrder() throws {
        let checkpoint = try CheckpointReader.read(Fixtures.path("tiny.keras"))
        #expect(checkpoint.layers.map(\.name) == ["input_layer", "conv1", "bn1", "activation", "conv2", "dw", "bn2", "add",
                                                  "max_pooling2d", "global_average_pooling2d", "fc"])
        #expect(checkpoint.layers.first { $0.name == "conv2" }?.weights.map(\.path) == ["layers/conv2d_1/vars/0"])
        #expect(checkpoint.modelConfig?.contains("\"Functional\"") == true)
        // The same weights as the Keras 3 weights file, bit for bit.
        let weightsFile = try CheckpointReader.read(Fixtures.path("tiny.weights.h5"))
        for layer in checkpoint.layers where !layer.weights.isEmpty {
            let group = String(layer.weights[0].path.split(separator: "/")[1])
            let twin = try #require(weightsFile.layers.first { $0.name == group })
            #expect(twin.kerasName == layer.name)
            #expect(twin.weights.map(\.data) == layer.weights.map(\.data))
        }
    }

    @Test func keras3GroupsAreSortedByClassThenCounter() throws {
        let checkpoint = try CheckpointReader.read(Fixtures.path("tiny.weights.h5"))
        let names = checkpoint.layers.map(\.name)
        #expect(names.firstIndex(of: "conv2d")! < names.firstIndex(of: "conv2d_1")!)
        #expect(checkpoint.layers.first { $0.name == "conv2d_1" }?.weights.map(\.name) == ["kernel"])
        #expect(checkpoint.layers.first { $0.name == "depthwise_conv2d" }?.className == "DepthwiseConv2D")
        #expect(Keras3WeightsReader.naturalSorted(["conv2d_10", "conv2d_2", "conv2d", "10", "9"]) == ["9", "10", "conv2d", "conv2d_2", "conv2d_10"])
    }

    @Test func mixedDTypesAreReported() throws {
        let checkpoint = try CheckpointReader.read(Fixtures.path("tiny.f16.h5"))
        let dtypes = Set(checkpoint.allWeights.map(\.weight.dtype))
        #expect(dtypes == [.float16, .float64])
        #expect(checkpoint.layers.first { $0.name == "fc" }?.weights.last?.dtype == .float64)
    }
}
