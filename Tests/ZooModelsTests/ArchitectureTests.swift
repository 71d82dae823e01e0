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

    init(_ file: String) throws {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent(file))
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
            for (variant, options) in [("top", ArchitectureOptions()), ("notop", ArchitectureOptions(includeTop: false)),
                                       ("avg", ArchitectureOptions(includeTop: false, pooling: .avg)),
                                       ("max", ArchitectureOptions(includeTop: false, pooling: .max))] {
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
        let keras = try KerasStructure(file)
        let graph = try architecture.build(options)
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
            }
            if case .conv2D(let conv) = node.op {
                #expect(conv.strides == row.extra["strides"] as? [Int], "\(node.name)")
                #expect(conv.padding.rawValue == row.extra["padding"] as? String, "\(node.name)")
                #expect(conv.activation.rawValue == row.extra["activation"] as? String, "\(node.name)")
            }
            if case .dense(let dense) = node.op {
                #expect(dense.activation.rawValue == row.extra["activation"] as? String, "\(node.name)")
            }
        }
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
