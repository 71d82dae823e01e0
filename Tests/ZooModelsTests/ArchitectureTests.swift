import Foundation
import Testing
import ZooGraph
import ZooFormats
@testable import ZooModels

/// The structure real Keras reported for each keras.applications builder and option set
/// (Fixtures/architectures/*.json, made by Fixtures/make_architectures.py).
struct KerasStructure {
    struct Row {
        let name: String
        let className: String
        let outputShape: [Int]
        let params: Int
        let inbound: [String]
        let extra: [String: Any]
    }
    let totalParams: Int
    let trainableParams: Int
    let nonTrainableParams: Int
    let rows: [Row]
    let options: [String: Any]

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/architectures")

    init(_ file: String, directory: URL = Self.directory) throws {
        let data = try Data(contentsOf: directory.appendingPathComponent(file))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        totalParams = object["total_params"] as? Int ?? -1
        trainableParams = object["trainable_params"] as? Int ?? -1
        nonTrainableParams = object["non_trainable_params"] as? Int ?? -1
        options = object["options"] as? [String: Any] ?? [:]
        rows = try (object["layers"] as? [[Any]] ?? []).map { row in
            try #require(row.count == 6)
            return Row(name: row[0] as? String ?? "", className: row[1] as? String ?? "",
                       outputShape: (row[2] as? [Any] ?? []).dropFirst().compactMap { $0 as? Int },
                       params: row[3] as? Int ?? -1, inbound: row[4] as? [String] ?? [], extra: row[5] as? [String: Any] ?? [:])
        }
    }
}

@Suite struct ArchitectureTests {
    static let cases: [(String, Architecture, ArchitectureOptions)] = {
        var out: [(String, Architecture, ArchitectureOptions)] = []
        // Every structure file Fixtures/make_architectures.py wrote (all four variants for ResNet and
        // VGG; the larger families commit top and notop only, the rest is checked in interop).
        for arch in Architecture.allCases {
            for (variant, options) in [("top", arch.defaultOptions()), ("notop", arch.defaultOptions(includeTop: false)),
                                       ("avg", arch.defaultOptions(includeTop: false, pooling: .avg)),
                                       ("max", arch.defaultOptions(includeTop: false, pooling: .max))] {
                let file = "\(arch.rawValue)_\(variant).json"
                if FileManager.default.fileExists(atPath: KerasStructure.directory.appendingPathComponent(file).path) {
                    out.append((file, arch, options))
                }
            }
        }
        for arch in [Architecture.resnet50, .vgg16] {
            out.append(("\(arch.rawValue)_top10.json", arch, ArchitectureOptions(classes: 10)))
            out.append(("\(arch.rawValue)_notop_160x128.json", arch, ArchitectureOptions(includeTop: false, inputShape: [160, 128, 3])))
        }
        // The families written with the wider `extra` (top and notop at the default input only;
        // the other variants are checked by `newFamiliesMatchKerasTotals`).
        for arch in [Architecture.mobilenet, .mobilenetv2, .xception, .inceptionresnetv2] {
            out.append(("\(arch.rawValue)_top.json", arch, arch.defaultOptions()))
            out.append(("\(arch.rawValue)_notop.json", arch, arch.defaultOptions(includeTop: false)))
        }
        return out
    }()

    /// The fixture list above is not silently empty for a family: every architecture has its
    /// `_top` structure file except the deeper members of a family whose first member has one.
    @Test func everyFamilyHasAStructureFixture() {
        let covered = Set(Self.cases.map(\.1))
        for arch in Architecture.allCases {
            // ConvNeXt's members are named by size (convnexttiny ... convnextxlarge).
            let family = arch.isConvNeXt ? "convnext" : arch.rawValue.prefix { !$0.isNumber && $0 != "_" }
            let sibling = Architecture.allCases.contains { covered.contains($0) && $0.rawValue.hasPrefix(family) }
            #expect(covered.contains(arch) || sibling, "\(arch.rawValue): no Fixtures/architectures/\(arch.rawValue)_top.json and no family member with one")
        }
    }

    @Test(arguments: cases)
    func builderMatchesKeras(file: String, architecture: Architecture, options: ArchitectureOptions) throws {
        try Self.compare(architecture.build(options), with: KerasStructure(file))
    }

