import Foundation
import Testing
import ZooFormats
import ZooGraph
@testable import ZooModels

/// A checkpoint for `graph` in Keras naming whose every element is distinct, so any swap,
/// transpose or misplacement changes values.
func syntheticCheckpoint(_ graph: Graph, format: CheckpointFormat = .kerasH5Weights) -> Checkpoint {
    var counter: Float = 0
    let layers = graph.nodes.map { node in
        CheckpointLayer(name: node.name, className: node.op.kerasClassName, weights: node.weights.map { spec in
            let start = counter
            counter += Float(spec.elementCount)
            let data = TensorData(byteCount: spec.elementCount * 4) { raw in
                let floats = raw.bindMemory(to: Float.self)
                for i in 0..<floats.count { floats[i] = start + Float(i) }
            }
            return Weight(name: spec.name, path: "", storedName: "\(node.name)/\(spec.name)", dtype: .float32, shape: spec.shape, data: data)
        })
    }
    return Checkpoint(format: format, layers: layers)
}

func sourceData(_ checkpoint: Checkpoint, _ layer: String, _ weight: String) -> TensorData? {
    checkpoint.layers.first { $0.name == layer }?.weights.first { $0.name == weight }?.data
}

@Suite struct BinderTests {
    static let resnet = try! Architecture.resnet50.build(ArchitectureOptions(includeTop: true, classes: 10))

    @Test func kerasNamesBindCompletely() throws {
        let source = syntheticCheckpoint(Self.resnet)
        let model = try Binder.bind(source, to: Self.resnet, scheme: .keras, mode: .strict, file: "x.h5")
        #expect(model.report.isComplete)
        #expect(model.report.matched.count == 320)
        for node in Self.resnet.nodes {
            for spec in node.weights {
                #expect(model.weights[node.name]?[spec.name]?.data == sourceData(source, node.name, spec.name), "\(node.name)/\(spec.name)")
            }
        }
    }

