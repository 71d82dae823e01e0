import Foundation
import Testing
@testable import ZooFormats
import ZooGraph
@testable import ZooModels

/// Models used as layers (ConvNeXt's nested Sequentials, a frozen backbone under a new head):
/// inlined into the flat graph with `Node.container`, bound from and written to every layout.
@Suite struct NestedModelTests {
    // MARK: ConvNeXt

    /// keras.applications 3.15's totals: parameters, `len(model.layers)` (each nested
    /// Sequential one layer; the residual `add` op nodes are not layers), output shape.
    static let totals: [(Architecture, String, ArchitectureOptions, total: Int, layers: Int, adds: Int, output: [Int])] = [
        (.convnexttiny, "top", ArchitectureOptions(), 28_589_128, 135, 18, [1000]),
        (.convnexttiny, "notop", ArchitectureOptions(includeTop: false), 27_820_128, 133, 18, [7, 7, 768]),
        (.convnexttiny, "max 96x64", ArchitectureOptions(includeTop: false, pooling: .max, inputShape: [96, 64, 3]), 27_820_128, 134, 18, [768]),
        (.convnextsmall, "top", ArchitectureOptions(), 50_223_688, 261, 36, [1000]),
        (.convnextsmall, "notop", ArchitectureOptions(includeTop: false), 49_454_688, 259, 36, [7, 7, 768]),
        (.convnextbase, "top", ArchitectureOptions(), 88_591_464, 261, 36, [1000]),
        (.convnextbase, "notop", ArchitectureOptions(includeTop: false), 87_566_464, 259, 36, [7, 7, 1024]),
        (.convnextlarge, "top", ArchitectureOptions(), 197_767_336, 261, 36, [1000]),
        (.convnextlarge, "notop", ArchitectureOptions(includeTop: false), 196_230_336, 259, 36, [7, 7, 1536]),
        (.convnextxlarge, "top", ArchitectureOptions(), 350_196_968, 261, 36, [1000]),
        (.convnextxlarge, "notop", ArchitectureOptions(includeTop: false), 348_147_968, 259, 36, [7, 7, 2048]),
    ]

    @Test func convNeXtMatchesKerasTotals() throws {
        for (arch, variant, options, total, layers, adds, output) in Self.totals {
            let graph = try arch.build(options)
            #expect(graph.totalParameterCount == total, "\(arch) \(variant)")
            #expect(graph.modelLayers.count == layers, "\(arch) \(variant)")
            #expect(graph.nodes.filter(\.op.isOperationNode).count == adds, "\(arch) \(variant)")
            #expect(graph.node(graph.outputs[0])?.outputShape == output, "\(arch) \(variant)")
            #expect(graph.modelLayers.filter(\.isNestedModel).map(\.className) == Array(repeating: "Sequential", count: 4), "\(arch) \(variant)")
        }
        let tiny = try Architecture.convnexttiny.build()
        #expect(tiny.node("convnext_tiny_stem_conv")?.container == "convnext_tiny_stem")
        #expect(tiny.node("convnext_tiny_downsampling_conv_2")?.container == "convnext_tiny_downsampling_block_2")
        #expect(tiny.node("convnext_tiny_stage_0_block_0_depthwise_conv")?.container == nil)
        // The block after the stem reads it under the nested model's name, as Keras lists it.
        let first = try #require(tiny.node("convnext_tiny_stage_0_block_0_depthwise_conv"))
        #expect(tiny.kerasInputs(of: first) == ["convnext_tiny_stem"])
        #expect(first.op == .conv2D(ConvAttributes(filters: 96, kernel: [7, 7], padding: .same, groups: 96)))
        #expect(first.weights.map(\.shape) == [[7, 7, 1, 96], [96]])
        #expect(tiny.node("add")?.inputs == ["convnext_tiny_stem_layernorm", "convnext_tiny_stage_0_block_0_identity"])
        #expect(Architecture.convnexttiny.kerasName == "ConvNeXtTiny" && Architecture.convnextxlarge.kerasName == "ConvNeXtXLarge")
        #expect(Architecture.convnexttiny.preprocessing == .none)
        #expect(Architecture.convnexttiny.transferPoints() == ["convnext_tiny_stem_layernorm", "add_2", "add_5", "add_14", "add_17", "convnext_tiny_head_layernorm"])
    }