    /// Checks a built graph against the structure real Keras reported: totals, and per layer in
    /// `model.layers` order the name, class, inbound layers, output shape, parameter count and
    /// the config values that change the computation.
    static func compare(_ graph: Graph, with keras: KerasStructure) throws {
        #expect(graph.totalParameterCount == keras.totalParams)
        #expect(graph.trainableParameterCount == keras.trainableParams)
        #expect(graph.nonTrainableParameterCount == keras.nonTrainableParams)
        // Keras's model.layers: a nested model (ConvNeXt's stem) is one row.
        let layers = graph.modelLayers
        #expect(layers.count == keras.rows.count)
        for (layer, row) in zip(layers, keras.rows) where layer.isNestedModel {
            #expect(layer.name == row.name && layer.className == row.className, "\(layer.name)")
            #expect(layer.outputShape == row.outputShape && layer.parameterCount == row.params, "\(layer.name)")
            #expect(layer.nodes.first.map { graph.kerasInputs(of: $0) } == row.inbound, "\(layer.name)")
        }
        for (layer, row) in zip(layers, keras.rows) where !layer.isNestedModel {
            let node = layer.nodes[0]
            #expect(node.name == row.name)
            // Keras 3 names the input layer by position; ours is always the first.
            if row.className != "InputLayer" { #expect(graph.kerasInputs(of: node) == row.inbound, "\(node.name)") }
            #expect(node.op.kerasClassName == row.className, "\(node.name)")
            #expect(node.outputShape == row.outputShape, "\(node.name)")
            #expect(node.parameterCount == row.params, "\(node.name)")
            Self.checkExtra(node, row)
        }
    }

    /// The config facts the fixture records for the layer (whichever keys it has).
    static func checkExtra(_ node: Node, _ row: KerasStructure.Row) {
        let extra = row.extra
        func expectKey<T: Equatable>(_ key: String, _ value: T) {
            if let recorded = extra[key] { #expect(recorded as? T == value, "\(node.name) \(key)") }
        }
        switch node.op {
        case .batchNormalization(let bn):
            #expect(bn.epsilon == extra["epsilon"] as? Double, "\(node.name)")
            // Keras reports axis 3 for these NHWC models; the graph's axis is either 3 or -1.
            if let recorded = extra["axis"] {
                let axis = recorded as? Int ?? (recorded as? [Int])?.first
                #expect(bn.axis == axis || (bn.axis == -1 && axis == 3), "\(node.name) axis")
            }
            expectKey("center", bn.center)
            expectKey("scale", bn.scale)
            expectKey("momentum", bn.effectiveMomentum)
        case .conv2D(let conv):
            #expect(conv.strides == extra["strides"] as? [Int], "\(node.name)")
            #expect(conv.padding.rawValue == extra["padding"] as? String, "\(node.name)")
            #expect(conv.activation.rawValue == extra["activation"] as? String, "\(node.name)")
            expectKey("filters", conv.filters)
            expectKey("kernel_size", conv.kernel)
            expectKey("use_bias", conv.useBias)
            expectKey("dilation_rate", conv.dilation)
        case .depthwiseConv2D(let conv):
            expectKey("strides", conv.strides)
            expectKey("padding", conv.padding.rawValue)
            expectKey("depth_multiplier", conv.filters)
            expectKey("use_bias", conv.useBias)
            expectKey("kernel_size", conv.kernel)
            expectKey("activation", conv.activation.rawValue)
        case .separableConv2D(let conv):
            expectKey("filters", conv.filters)
            expectKey("kernel_size", conv.kernel)
            expectKey("strides", conv.strides)
            expectKey("padding", conv.padding.rawValue)
            expectKey("depth_multiplier", conv.depthMultiplier)
            expectKey("use_bias", conv.useBias)
            expectKey("activation", conv.activation.rawValue)
        case .dense(let dense):
            #expect(dense.activation.rawValue == extra["activation"] as? String, "\(node.name)")
            expectKey("units", dense.units)
            expectKey("use_bias", dense.useBias)
        case .reluLayer(let relu):
            if extra["negative_slope"] != nil {
                #expect(relu.maxValue == extra["max_value"] as? Double, "\(node.name)")
                #expect(relu.negativeSlope == extra["negative_slope"] as? Double, "\(node.name)")
                #expect(relu.threshold == extra["threshold"] as? Double, "\(node.name)")
            }
        case .activation(let activation):
            #expect(activation.rawValue == extra["activation"] as? String, "\(node.name)")
        case .zeroPadding2D(let top, let bottom, let left, let right):
            #expect(extra["padding"] as? [[Int]] == [[top, bottom], [left, right]], "\(node.name)")
        case .maxPooling2D(let pool), .averagePooling2D(let pool):
            #expect(pool.size == extra["pool_size"] as? [Int], "\(node.name)")
            #expect(pool.strides == extra["strides"] as? [Int], "\(node.name)")
            #expect(pool.padding.rawValue == extra["padding"] as? String, "\(node.name)")
        case .reshape(let target): expectKey("target_shape", target)
        case .dropout(let rate): expectKey("rate", rate)
        case .concatenate(let axis): expectKey("axis", axis)
        case .customScale(let scale): expectKey("scale", scale)
        case .globalAveragePooling2D, .globalMaxPooling2D: expectKey("keepdims", false)
        case .globalAveragePooling2DKeepingDims, .globalMaxPooling2DKeepingDims: expectKey("keepdims", true)
        default: break
        }
    }

    /// Parameter totals, layer counts and output shapes of every new family and variant, as real
    /// Keras 3.15.1 reported them: `keras.applications.<Arch>(weights=None, include_top=...,
    /// pooling=..., classes=..., input_shape=...)`, then `model.count_params()`,
    /// the element counts of `model.non_trainable_weights`, `len(model.layers)` and
    /// `model.output.shape` (run with KERAS_BACKEND=jax JAX_PLATFORMS=cpu in the venv of
    /// Fixtures/requirements.txt). Inputs default to 224x224x3 (MobileNet, MobileNetV2) or
    /// 299x299x3 (Xception, InceptionResNetV2).
    static let kerasTotals: [(Architecture, String, ArchitectureOptions?, total: Int, nonTrainable: Int, layers: Int, output: [Int])] = {
        func top(_ arch: Architecture, classes: Int = 1000, input: [Int]? = nil) -> ArchitectureOptions {
            ArchitectureOptions(classes: classes, inputShape: input ?? arch.defaultInputShape)
        }
        func notop(_ arch: Architecture, _ pooling: ArchitectureOptions.Pooling = .none, input: [Int]? = nil) -> ArchitectureOptions {
            ArchitectureOptions(includeTop: false, pooling: pooling, inputShape: input ?? arch.defaultInputShape)
        }
        let m = Architecture.mobilenet, m2 = Architecture.mobilenetv2, x = Architecture.xception, ir = Architecture.inceptionresnetv2
        return [
            (m, "top", nil, 4_253_864, 21_888, 91, [1000]),
            (m, "notop", notop(m), 3_228_864, 21_888, 86, [7, 7, 1024]),
            (m, "avg", notop(m, .avg), 3_228_864, 21_888, 87, [1024]),
            (m, "max", notop(m, .max), 3_228_864, 21_888, 87, [1024]),
            (m, "top10", top(m, classes: 10), 3_239_114, 21_888, 91, [10]),
            (m, "notop_160", notop(m, input: [160, 160, 3]), 3_228_864, 21_888, 86, [5, 5, 1024]),
            (m, "top10_192", top(m, classes: 10, input: [192, 192, 3]), 3_239_114, 21_888, 91, [10]),
            (m, "notop_161x129", notop(m, input: [161, 129, 3]), 3_228_864, 21_888, 86, [5, 4, 1024]),
            (m, "avg_96x128", notop(m, .avg, input: [96, 128, 3]), 3_228_864, 21_888, 87, [1024]),
            (m2, "top", nil, 3_538_984, 34_112, 156, [1000]),
            (m2, "notop", notop(m2), 2_257_984, 34_112, 154, [7, 7, 1280]),
            (m2, "avg", notop(m2, .avg), 2_257_984, 34_112, 155, [1280]),
            (m2, "max", notop(m2, .max), 2_257_984, 34_112, 155, [1280]),
            (m2, "top10", top(m2, classes: 10), 2_270_794, 34_112, 156, [10]),
            (m2, "notop_160", notop(m2, input: [160, 160, 3]), 2_257_984, 34_112, 154, [5, 5, 1280]),
            (m2, "top10_192", top(m2, classes: 10, input: [192, 192, 3]), 2_270_794, 34_112, 156, [10]),
            (m2, "notop_161x129", notop(m2, input: [161, 129, 3]), 2_257_984, 34_112, 154, [6, 5, 1280]),
            (m2, "avg_96x128", notop(m2, .avg, input: [96, 128, 3]), 2_257_984, 34_112, 155, [1280]),
            (x, "top", nil, 22_910_480, 54_528, 134, [1000]),
            (x, "notop", notop(x), 20_861_480, 54_528, 132, [10, 10, 2048]),
            (x, "avg", notop(x, .avg), 20_861_480, 54_528, 133, [2048]),
            (x, "max", notop(x, .max), 20_861_480, 54_528, 133, [2048]),
            (x, "top10", top(x, classes: 10), 20_881_970, 54_528, 134, [10]),
            (x, "notop_160", notop(x, input: [160, 160, 3]), 20_861_480, 54_528, 132, [5, 5, 2048]),
            (x, "top10_192", top(x, classes: 10, input: [192, 192, 3]), 20_881_970, 54_528, 134, [10]),
            (x, "notop_161x129", notop(x, input: [161, 129, 3]), 20_861_480, 54_528, 132, [5, 4, 2048]),
            (x, "avg_96x128", notop(x, .avg, input: [96, 128, 3]), 20_861_480, 54_528, 133, [2048]),
            (ir, "top", nil, 55_873_736, 60_544, 782, [1000]),
            (ir, "notop", notop(ir), 54_336_736, 60_544, 780, [8, 8, 1536]),
            (ir, "avg", notop(ir, .avg), 54_336_736, 60_544, 781, [1536]),
            (ir, "max", notop(ir, .max), 54_336_736, 60_544, 781, [1536]),
            (ir, "top10", top(ir, classes: 10), 54_352_106, 60_544, 782, [10]),
            (ir, "notop_160", notop(ir, input: [160, 160, 3]), 54_336_736, 60_544, 780, [3, 3, 1536]),
            (ir, "top10_192", top(ir, classes: 10, input: [192, 192, 3]), 54_352_106, 60_544, 782, [10]),
            (ir, "notop_161x129", notop(ir, input: [161, 129, 3]), 54_336_736, 60_544, 780, [3, 2, 1536]),
            (ir, "avg_96x128", notop(ir, .avg, input: [96, 128, 3]), 54_336_736, 60_544, 781, [1536]),
        ]
    }()

    @Test func newFamiliesMatchKerasTotals() throws {
        for (arch, variant, options, total, nonTrainable, layers, output) in Self.kerasTotals {
            let graph = try arch.build(options)
            #expect(graph.totalParameterCount == total, "\(arch) \(variant)")
            #expect(graph.nonTrainableParameterCount == nonTrainable, "\(arch) \(variant)")
            #expect(graph.nodes.count == layers, "\(arch) \(variant)")
            #expect(graph.outputs.count == 1 && graph.node(graph.outputs[0])?.outputShape == output, "\(arch) \(variant)")
        }
        // keras.applications' defaults: 299x299 for Xception and InceptionResNetV2.
        #expect(try Architecture.xception.build().nodes.first?.outputShape == [299, 299, 3])
        #expect(try Architecture.inceptionresnetv2.build().nodes.first?.outputShape == [299, 299, 3])
        #expect(try Architecture.mobilenet.build().nodes.first?.outputShape == [224, 224, 3])
        // Keras's minimum input sizes (obtain_input_shape): 32, 32, 71, 75.
        for (arch, minimum) in [(Architecture.mobilenet, 32), (.mobilenetv2, 32), (.xception, 71), (.inceptionresnetv2, 75)] {
            #expect(throws: GraphError.self) { try arch.build(ArchitectureOptions(includeTop: false, inputShape: [minimum - 1, minimum, 3])) }
            #expect(try arch.build(ArchitectureOptions(includeTop: false, inputShape: [minimum, minimum, 3])).nodes.count > 0)
        }
    }

    private static func comparePool(_ pool: PoolAttributes, _ row: KerasStructure.Row) throws {
        #expect(pool.size == row.extra["pool_size"] as? [Int], "\(row.name)")
        #expect(pool.strides == row.extra["strides"] as? [Int], "\(row.name)")
        #expect(pool.padding.rawValue == row.extra["padding"] as? String, "\(row.name)")
    }

    @Test func famousTotals() throws {
        #expect(try Architecture.resnet50.build().totalParameterCount == 25_636_712)
        #expect(try Architecture.resnet50.build(ArchitectureOptions(includeTop: false)).totalParameterCount == 23_587_712)
        #expect(try Architecture.vgg16.build().totalParameterCount == 138_357_544)
        #expect(try Architecture.vgg16.build(ArchitectureOptions(includeTop: false)).totalParameterCount == 14_714_688)
        #expect(try Architecture.resnet50.build().nonTrainableParameterCount == 53_120)
    }

    /// Parameter totals (total, trainable, non-trainable), `model.layers` count and output shape
    /// of every variant of the further families, as real Keras reported them: Keras 3.15.1 on JAX
    /// (CPU), `keras.applications.<Arch>(weights=None, include_top=..., pooling=..., classes=...,
    /// input_shape=...)` after `keras.backend.clear_session()`, totals from the elements of
    /// `model.trainable_weights` / `model.non_trainable_weights` (their sum equals
    /// `model.count_params()`), layers `len(model.layers)`, shape `model.output.shape[1:]`.
    /// Variants: top / notop / avg / max at the default input (InceptionV3 299x299x3, the others
    /// 224x224x3), top10 (classes=10), and input 160x128x3 without top and with top and 10 classes.
    static let furtherFamilyTotals: [(Architecture, String, Int, Int, Int, Int, [Int])] = [
        (.densenet121, "top", 8_062_504, 7_978_856, 83_648, 429, [1000]),
        (.densenet121, "notop", 7_037_504, 6_953_856, 83_648, 427, [7, 7, 1024]),
        (.densenet121, "avg", 7_037_504, 6_953_856, 83_648, 428, [1024]),
        (.densenet121, "max", 7_037_504, 6_953_856, 83_648, 428, [1024]),
        (.densenet121, "top10", 7_047_754, 6_964_106, 83_648, 429, [10]),
        (.densenet121, "notop_160x128", 7_037_504, 6_953_856, 83_648, 427, [5, 4, 1024]),
        (.densenet121, "top10_160x128", 7_047_754, 6_964_106, 83_648, 429, [10]),
        (.densenet169, "top", 14_307_880, 14_149_480, 158_400, 597, [1000]),
        (.densenet169, "notop", 12_642_880, 12_484_480, 158_400, 595, [7, 7, 1664]),
        (.densenet169, "avg", 12_642_880, 12_484_480, 158_400, 596, [1664]),
        (.densenet169, "max", 12_642_880, 12_484_480, 158_400, 596, [1664]),
        (.densenet169, "top10", 12_659_530, 12_501_130, 158_400, 597, [10]),
        (.densenet169, "notop_160x128", 12_642_880, 12_484_480, 158_400, 595, [5, 4, 1664]),
        (.densenet169, "top10_160x128", 12_659_530, 12_501_130, 158_400, 597, [10]),
        (.densenet201, "top", 20_242_984, 20_013_928, 229_056, 709, [1000]),
        (.densenet201, "notop", 18_321_984, 18_092_928, 229_056, 707, [7, 7, 1920]),
        (.densenet201, "avg", 18_321_984, 18_092_928, 229_056, 708, [1920]),
        (.densenet201, "max", 18_321_984, 18_092_928, 229_056, 708, [1920]),
        (.densenet201, "top10", 18_341_194, 18_112_138, 229_056, 709, [10]),
        (.densenet201, "notop_160x128", 18_321_984, 18_092_928, 229_056, 707, [5, 4, 1920]),
        (.densenet201, "top10_160x128", 18_341_194, 18_112_138, 229_056, 709, [10]),
        (.resnet50v2, "top", 25_613_800, 25_568_360, 45_440, 192, [1000]),
        (.resnet50v2, "notop", 23_564_800, 23_519_360, 45_440, 190, [7, 7, 2048]),
        (.resnet50v2, "avg", 23_564_800, 23_519_360, 45_440, 191, [2048]),
        (.resnet50v2, "max", 23_564_800, 23_519_360, 45_440, 191, [2048]),
        (.resnet50v2, "top10", 23_585_290, 23_539_850, 45_440, 192, [10]),
        (.resnet50v2, "notop_160x128", 23_564_800, 23_519_360, 45_440, 190, [5, 4, 2048]),
        (.resnet50v2, "top10_160x128", 23_585_290, 23_539_850, 45_440, 192, [10]),
        (.resnet101v2, "top", 44_675_560, 44_577_896, 97_664, 379, [1000]),
        (.resnet101v2, "notop", 42_626_560, 42_528_896, 97_664, 377, [7, 7, 2048]),
        (.resnet101v2, "avg", 42_626_560, 42_528_896, 97_664, 378, [2048]),
        (.resnet101v2, "max", 42_626_560, 42_528_896, 97_664, 378, [2048]),
        (.resnet101v2, "top10", 42_647_050, 42_549_386, 97_664, 379, [10]),
        (.resnet101v2, "notop_160x128", 42_626_560, 42_528_896, 97_664, 377, [5, 4, 2048]),
        (.resnet101v2, "top10_160x128", 42_647_050, 42_549_386, 97_664, 379, [10]),
        (.resnet152v2, "top", 60_380_648, 60_236_904, 143_744, 566, [1000]),
        (.resnet152v2, "notop", 58_331_648, 58_187_904, 143_744, 564, [7, 7, 2048]),
        (.resnet152v2, "avg", 58_331_648, 58_187_904, 143_744, 565, [2048]),
        (.resnet152v2, "max", 58_331_648, 58_187_904, 143_744, 565, [2048]),
        (.resnet152v2, "top10", 58_352_138, 58_208_394, 143_744, 566, [10]),
        (.resnet152v2, "notop_160x128", 58_331_648, 58_187_904, 143_744, 564, [5, 4, 2048]),
        (.resnet152v2, "top10_160x128", 58_352_138, 58_208_394, 143_744, 566, [10]),
        (.inceptionv3, "top", 23_851_784, 23_817_352, 34_432, 313, [1000]),
        (.inceptionv3, "notop", 21_802_784, 21_768_352, 34_432, 311, [8, 8, 2048]),
        (.inceptionv3, "avg", 21_802_784, 21_768_352, 34_432, 312, [2048]),
        (.inceptionv3, "max", 21_802_784, 21_768_352, 34_432, 312, [2048]),
        (.inceptionv3, "top10", 21_823_274, 21_788_842, 34_432, 313, [10]),
        (.inceptionv3, "notop_160x128", 21_802_784, 21_768_352, 34_432, 311, [3, 2, 2048]),
        (.inceptionv3, "top10_160x128", 21_823_274, 21_788_842, 34_432, 313, [10]),
    ]

    static func options(_ arch: Architecture, variant: String) -> ArchitectureOptions {
        switch variant {
        case "top": return arch.defaultOptions()
        case "notop": return arch.defaultOptions(includeTop: false)
        case "avg": return arch.defaultOptions(includeTop: false, pooling: .avg)
        case "max": return arch.defaultOptions(includeTop: false, pooling: .max)
        case "top10": return arch.defaultOptions(classes: 10)
        case "notop_160x128": return ArchitectureOptions(includeTop: false, inputShape: [160, 128, 3])
        default: return ArchitectureOptions(classes: 10, inputShape: [160, 128, 3])
        }
    }

    @Test func furtherFamiliesMatchKerasTotals() throws {
        let families: Set<Architecture> = [.densenet121, .densenet169, .densenet201, .resnet50v2, .resnet101v2, .resnet152v2, .inceptionv3]
        #expect(Set(Self.furtherFamilyTotals.map(\.0)) == families)
        for (arch, variant, total, trainable, nonTrainable, layers, shape) in Self.furtherFamilyTotals {
            let graph = try arch.build(Self.options(arch, variant: variant))
            #expect(graph.totalParameterCount == total, "\(arch) \(variant)")
            #expect(graph.trainableParameterCount == trainable, "\(arch) \(variant)")
            #expect(graph.nonTrainableParameterCount == nonTrainable, "\(arch) \(variant)")
            #expect(graph.nodes.count == layers, "\(arch) \(variant)")
            #expect(graph.effectiveOutputs.first.flatMap(graph.node)?.outputShape == shape, "\(arch) \(variant)")
        }
        // Without options, InceptionV3 takes its own default input.
        #expect(try Architecture.inceptionv3.build().nodes.first?.outputShape == [299, 299, 3])
        #expect(try Architecture.densenet121.build().nodes.first?.outputShape == [224, 224, 3])
    }

    @Test func transferPointsExistInTheGraphs() throws {
        for arch in Architecture.allCases {
            let graph = try arch.build()
            for point in arch.transferPoints() { #expect(graph.node(point) != nil, "\(arch) \(point)") }
            let notop = try arch.build(arch.defaultOptions(includeTop: false))
            let points = arch.transferPoints(includeTop: false)
            for point in points { #expect(notop.node(point) != nil, "\(arch) notop \(point)") }
            // Shallow to deep, the last one the backbone's output.
            let positions = points.compactMap { notop.position(of: $0) }
            #expect(positions == positions.sorted(), "\(arch)")
            #expect(points.last == notop.effectiveOutputs.first, "\(arch)")
        }
        #expect(Architecture.densenet121.transferPoints(includeTop: false) == ["conv1_relu", "pool1", "pool2_pool", "pool3_pool", "pool4_pool", "relu"])
        #expect(Architecture.resnet50v2.transferPoints() == ["pool1_pool", "conv2_block3_out", "conv3_block4_out", "conv4_block6_out", "post_relu", "avg_pool"])
        #expect(Architecture.inceptionv3.transferPoints(includeTop: false) == (0...10).map { "mixed\($0)" })
        #expect(Architecture.resnet50.transferPoints().contains("conv4_block6_out"))
        #expect(Architecture.vgg16.transferPoints() == ["block1_pool", "block2_pool", "block3_pool", "block4_pool", "block5_pool", "fc1", "fc2"])
    }

    @Test func kerasV1NamesMatchTheKeras22Model() throws {
        let v1 = try KerasStructure("resnet50_keras_v1.json")
        let graph = try Architecture.resnet50.build(ArchitectureOptions(batchNormEpsilon: 1e-3))
        // Every weighted layer of the old model has the translated name, the same parameter count,
        // and BatchNormalization epsilon 1e-3.
        let old = Dictionary(uniqueKeysWithValues: v1.rows.filter { $0.params > 0 }.map { ($0.name, $0) })
        let weighted = graph.nodes.filter { !$0.weights.isEmpty }
        #expect(weighted.count == old.count)
        for node in weighted {
            let row = try #require(old[WeightNameMap.kerasV1Name(node.name)], "\(node.name)")
            #expect(row.params == node.parameterCount, "\(node.name)")
            #expect(row.className == node.op.kerasClassName)
            if case .batchNormalization(let bn) = node.op {
                #expect(bn.epsilon == 1e-3)
                #expect(row.extra["epsilon"] as? Double == 1e-3)
            }
        }
        #expect(WeightNameMap.kerasV1Name("conv2_block1_0_conv") == "res2a_branch1")
        #expect(WeightNameMap.kerasV1Name("conv2_block1_3_conv") == "res2a_branch2c")
        #expect(WeightNameMap.kerasV1Name("conv4_block6_2_bn") == "bn4f_branch2b")
        #expect(WeightNameMap.blockLetter(27) == "aa")
    }
}

/// MobileNetV3 against keras.applications (Keras 3.15, `MobileNetV3Small/Large(weights=None,
/// input_shape=..., ...)`: `count_params()`, non-trainable element count, `len(model.layers)`,
/// the op nodes its config lists (`keras.src.ops.numpy`, not in `model.layers`), output shape).
@Suite struct MobileNetV3Tests {
    static let totals: [(Architecture, String, ArchitectureOptions, total: Int, nonTrainable: Int, layers: Int, ops: Int, output: [Int])] = {
        func o(top: Bool = true, pooling: ArchitectureOptions.Pooling = .none, classes: Int = 1000, input: [Int] = [224, 224, 3],
               alpha: Double? = nil, minimalistic: Bool? = nil) -> ArchitectureOptions {
            ArchitectureOptions(includeTop: top, pooling: pooling, classes: classes, inputShape: input, alpha: alpha, minimalistic: minimalistic)
        }
        let s = Architecture.mobilenetv3small, l = Architecture.mobilenetv3large
        return [
            (s, "top", o(), 2_554_968, 12_112, 164, 18, [1000]),
            (s, "notop", o(top: false), 939_120, 12_112, 157, 18, [7, 7, 576]),
            (s, "avg", o(top: false, pooling: .avg), 939_120, 12_112, 158, 18, [576]),
            (s, "top10", o(classes: 10), 1_540_218, 12_112, 164, 18, [10]),
            (s, "minimalistic", o(minimalistic: true), 2_056_848, 12_112, 110, 0, [1000]),
            (s, "alpha 0.75", o(alpha: 0.75), 2_051_552, 9_680, 164, 18, [1000]),
            (s, "alpha 1.25 notop", o(top: false, alpha: 1.25), 1_456_760, 15_328, 157, 18, [7, 7, 720]),
            (s, "notop 161x129", o(top: false, input: [161, 129, 3]), 939_120, 12_112, 157, 18, [6, 5, 576]),
            (l, "top", o(), 5_507_432, 24_400, 194, 16, [1000]),
            (l, "notop", o(top: false), 2_996_352, 24_400, 187, 16, [7, 7, 960]),
            (l, "avg", o(top: false, pooling: .avg), 2_996_352, 24_400, 188, 16, [960]),
            (l, "top10", o(classes: 10), 4_239_242, 24_400, 194, 16, [10]),
            (l, "minimalistic", o(minimalistic: true), 3_948_688, 24_400, 146, 0, [1000]),
            (l, "alpha 0.75", o(alpha: 0.75), 4_012_616, 19_088, 194, 16, [1000]),
            // Block 0 widens 16 -> 24 at alpha 1.25, so its Add goes: one layer fewer.
            (l, "alpha 1.25 notop", o(top: false, alpha: 1.25), 4_764_160, 30_976, 186, 16, [7, 7, 1200]),
            (l, "notop 161x129", o(top: false, input: [161, 129, 3]), 2_996_352, 24_400, 187, 16, [6, 5, 960]),
        ]
    }()

    @Test func matchesKerasTotals() throws {
        for (arch, variant, options, total, nonTrainable, layers, ops, output) in Self.totals {
            let graph = try arch.build(options)
            #expect(graph.totalParameterCount == total, "\(arch) \(variant)")
            #expect(graph.nonTrainableParameterCount == nonTrainable, "\(arch) \(variant)")
            #expect(graph.nodes.filter { !$0.op.isOperationNode }.count == layers, "\(arch) \(variant)")
            #expect(graph.nodes.filter(\.op.isOperationNode).count == ops, "\(arch) \(variant)")
            #expect(graph.outputs.count == 1 && graph.node(graph.outputs[0])?.outputShape == output, "\(arch) \(variant)")
        }
        #expect(throws: GraphError.self) { try Architecture.mobilenetv3small.build(ArchitectureOptions(inputShape: [31, 64, 3])) }
        #expect(throws: GraphError.self) { try Architecture.mobilenetv3large.build(ArchitectureOptions(alpha: -1)) }
    }

    /// The hard sigmoid of every SE gate is Keras's `ReLU(6)(x + 3.0) * (1 / 6)`, named as
    /// Keras names it (the ReLU before the op nodes around it).
    @Test func squeezeExcitationGateIsKerasHardSigmoid() throws {
        let graph = try Architecture.mobilenetv3small.build()
        #expect(graph.node("add")?.op == .scalarArithmetic(ScalarArithmetic(.add, 3)))
        #expect(graph.node("add")?.inputs == ["expanded_conv_squeeze_excite_conv_1"])
        #expect(graph.node("re_lu_1")?.op == .reluLayer(ReLUAttributes(maxValue: 6)))
        #expect(graph.node("re_lu_1")?.inputs == ["add"])
        #expect(graph.node("multiply")?.op == .scalarArithmetic(ScalarArithmetic(.multiply, 1.0 / 6.0)))
        #expect(graph.node("expanded_conv_squeeze_excite_mul")?.inputs == ["re_lu", "multiply"])
    }

    /// tf-keras's names of the same layers (its weights bind under keras-v1).
    @Test func tfKerasNames() {
        let pairs = [("conv", "Conv"), ("conv_bn", "Conv/BatchNorm"), ("expanded_conv_depthwise", "expanded_conv/depthwise"),
                     ("expanded_conv_depthwise_bn", "expanded_conv/depthwise/BatchNorm"), ("expanded_conv_3_squeeze_excite_conv_1", "expanded_conv_3/squeeze_excite/Conv_1"),
                     ("expanded_conv_10_project_bn", "expanded_conv_10/project/BatchNorm"), ("expanded_conv_1_expand", "expanded_conv_1/expand"),
                     ("conv_1_bn", "Conv_1/BatchNorm"), ("conv_2", "Conv_2"), ("logits", "Logits"), ("re_lu_3", "re_lu_3")]
        for (keras3, tf) in pairs { #expect(WeightNameMap.kerasV1Name(keras3, family: .mobileNetV3) == tf) }
    }

    /// Alpha, minimalistic and the top come back from a file's weights, in every naming.
    @Test(arguments: [NamingScheme.keras, .kerasV1, .keras3])
    func detectionFindsTheOptions(scheme: NamingScheme) throws {
        for (arch, options) in [(Architecture.mobilenetv3small, ArchitectureOptions(classes: 10, alpha: 0.75)),
                                (.mobilenetv3large, ArchitectureOptions(includeTop: false, minimalistic: true)),
                                (.mobilenetv3large, ArchitectureOptions(alpha: 1.25))] {
            let graph = try arch.build(options)
            let weights = Dictionary(uniqueKeysWithValues: graph.nodes.filter { !$0.weights.isEmpty }.map { node in
                (node.name, Dictionary(uniqueKeysWithValues: node.weights.map { spec in
                    (spec.name, Weight(name: spec.name, path: "", storedName: "\(node.name)/\(spec.name)", dtype: .float32, shape: spec.shape,
                                       data: TensorData(byteCount: spec.shape.reduce(1, *) * 4) { $0.initializeMemory(as: UInt8.self, repeating: 0) }))
                }))
            })
            var checkpoint = try BoundModel(graph: graph, weights: weights).checkpoint(naming: scheme, format: scheme == .keras3 ? .keras3Weights : .kerasH5Weights)
            checkpoint.layers = checkpoint.layers.filter { !$0.weights.isEmpty }
            let detection = try ModelDetector.detect(checkpoint, file: "m.h5")
            #expect(detection.architecture == arch, "\(scheme) \(arch)")
            #expect(detection.scheme == scheme, "\(scheme) \(arch)")
            #expect(detection.options.includeTop == options.includeTop, "\(scheme) \(arch)")
            #expect(detection.options.classes == options.classes, "\(scheme) \(arch)")
            #expect((detection.options.alpha ?? 1) == (options.alpha ?? 1), "\(scheme) \(arch)")
            #expect((detection.options.minimalistic ?? false) == (options.minimalistic ?? false), "\(scheme) \(arch)")
        }
    }
}
