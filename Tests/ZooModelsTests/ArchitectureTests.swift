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
        for arch in [Architecture.resnet50, .resnet101, .resnet152, .vgg16, .vgg19] {
            out.append(("\(arch.rawValue)_top.json", arch, ArchitectureOptions()))
            out.append(("\(arch.rawValue)_notop.json", arch, ArchitectureOptions(includeTop: false)))
            out.append(("\(arch.rawValue)_avg.json", arch, ArchitectureOptions(includeTop: false, pooling: .avg)))
            out.append(("\(arch.rawValue)_max.json", arch, ArchitectureOptions(includeTop: false, pooling: .max)))
        }
        for arch in [Architecture.resnet50, .vgg16] {
            out.append(("\(arch.rawValue)_top10.json", arch, ArchitectureOptions(classes: 10)))
            out.append(("\(arch.rawValue)_notop_160x128.json", arch, ArchitectureOptions(includeTop: false, inputShape: [160, 128, 3])))
        }
        // The further families have fixtures for one depth each, at the default input size.
        for arch in [Architecture.densenet121, .resnet50v2, .inceptionv3] {
            out.append(("\(arch.rawValue)_top.json", arch, arch.defaultOptions()))
            out.append(("\(arch.rawValue)_notop.json", arch, arch.defaultOptions(includeTop: false)))
        }
        return out
    }()

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

    @Test func transferPointsExistInTheGraphs() throws {
        for arch in Architecture.allCases {
            let graph = try arch.build()
            for point in arch.transferPoints() { #expect(graph.node(point) != nil, "\(arch) \(point)") }
        }
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
