import Foundation
import Testing
import ZooGraph
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
        return out
    }()

    /// The fixture list above is not silently empty for a family: every architecture has its
    /// `_top` structure file except the deeper members of a family whose first member has one.
    @Test func everyFamilyHasAStructureFixture() {
        let covered = Set(Self.cases.map(\.1))
        for arch in Architecture.allCases {
            let family = arch.rawValue.prefix { !$0.isNumber && $0 != "_" }
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
        #expect(graph.nodes.count == keras.rows.count)
        for (node, row) in zip(graph.nodes, keras.rows) {
            #expect(node.name == row.name)
            // Keras 3 names the input layer by position; ours is always the first.
            if row.className != "InputLayer" { #expect(node.inputs == row.inbound, "\(node.name)") }
            #expect(node.op.kerasClassName == row.className, "\(node.name)")
            #expect(node.outputShape == row.outputShape, "\(node.name)")
            #expect(node.parameterCount == row.params, "\(node.name)")
            if case .batchNormalization(let bn) = node.op {
                #expect(bn.epsilon == row.extra["epsilon"] as? Double, "\(node.name)")
                // Keras reports axis 3 for these NHWC models; the graph's axis is either 3 or -1.
                let axis = row.extra["axis"] as? Int ?? (row.extra["axis"] as? [Int])?.first
                #expect(bn.axis == axis || (bn.axis == -1 && axis == 3), "\(node.name)")
                #expect(bn.scale == row.extra["scale"] as? Bool, "\(node.name)")
                #expect(bn.center == row.extra["center"] as? Bool, "\(node.name)")
            }
            if case .conv2D(let conv) = node.op {
                #expect(conv.filters == row.extra["filters"] as? Int, "\(node.name)")
                #expect(conv.kernel == row.extra["kernel_size"] as? [Int], "\(node.name)")
                #expect(conv.strides == row.extra["strides"] as? [Int], "\(node.name)")
                #expect(conv.padding.rawValue == row.extra["padding"] as? String, "\(node.name)")
                #expect(conv.useBias == row.extra["use_bias"] as? Bool, "\(node.name)")
                #expect(conv.dilation == row.extra["dilation_rate"] as? [Int], "\(node.name)")
                #expect(conv.activation.rawValue == row.extra["activation"] as? String, "\(node.name)")
            }
            if case .dense(let dense) = node.op {
                #expect(dense.units == row.extra["units"] as? Int, "\(node.name)")
                #expect(dense.useBias == row.extra["use_bias"] as? Bool, "\(node.name)")
                #expect(dense.activation.rawValue == row.extra["activation"] as? String, "\(node.name)")
            }
            if case .maxPooling2D(let pool) = node.op { try comparePool(pool, row) }
            if case .averagePooling2D(let pool) = node.op { try comparePool(pool, row) }
            if case .zeroPadding2D(let top, let bottom, let left, let right) = node.op {
                #expect(row.extra["padding"] as? [[Int]] == [[top, bottom], [left, right]], "\(node.name)")
            }
            if case .activation(let activation) = node.op {
                #expect(activation.rawValue == row.extra["activation"] as? String, "\(node.name)")
            }
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
    static let kerasTotals: [(Architecture, String, Int, Int, Int, Int, [Int])] = [
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
        #expect(Set(Self.kerasTotals.map(\.0)) == families)
        for (arch, variant, total, trainable, nonTrainable, layers, shape) in Self.kerasTotals {
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