    static func zeroWeights(_ graph: Graph) -> [String: [String: Weight]] {
        Dictionary(uniqueKeysWithValues: graph.nodes.filter { !$0.weights.isEmpty }.map { node in
            (node.name, Dictionary(uniqueKeysWithValues: node.weights.map { spec in
                (spec.name, Weight(name: spec.name, path: "", storedName: "\(node.name)/\(spec.name)", dtype: .float32, shape: spec.shape,
                                   data: TensorData(byteCount: spec.elementCount * 4) { $0.initializeMemory(as: UInt8.self, repeating: 0) }))
            }))
        })
    }

    /// The variant, the top and the classes come back from the weights alone in every naming:
    /// a legacy file's groups (the nested models' weights in their model's group), and a Keras 3
    /// `.weights.h5`'s `sequential/conv2d` groups.
    @Test(arguments: [NamingScheme.keras, .kerasV1, .keras3])
    func convNeXtDetection(scheme: NamingScheme) throws {
        for (arch, options) in [(Architecture.convnexttiny, ArchitectureOptions(classes: 10, inputShape: [32, 32, 3])),
                                (.convnextbase, ArchitectureOptions(includeTop: false, inputShape: [32, 32, 3]))] {
            let graph = try arch.build(options)
            var checkpoint = try BoundModel(graph: graph, weights: Self.zeroWeights(graph)).checkpoint(naming: scheme, format: scheme == .keras3 ? .keras3Weights : .kerasH5Weights)
            if scheme != .keras3 { checkpoint.layers = LegacyH5Writer.modelLayers(checkpoint) }
            checkpoint.layers = checkpoint.layers.filter { !$0.weights.isEmpty }
            let detection = try ModelDetector.detect(checkpoint, file: "m.h5")
            #expect(detection.architecture == arch, "\(scheme) \(arch)")
            #expect(detection.options.includeTop == options.includeTop, "\(scheme) \(arch)")
            #expect(detection.options.classes == options.classes, "\(scheme) \(arch)")
            var rebuilt = detection.options
            rebuilt.inputShape = options.inputShape
            let bound = try Binder.bind(checkpoint, to: try arch.build(rebuilt), scheme: detection.scheme, mode: .strict, file: "m.h5")
            #expect(bound.report.isComplete && bound.report.matched.count == graph.nodes.reduce(0) { $0 + $1.weights.count }, "\(scheme) \(arch)")
        }
    }

    // MARK: Nested models in configs

    /// tf-keras's form of `base(x, training=False)` under a head: the frozen base is a Functional
    /// whose output its readers name as call 1, and a nested Sequential after it.
    static let tfKerasConfig = """
    {"class_name": "Functional", "config": {"name": "transfer", "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 3], "dtype": "float32", "name": "image"}, "name": "image", "inbound_nodes": []},
      {"class_name": "Functional", "config": {"name": "base", "trainable": false, "layers": [
         {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 3], "name": "base_input"}, "name": "base_input", "inbound_nodes": []},
         {"class_name": "Conv2D", "config": {"name": "base_conv", "trainable": false, "filters": 4, "kernel_size": [3, 3], "padding": "same", "use_bias": false}, "name": "base_conv", "inbound_nodes": [[["base_input", 0, 0, {}]]]},
         {"class_name": "BatchNormalization", "config": {"name": "base_bn", "trainable": false, "axis": [3], "epsilon": 0.001}, "name": "base_bn", "inbound_nodes": [[["base_conv", 0, 0, {}]]]},
         {"class_name": "Add", "config": {"name": "base_add", "trainable": false}, "name": "base_add", "inbound_nodes": [[["base_conv", 0, 0, {}], ["base_bn", 0, 0, {}]]]}],
         "input_layers": [["base_input", 0, 0]], "output_layers": [["base_add", 0, 0]]},
       "name": "base", "inbound_nodes": [[["image", 0, 0, {"training": false}]]]},
      {"class_name": "Sequential", "config": {"name": "head", "layers": [
         {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 4], "name": "head_input"}},
         {"class_name": "GlobalAveragePooling2D", "config": {"name": "pool"}},
         {"class_name": "Dense", "config": {"name": "logits", "units": 2, "activation": "softmax"}}]},
       "name": "head", "inbound_nodes": [[["base", 1, 0, {}]]]}],
      "input_layers": [["image", 0, 0]], "output_layers": [["head", 1, 0]]}}
    """