    @Test func kerasV1FilesBindByMeaningNotOrder() throws {
        let source = syntheticCheckpoint(Self.resnet)
        let keras = try Binder.bind(source, to: Self.resnet, scheme: .keras, mode: .strict, file: "x")
        let v1 = try keras.checkpoint(naming: .kerasV1, format: .kerasH5Weights)
        #expect(v1.layers.map(\.name).prefix(4) == ["conv1", "bn_conv1", "res2a_branch2a", "bn2a_branch2a"])
        #expect(NamingScheme.detect(v1) == .kerasV1)
        let detection = try ModelDetector.detect(v1, file: "v1.h5")
        #expect(detection.architecture == .resnet50)
        #expect(detection.scheme == .kerasV1)
        #expect(detection.options.batchNormEpsilon == 1e-3)
        #expect(detection.options.classes == 10)
        let graph = try detection.architecture.build(detection.options)
        if case .batchNormalization(let bn) = graph.node("conv1_bn")?.op { #expect(bn.epsilon == 1e-3) } else { Issue.record("no conv1_bn") }
        let model = try Binder.bind(v1, to: graph, scheme: .kerasV1, mode: .strict, file: "v1.h5")
        // The shortcut conv and the last conv of a block have the same shape; they must not swap.
        #expect(model.weights["conv2_block1_0_conv"]?["kernel"]?.data == sourceData(source, "conv2_block1_0_conv", "kernel"))
        #expect(model.weights["conv2_block1_3_conv"]?["kernel"]?.data == sourceData(source, "conv2_block1_3_conv", "kernel"))
        #expect(model.weights["conv2_block1_0_conv"]?["kernel"]?.data != model.weights["conv2_block1_3_conv"]?["kernel"]?.data)
        #expect(model.weights["predictions"]?["kernel"]?.data == sourceData(source, "predictions", "kernel"))
    }

    @Test func keras3ObjectPathsBindThroughLayerOrder() throws {
        let dir = NSTemporaryDirectory() + "binder-\(UUID().uuidString).weights.h5"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = syntheticCheckpoint(Self.resnet)
        try CheckpointWriter.write(source, to: dir, format: .keras3Weights)
        let file = try CheckpointReader.read(dir)
        #expect(file.layers.contains { $0.name == "conv2d_52" })
        #expect(NamingScheme.detect(file) == .keras3)
        let detection = try ModelDetector.detect(file, file: dir)
        #expect(detection.architecture == .resnet50)
        let model = try Binder.bind(file, to: Self.resnet, scheme: .keras3, mode: .strict, file: dir)
        #expect(model.report.matched.count == 320)
        for name in ["conv2_block1_0_conv", "conv2_block1_3_conv", "conv5_block3_3_bn", "predictions"] {
            let specs: [WeightSpec] = Self.resnet.node(name)?.weights ?? []
            for spec in specs {
                let bound: TensorData? = model.weights[name]?[spec.name]?.data
                #expect(bound == sourceData(source, name, spec.name), "\(name)/\(spec.name)")
            }
        }
    }

    @Test func torchvisionVGGRoundTripsThroughItsLayouts() throws {
        let vgg = try Architecture.vgg16.build(ArchitectureOptions(classes: 7, inputShape: [64, 64, 3]))
        let source = syntheticCheckpoint(vgg)
        let keras = try Binder.bind(source, to: vgg, scheme: .keras, mode: .strict, file: "x")
        let torch = try keras.checkpoint(naming: .torchvision, format: .kerasH5Weights)
        #expect(torch.layers.map(\.name) == ["features.0", "features.2", "features.5", "features.7", "features.10", "features.12", "features.14",
                                             "features.17", "features.19", "features.21", "features.24", "features.26", "features.28",
                                             "classifier.0", "classifier.3", "classifier.6"])
        let conv = try #require(torch.layers.first?.weights.first)
        #expect(conv.shape == [64, 3, 3, 3])
        // OIHW element (o=1, i=2, h=0, w=1) is Keras HWIO element (h=0, w=1, i=2, o=1).
        let keras0: [Float] = try #require(sourceData(source, "block1_conv1", "kernel")).array(of: Float.self)
        let torch0: [Float] = conv.data.array(of: Float.self)
        let torchIndex: Int = ((1 * 3 + 2) * 3 + 0) * 3 + 1
        let kerasIndex: Int = ((0 * 3 + 1) * 3 + 2) * 64 + 1
        #expect(torch0[torchIndex] == keras0[kerasIndex])
        let fc1 = try #require(torch.layers.first { $0.name == "classifier.0" }?.weights.first)
        #expect(fc1.shape == [4096, 2 * 2 * 512])
        // Row o, NCHW input (c=5, h=1, w=0) is Keras row NHWC (h=1, w=0, c=5), column o.
        let kerasFC1: [Float] = try #require(sourceData(source, "fc1", "kernel")).array(of: Float.self)
        let torchFC1: [Float] = fc1.data.array(of: Float.self)
        let (o, c, h, w) = (3, 5, 1, 0)
        let torchRow: Int = o * 2048 + (c * 2 + h) * 2 + w
        let kerasRow: Int = ((h * 2 + w) * 512 + c) * 4096 + o
        #expect(torchFC1[torchRow] == kerasFC1[kerasRow])
        #expect(NamingScheme.detect(torch) == .torchvision)
        let back = try Binder.bind(torch, to: vgg, scheme: .torchvision, mode: .strict, file: "t")
        for node in vgg.nodes {
            for spec in node.weights {
                #expect(back.weights[node.name]?[spec.name]?.data == sourceData(source, node.name, spec.name), "\(node.name)/\(spec.name)")
            }
        }
    }

    @Test func torchvisionResNetHasNoConvBiases() throws {
        let source = syntheticCheckpoint(Self.resnet)
        let keras = try Binder.bind(source, to: Self.resnet, scheme: .keras, mode: .strict, file: "x")
        let torch = try keras.checkpoint(naming: .torchvision, format: .kerasH5Weights)
        #expect(torch.layers.contains { $0.name == "layer1.0.downsample.0" })
        #expect(torch.layers.first { $0.name == "layer3.5.bn2" }?.weights.map(\.name) == ["weight", "bias", "running_mean", "running_var"])
        #expect(torch.layers.first { $0.name == "fc" }?.weights.first?.shape == [10, 2048])
        let back = try Binder.bind(torch, to: Self.resnet, scheme: .torchvision, mode: .strict, file: "t")
        #expect(back.report.zeroFilled.count == 53)
        #expect(back.report.zeroFilled.allSatisfy { $0.hasSuffix("_conv/bias") })
        #expect(back.weights["conv1_conv"]?["bias"]?.data.array(of: Float.self) == [Float](repeating: 0, count: 64))
        #expect(back.report.isComplete)
        #expect(back.weights["conv3_block2_2_conv"]?["kernel"]?.data == sourceData(source, "conv3_block2_2_conv", "kernel"))
    }

    @Test func reportListsEveryProblemAtOnce() throws {
        var source = syntheticCheckpoint(Self.resnet)
        source.layers.removeAll { $0.name == "conv3_block2_1_conv" }
        let index = try #require(source.layers.firstIndex { $0.name == "predictions" })
        source.layers[index].weights[0].shape = [2048, 11]
        source.layers.append(CheckpointLayer(name: "extra_dense", weights: [
            Weight(name: "kernel", path: "", storedName: "extra_dense/kernel", dtype: .float32, shape: [1], data: TensorData(values: [Float(1)]))]))
        do {
            _ = try Binder.bind(source, to: Self.resnet, scheme: .keras, mode: .strict, file: "bad.h5")
            Issue.record("strict binding accepted a broken file")
        } catch BindingError.incomplete(let file, let report) {
            #expect(file == "bad.h5")
            #expect(report.missing == ["conv3_block2_1_conv/kernel", "conv3_block2_1_conv/bias"])
            #expect(report.mismatched == [.init(name: "predictions/kernel", expected: [2048, 10], found: [2048, 11])])
            #expect(report.unexpected == ["extra_dense/kernel"])
            #expect(report.matched.count == 317)
        }
        let lenient = try Binder.bind(source, to: Self.resnet, scheme: .keras, mode: .lenient, file: "bad.h5")
        #expect(lenient.weights["conv3_block2_1_conv"] == nil)
        #expect(lenient.weights["predictions"]?["kernel"] == nil)
        #expect(lenient.weights["predictions"]?["bias"] != nil)
        #expect(lenient.report.text.contains("mismatched: predictions/kernel expected [2048, 10] found [2048, 11]"))
    }

    @Test func architecturesAreDetectedFromNames() throws {
        for (arch, options) in [(Architecture.vgg19, ArchitectureOptions(includeTop: false)), (.resnet101, ArchitectureOptions(includeTop: false)),
                                (.vgg16, ArchitectureOptions()), (.resnet152, ArchitectureOptions(classes: 5))] {
            let graph = try arch.build(options)
            let names = Checkpoint(format: .kerasH5Weights, layers: graph.nodes.map { node in
                CheckpointLayer(name: node.name, weights: node.weights.map {
                    Weight(name: $0.name, path: "", storedName: "", dtype: .float32, shape: $0.shape, data: TensorData(values: [UInt8]()))
                })
            })
            let detection = try ModelDetector.detect(names, file: "f")
            #expect(detection.architecture == arch)
            #expect(detection.options.includeTop == options.includeTop)
            if options.includeTop { #expect(detection.options.classes == options.classes) }
        }
        #expect(throws: BindingError.self) { try ModelDetector.detect(Checkpoint(format: .kerasH5Weights, layers: []), file: "f") }
    }

    /// A checkpoint with `graph`'s names and shapes but no data (enough to detect and bind).
    static func shapeOnly(_ graph: Graph, weightless: Bool) -> Checkpoint {
        Checkpoint(format: .kerasH5Weights, layers: graph.nodes.filter { weightless || !$0.weights.isEmpty }.map { node in
            CheckpointLayer(name: node.name, weights: node.weights.map {
                Weight(name: $0.name, path: "", storedName: "", dtype: .float32, shape: $0.shape, data: TensorData(values: [UInt8]()))
            })
        })
    }

    /// A shapes-only checkpoint of `graph`: legacy `.h5` layer names, or Keras 3 group names.
    static func namesOnly(_ graph: Graph, keras3: Bool) -> Checkpoint {
        let groups = WeightNameMap.keras3GroupNames(graph)
        return Checkpoint(format: keras3 ? .keras3Weights : .kerasH5Weights, layers: graph.nodes.filter { !$0.weights.isEmpty }.map { node in
            CheckpointLayer(name: keras3 ? groups[node.name] ?? node.name : node.name, weights: node.weights.map {
                Weight(name: $0.name, path: "", storedName: "", dtype: .float32, shape: $0.shape, data: TensorData(values: [UInt8]()))
            })
        })
    }

    static let newFamilies: [Architecture] = [.densenet121, .densenet169, .densenet201, .resnet50v2, .resnet101v2, .resnet152v2, .inceptionv3]

    /// Legacy files with Keras names (with and without their weightless layers), keras-v1 files
    /// (keras_applications 1.0.8 / Keras 2 names) and Keras 3 `.weights.h5` object paths of each
    /// new family are detected as the right architecture, depth, top and classes, and bind
    /// completely onto the detected graph.
    @Test(arguments: newFamilies)
    func newFamiliesAreDetectedInEveryScheme(arch: Architecture) throws {
        for options in [arch.defaultOptions(classes: 10), arch.defaultOptions(includeTop: false, pooling: .avg)] {
            let graph = try arch.build(options)
            let weightCount = graph.nodes.reduce(0) { $0 + $1.weights.count }
            let keras = Self.shapeOnly(graph, weightless: true)
            let bound = try Binder.bind(keras, to: graph, scheme: .keras, mode: .strict, file: "k.h5")
            let v1 = try bound.checkpoint(naming: .kerasV1, format: .kerasH5Weights)
            let keras3 = try bound.checkpoint(naming: .keras3, format: .keras3Weights)
            // ResNetV2's old names differ only in the classifier, so a notop file is plain keras.
            let v1Scheme: NamingScheme = arch.rawValue.hasSuffix("v2") && !options.includeTop ? .keras : .kerasV1
            let files: [(String, Checkpoint, NamingScheme)] = [("keras", keras, .keras), ("keras weighted only", Self.shapeOnly(graph, weightless: false), .keras),
                                                               ("keras-v1", v1, v1Scheme), ("keras3", keras3, .keras3)]
            for (label, file, scheme) in files {
                #expect(NamingScheme.detect(file) == scheme, "\(arch) \(label)")
                let detection = try ModelDetector.detect(file, file: "f")
                #expect(detection.architecture == arch, "\(arch) \(label)")
                #expect(detection.options.includeTop == options.includeTop, "\(arch) \(label)")
                #expect(detection.options.inputShape == arch.defaultInputShape, "\(arch) \(label)")
                #expect(detection.options.batchNormEpsilon == nil, "\(arch) \(label)")
                if options.includeTop { #expect(detection.options.classes == 10, "\(arch) \(label)") }
                // Detection cannot see the pooling (it has no weights); the backbone binds the same.
                let detected = try arch.build(detection.options)
                let model = try Binder.bind(file, to: detected, scheme: detection.scheme, mode: .strict, file: "f")
                #expect(model.report.matched.count == weightCount, "\(arch) \(label)")
            }
            let v1Names = Set(v1.layers.map(\.name))
            var expected: Set<String>
            switch arch {
            case .densenet121, .densenet169, .densenet201: expected = ["conv1/conv", "conv1/bn", "conv2_block1_0_bn", "pool2_conv", "bn"]
            case .inceptionv3: expected = ["conv2d_1", "conv2d_94", "batch_normalization_94"]
            default: expected = ["conv1_conv", "conv2_block1_preact_bn", "post_bn"]
            }
            if options.includeTop { expected.insert(arch == .inceptionv3 ? "predictions" : arch.isDenseNet ? "fc1000" : "probs") }
            #expect(expected.subtracting(v1Names).isEmpty, "\(arch): missing \(expected.subtracting(v1Names).sorted())")
            // The current names the old ones replace are gone.
            let replaced: Set<String> = arch.isDenseNet ? ["conv1_conv", "conv1_bn", "predictions"] : arch == .inceptionv3 ? ["conv2d", "batch_normalization"] : ["predictions"]
            #expect(replaced.isDisjoint(with: v1Names), "\(arch)")
        }
    }

    /// Keras 3 writes InceptionV3's `scale=False` BatchNormalization as three variables (beta,
    /// moving mean, moving variance); read back from a real `.weights.h5`, they bind by meaning.
    @Test func inceptionKeras3FileBinds() throws {
        let path = NSTemporaryDirectory() + "binder-\(UUID().uuidString).weights.h5"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let graph = try Architecture.inceptionv3.build(Architecture.inceptionv3.defaultOptions(includeTop: false))
        let source = syntheticCheckpoint(graph)
        let bound = try Binder.bind(source, to: graph, scheme: .keras, mode: .strict, file: "x")
        try CheckpointWriter.write(try bound.checkpoint(naming: .keras3, format: .keras3Weights), to: path, format: .keras3Weights)
        let file = try CheckpointReader.read(path)
        #expect(file.layers.first { $0.name == "batch_normalization_93" }?.weights.map(\.name) == ["beta", "moving_mean", "moving_variance"])
        let detection = try ModelDetector.detect(file, file: path)
        #expect(detection.architecture == .inceptionv3)
        #expect(detection.scheme == .keras3)
        let model = try Binder.bind(file, to: graph, scheme: .keras3, mode: .strict, file: path)
        for name in ["conv2d", "batch_normalization_50", "conv2d_93"] {
            for spec in graph.node(name)?.weights ?? [] {
                #expect(model.weights[name]?[spec.name]?.data == sourceData(source, name, spec.name), "\(name)/\(spec.name)")
            }
        }
    }

    @Test func newFamiliesAreDetectedInLegacyAndKeras3Files() throws {
        let families: [Architecture] = [.mobilenet, .mobilenetv2, .xception, .inceptionresnetv2, .vgg16, .vgg19, .resnet50]
        for arch in families {
            for options in [arch.defaultOptions(), arch.defaultOptions(includeTop: false), arch.defaultOptions(classes: 7)] {
                let graph = try arch.build(options)
                for keras3 in [false, true] {
                    let file = Self.namesOnly(graph, keras3: keras3)
                    #expect(NamingScheme.detect(file) == (keras3 ? .keras3 : .keras), "\(arch) keras3=\(keras3)")
                    let detection = try ModelDetector.detect(file, file: "f")
                    #expect(detection.architecture == arch, "\(arch) keras3=\(keras3) top=\(options.includeTop)")
                    #expect(detection.options.includeTop == options.includeTop, "\(arch) keras3=\(keras3) top=\(options.includeTop)")
                    #expect(detection.options.inputShape == arch.defaultInputShape)
                    if options.includeTop { #expect(detection.options.classes == options.classes, "\(arch) keras3=\(keras3)") }
                    // What was detected binds the file completely.
                    let model = try Binder.bind(file, to: try detection.architecture.build(detection.options), scheme: detection.scheme, mode: .lenient, file: "f")
                    #expect(model.report.missing.isEmpty && model.report.mismatched.isEmpty && model.report.unexpected.isEmpty, "\(arch) keras3=\(keras3)")
                }
            }
        }
        // The per-class counts the Keras 3 detection relies on are the builders' own.
        func count(_ arch: Architecture, _ className: String) throws -> Int {
            try arch.build(arch.defaultOptions(includeTop: false)).nodes.filter { $0.op.kerasClassName == className }.count
        }
        #expect(try count(.mobilenet, "DepthwiseConv2D") == 13)
        #expect(try count(.mobilenetv2, "DepthwiseConv2D") == 17)
        #expect(try count(.xception, "SeparableConv2D") == 34)
        #expect(try count(.inceptionresnetv2, "Conv2D") == 244)
        #expect(try count(.inceptionresnetv2, "BatchNormalization") == 204)
        #expect(try count(.mobilenet, "Conv2D") == 14)
    }

    /// A Keras 3 file without a config names a scale=False BatchNormalization's variables only
    /// by index (the class alone cannot tell which three of four it has): the graph names them.
    @Test func keras3IndexNamedVariablesBindInKerasOrder() throws {
        var graph = Graph()
        try graph.add("input_layer", .input(shape: [4, 4, 3]))
        try graph.add("conv", .conv2D(ConvAttributes(filters: 2, kernel: [1, 1], useBias: false)), inputs: ["input_layer"])
        try graph.add("bn", .batchNormalization(BatchNormAttributes(axis: 3, scale: false)), inputs: ["conv"])
        func weight(_ name: String, _ shape: [Int], _ first: Float) -> Weight {
            let count = shape.reduce(1, *)
            return Weight(name: name, path: "", storedName: name, dtype: .float32, shape: shape, data: TensorData(values: (0..<count).map { first + Float($0) }))
        }
        let file = Checkpoint(format: .keras3Weights, layers: [
            CheckpointLayer(name: "conv2d", weights: [weight("kernel", [1, 1, 3, 2], 0)]),
            CheckpointLayer(name: "batch_normalization", weights: [weight("0", [2], 10), weight("1", [2], 20), weight("2", [2], 30)]),
        ])
        let model = try Binder.bind(file, to: graph, scheme: .keras3, mode: .strict, file: "f.weights.h5")
        #expect(model.report.isComplete)
        #expect(model.weights["bn"]?["beta"]?.data.array(of: Float.self) == [10, 11])
        #expect(model.weights["bn"]?["moving_mean"]?.data.array(of: Float.self) == [20, 21])
        #expect(model.weights["bn"]?["moving_variance"]?.data.array(of: Float.self) == [30, 31])
    }

    /// Keras <= 2.2.4 wrote Xception's and InceptionResNetV2's automatically named layers from 1
    /// (`conv2d_1`, `batch_normalization_1`, ...; the official weights files have these names).
    @Test func oneBasedAutomaticNamesBindAsKerasV1() throws {
        #expect(WeightNameMap.kerasV1Name("conv2d", family: .inception) == "conv2d_1")
        #expect(WeightNameMap.kerasV1Name("batch_normalization_202", family: .inception) == "batch_normalization_203")
        #expect(WeightNameMap.kerasV1Name("block35_1_conv", family: .inception) == "block35_1_conv")
        for arch in [Architecture.xception, .inceptionresnetv2] {
            for options in [arch.defaultOptions(), arch.defaultOptions(includeTop: false)] {
                let graph = try arch.build(options)
                let source = syntheticCheckpoint(graph)
                let keras = try Binder.bind(source, to: graph, scheme: .keras, mode: .strict, file: "x")
                let old = try keras.checkpoint(naming: .kerasV1, format: .kerasH5Weights)
                let names = Set(old.layers.map(\.name))
                #expect(names.contains("conv2d_1") && !names.contains("conv2d") && names.contains("batch_normalization_1"))
                #expect(names.contains("predictions") == options.includeTop)
                #expect(NamingScheme.detect(old) == .kerasV1, "\(arch)")
                let detection = try ModelDetector.detect(old, file: "old.h5")
                #expect(detection.architecture == arch)
                #expect(detection.scheme == .kerasV1)
                #expect(detection.options.includeTop == options.includeTop)
                #expect(detection.options.batchNormEpsilon == nil)
                let model = try Binder.bind(old, to: try arch.build(detection.options), scheme: .kerasV1, mode: .strict, file: "old.h5")
                #expect(model.report.isComplete)
                for node in graph.nodes {
                    for spec in node.weights {
                        #expect(model.weights[node.name]?[spec.name]?.data == sourceData(source, node.name, spec.name), "\(node.name)/\(spec.name)")
                    }
                }
            }
        }
    }
}
