import Foundation
import Testing
import ZooGraph
@testable import ZooCompute
@testable import ZooModels

/// Dropout's `noise_shape`: read from and written to Keras configs, and in training the mask is
/// drawn at that shape and broadcast (EfficientNet's `(None, 1, 1, 1)` keeps or drops each
/// sample's whole branch, scaled by 1 / (1 - rate)); inference is the identity.
@Suite struct DropoutTests {
    @Test func noiseShapeBroadcastsTheMask() throws {
        let op = DropoutOp(rate: 0.5, noiseShape: [nil, 1, 1, 1])
        let shape = [16, 3, 4, 5]
        let x = FloatTensor(shape: shape, values: (0..<shape.reduce(1, *)).map { Float($0 % 7) + 1 })
        var cache = OpCache()
        let y = try op.forward([x], weights: [:], context: OpContext(training: true, threads: 1, seed: 42, outputShape: shape), cache: &cache)
        var kept = 0
        for n in 0..<16 {
            let sample = 60 * n..<60 * (n + 1)
            let ratios = sample.map { y.values[$0] / x.values[$0] }
            #expect(ratios.allSatisfy { $0 == ratios[0] } && (ratios[0] == 0 || ratios[0] == 2), "sample \(n): \(Set(ratios))")
            if ratios[0] == 2 { kept += 1 }
        }
        #expect(kept > 0 && kept < 16, "16 samples at rate 0.5: \(kept) kept")
        // Per channel (`(None, 1, 1, C)`): one draw per sample and channel.
        let channels = DropoutOp(rate: 0.5, noiseShape: [nil, 1, 1, nil])
        let z = try channels.forward([x], weights: [:], context: OpContext(training: true, threads: 1, seed: 7, outputShape: shape), cache: &cache)
        for n in 0..<16 {
            for c in 0..<5 {
                let values = (0..<12).map { p in z.values[n * 60 + p * 5 + c] / x.values[n * 60 + p * 5 + c] }
                #expect(Set(values).count == 1, "sample \(n) channel \(c)")
            }
        }
        let inference = try op.forward([x], weights: [:], context: OpContext(training: false, threads: 1, seed: 42, outputShape: shape), cache: &cache)
        #expect(inference.values == x.values)
    }

    @Test func noiseShapeRoundTripsThroughConfigs() throws {
        let graph = try Architecture.efficientnetb0.build()
        #expect(graph.node("block2b_drop")?.op == .dropoutWithNoiseShape(rate: 0.2 * 2 / 16, noiseShape: [nil, 1, 1, 1]))
        for flavor in [KerasConfigExporter.Flavor.keras3, .tfKeras2] {
            let text = try KerasConfigExporter.json(for: graph, flavor: flavor)
            #expect(text.contains(#""noise_shape": [null, 1, 1, 1]"#), "\(flavor)")
            #expect(try KerasConfigImporter.graph(fromJSON: text) == graph, "\(flavor)")
        }
        var bad = Graph()
        try bad.add("in", .input(shape: [4, 4, 3]))
        #expect(throws: GraphError.self) { try bad.add("drop", .dropoutWithNoiseShape(rate: 0.5, noiseShape: [nil, 2, 1, 1]), inputs: ["in"]) }
        #expect(throws: GraphError.self) { try bad.add("drop", .dropoutWithNoiseShape(rate: 0.5, noiseShape: [nil, 1, 1]), inputs: ["in"]) }
    }
}