    @Test func nestedModelsImportFlat() throws {
        let graph = try KerasConfigImporter.graph(fromJSON: Self.tfKerasConfig)
        #expect(graph.nodes.map(\.name) == ["image", "base_conv", "base_bn", "base_add", "pool", "logits"])
        #expect(graph.nodes.map(\.container) == [nil, "base", "base", "base", "head", "head"])
        #expect(graph.node("base_conv")?.inputs == ["image"])
        #expect(graph.node("pool")?.inputs == ["base_add"])
        #expect(graph.outputs == ["logits"])
        // The frozen base freezes its layers; the head stays trainable.
        #expect(graph.nodes.map(\.trainable) == [true, false, false, false, true, true])
        #expect(graph.modelLayers.map { "\($0.name):\($0.className)" } == ["image:InputLayer", "base:Functional", "head:Sequential"])
        #expect(graph.modelLayers[1].parameterCount == 3 * 3 * 3 * 4 + 4 * 4)
        // Read from another nested model: that model's name, as Keras's summary shows it.
        #expect(graph.kerasInputs(of: try #require(graph.node("pool"))) == ["base"])
        #expect(graph.kerasInputs(of: try #require(graph.node("base_conv"))) == ["image"])
    }

    /// Written back as nested Sequential and Functional entries (both flavors), the config
    /// reads to the same graph; a stored graph keeps the nesting.
    @Test func nestedModelsRoundTrip() throws {
        let graph = try KerasConfigImporter.graph(fromJSON: Self.tfKerasConfig)
        for flavor in [KerasConfigExporter.Flavor.keras3, .tfKeras2] {
            let text = try KerasConfigExporter.json(for: graph, flavor: flavor)
            let again = try KerasConfigImporter.graph(fromJSON: text)
            #expect(again == graph, "\(flavor)")
            let config = try KerasModelConfig(json: text, file: "config.json")
            #expect(config.layers.map(\.name) == ["image", "base", "head"], "\(flavor)")
            #expect(config.layers[1].nested.map(\.name) == ["base_input", "base_conv", "base_bn", "base_add"], "\(flavor)")
            #expect(config.layers[2].nested.map(\.name) == ["pool", "logits"], "\(flavor)")
        }
        let stored = try JSONDecoder().decode(Graph.self, from: JSONEncoder().encode(graph))
        #expect(stored == graph)
        let cut = try graph.cut(at: "base_add")
        #expect(cut.nodes.map(\.container) == [nil, "base", "base", "base"])
    }

    /// A nested model's layers are consecutive; one read from outside other than at its
    /// output cannot be written as Keras; deeper nesting is refused, naming the layers.
    @Test func nestedModelErrors() throws {
        var g = Graph()
        try g.add("in", .input(shape: [4]))
        try g.add("a", .dense(DenseAttributes(units: 4)), inputs: ["in"], container: "inner")
        try g.add("b", .dense(DenseAttributes(units: 4)), inputs: ["a"])
        #expect(throws: GraphError.self) { try g.add("c", .dense(DenseAttributes(units: 4)), inputs: ["b"], container: "inner") }
        #expect(throws: GraphError.self) { try g.add("inner", .dense(DenseAttributes(units: 4)), inputs: ["b"]) }
        #expect(throws: GraphError.self) { try g.add("d", .dense(DenseAttributes(units: 4)), inputs: ["b"], container: "b") }
        var leaky = Graph()
        try leaky.add("in", .input(shape: [4]))
        try leaky.add("a", .dense(DenseAttributes(units: 4)), inputs: ["in"], container: "inner")
        try leaky.add("b", .dense(DenseAttributes(units: 4)), inputs: ["a"], container: "inner")
        try leaky.add("c", .add, inputs: ["a", "b"])
        #expect(throws: GraphError.self) { try KerasConfigExporter.json(for: leaky) }
        let deep = Self.tfKerasConfig.replacingOccurrences(of: #"{"class_name": "GlobalAveragePooling2D", "config": {"name": "pool"}}"#,
                                                           with: #"{"class_name": "Sequential", "config": {"name": "deeper", "layers": [{"class_name": "GlobalAveragePooling2D", "config": {"name": "pool"}}]}}"#)
        #expect(deep != Self.tfKerasConfig)
        let error = #expect(throws: GraphError.self) { try KerasConfigImporter.graph(fromJSON: deep) }
        #expect(error.map { "\($0)".contains("deeper") && "\($0)".contains("one level") } == true)
    }

    // MARK: Files

    /// Distinct values per weight, so a swap between two layers would show.
    static func seeded(_ graph: Graph) -> [String: [String: Weight]] {
        var counter: Float = 1
        return Dictionary(uniqueKeysWithValues: graph.nodes.filter { !$0.weights.isEmpty }.map { node in
            (node.name, Dictionary(uniqueKeysWithValues: node.weights.map { spec in
                let values = (0..<spec.elementCount).map { Float($0) / 64 + counter }
                counter += 10
                return (spec.name, Weight(name: spec.name, path: "", storedName: "\(node.name)/\(spec.name)", dtype: .float32, shape: spec.shape,
                                          data: TensorData(values: values)))
            }))
        })
    }

    /// Legacy `.h5` (weights-only and full), `.weights.h5` and `.keras` written from a nested
    /// graph read back and bind with every value in place; the legacy group lists the nested
    /// model's weights trainable first (Keras's `trainable_weights + non_trainable_weights`).
    @Test(arguments: [CheckpointFormat.kerasH5Weights, .kerasH5Model, .keras3Weights, .kerasArchive])
    func filesRoundTrip(format: CheckpointFormat) throws {
        var graph = try KerasConfigImporter.graph(fromJSON: Self.tfKerasConfig)
        try graph.setTrainable("base_bn", true)  // a trainable BN inside: its moving stats still go last
        let weights = Self.seeded(graph)
        let model = BoundModel(graph: graph, weights: weights)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nested-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let name = ["kerasH5Weights": "m.h5", "kerasH5Model": "m.model.h5", "keras3Weights": "m.weights.h5", "kerasArchive": "m.keras"]["\(format)"] ?? "m"
        let path = directory.appendingPathComponent(name).path
        let config = format == .kerasH5Model ? try KerasConfigExporter.json(for: graph, flavor: .tfKeras2)
            : format == .kerasArchive ? try KerasConfigExporter.json(for: graph) : nil
        try CheckpointWriter.write(model.checkpoint(format: format, modelConfig: config), to: path, format: format)
        let read = try CheckpointReader.read(path)
        if format == .kerasH5Weights || format == .kerasH5Model {
            let base = try #require(read.layers.first { $0.name == "base" })
            // base_conv is frozen, so its kernel goes with the non-trainable weights.
            #expect(base.weights.map(\.storedName) == ["base/base_bn/gamma", "base/base_bn/beta", "base/base_conv/kernel",
                                                       "base/base_bn/moving_mean", "base/base_bn/moving_variance"])
            #expect(read.layers.map(\.name) == ["image", "base", "head"])
        }
        let target = config.map { try? KerasConfigImporter.graph(fromJSON: $0) } ?? graph
        let bound = try Binder.bind(read, to: try #require(target), scheme: format == .keras3Weights ? .keras3 : .keras, mode: .strict, file: path)
        #expect(bound.report.isComplete && bound.report.matched.count == 7, "\(bound.report.summaryLine)")
        for (layer, byName) in weights {
            for (weightName, weight) in byName {
                let got = try #require(bound.weights[layer]?[weightName], "\(layer)/\(weightName)")
                #expect(DTypeConversion.floats(got) == DTypeConversion.floats(weight), "\(format) \(layer)/\(weightName)")
            }
        }
    }
}
