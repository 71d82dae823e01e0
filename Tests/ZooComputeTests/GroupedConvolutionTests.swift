import Foundation
import Testing
import ZooFormats
import ZooGraph
import ZooModels
@testable import ZooCompute

/// Conv2D with `groups` equal to its input channels (ConvNeXt's 7x7 `depthwise_conv`) computes
/// what DepthwiseConv2D computes with the same kernel bytes, at any thread count, and a direct
/// float64 loop agrees.
@Suite struct GroupedConvolutionTests {
    func graph(grouped: Bool, multiplier: Int) throws -> Graph {
        var g = Graph()
        try g.add("in", .input(shape: [9, 8, 4]))
        let attributes = ConvAttributes(filters: grouped ? 4 * multiplier : multiplier, kernel: [7, 7], padding: .same, activation: .gelu,
                                        groups: grouped ? 4 : 1)
        try g.add("conv", grouped ? .conv2D(attributes) : .depthwiseConv2D(attributes), inputs: ["in"])
        g.outputs = ["conv"]
        return g
    }

    @Test(arguments: [1, 2])
    func equalsDepthwise(multiplier: Int) throws {
        let grouped = try graph(grouped: true, multiplier: multiplier)
        let node = try #require(grouped.node("conv"))
        #expect(node.weights.map(\.shape) == [[7, 7, 1, 4 * multiplier], [4 * multiplier]])
        #expect(node.parameterCount == 49 * 4 * multiplier + 4 * multiplier)
        #expect(grouped.multiplyAdds(of: node) == 9 * 8 * 4 * multiplier * 49)
        let weights = seededWeights(for: grouped, seed: 3, divisor: 40)
        let depthwise = try graph(grouped: false, multiplier: multiplier)
        // The same bytes under DepthwiseConv2D's names and (kh, kw, cin, m) shape.
        var renamed = weights
        var kernel = try #require(weights["conv"]?["kernel"])
        kernel.name = "depthwise_kernel"
        kernel.shape = [7, 7, 4, multiplier]
        renamed["conv"] = ["depthwise_kernel": kernel, "bias": try #require(weights["conv"]?["bias"])]
        let input = Tensor(shape: [2, 9, 8, 4], values: (0..<(2 * 9 * 8 * 4)).map { Float(($0 * 37) % 29) / 9 - 1.5 })
        let want = try #require(try CompiledModel(model: BoundModel(graph: depthwise, weights: renamed), threads: 1).run(input)["conv"])
        for threads in [1, 2, 3] {
            let got = try #require(try CompiledModel(model: BoundModel(graph: grouped, weights: weights), threads: threads).run(input)["conv"])
            #expect(got == want, "threads \(threads)")
        }
        // One output against float64: channel c*m + j reads input channel c only.
        let k = DTypeConversion.floats(kernel), b = DTypeConversion.floats(try #require(weights["conv"]?["bias"]))
        let x = DTypeConversion.floats(Weight(name: "x", path: "", storedName: "x", dtype: .float32, shape: input.shape, data: input.data))
        let out = DTypeConversion.floats(Weight(name: "y", path: "", storedName: "y", dtype: .float32, shape: want.shape, data: want.data))
        let (n, oy, ox, c, j) = (1, 4, 0, 3, multiplier - 1)
        var sum = Double(b[c * multiplier + j])
        for ky in 0..<7 {
            for kx in 0..<7 {
                let iy = oy + ky - 3, ix = ox + kx - 3
                guard iy >= 0, iy < 9, ix >= 0, ix < 8 else { continue }
                sum += Double(x[((n * 9 + iy) * 8 + ix) * 4 + c]) * Double(k[((ky * 7 + kx) * 4 + c) * multiplier + j])
            }
        }
        let gelu = 0.5 * sum * (1 + erf(sum / 2.0.squareRoot()))
        let channels = 4 * multiplier
        #expect(abs(Double(out[((n * 9 + oy) * 8 + ox) * channels + c * multiplier + j]) - gelu) <= 1e-5)
    }

    /// Other group counts are refused when the layer is added, naming it.
    @Test func otherGroupCountsAreRefused() throws {
        var g = Graph()
        try g.add("in", .input(shape: [8, 8, 6]))
        #expect(throws: GraphError.self) { try g.add("half", .conv2D(ConvAttributes(filters: 6, kernel: [3, 3], groups: 2)), inputs: ["in"]) }
        #expect(throws: GraphError.self) { try g.add("bad", .conv2D(ConvAttributes(filters: 5, kernel: [3, 3], groups: 6)), inputs: ["in"]) }
        #expect(throws: GraphError.self) { try g.add("zero", .conv2D(ConvAttributes(filters: 6, kernel: [3, 3], groups: 0)), inputs: ["in"]) }
    }
}

/// ConvNeXt's LayerScale folds into the Dense before it in the inference core (the kernel's
/// columns and the bias scaled by gamma), unless the Dense's own output is asked for; either
/// way the values are Keras's `(x W + b) * gamma`, and LayerNormalization's threaded rows
/// equal one thread's.
@Suite struct LayerScaleFoldingTests {
    @Test func foldedEqualsUnfolded() throws {
        var g = Graph()
        try g.add("in", .input(shape: [3, 5, 40]))
        try g.add("norm", .layerNormalization(LayerNormAttributes(epsilon: 1e-6)), inputs: ["in"])
        try g.add("dense", .dense(DenseAttributes(units: 24)), inputs: ["norm"])
        try g.add("scale", .layerScale(initValue: 1e-6), inputs: ["dense"])
        g.outputs = ["scale"]
        let weights = seededWeights(for: g, seed: 11, divisor: 30)
        let model = BoundModel(graph: g, weights: weights)
        let input = Tensor(shape: [4, 3, 5, 40], values: (0..<(4 * 3 * 5 * 40)).map { Float(($0 * 53) % 41) / 13 - 1.5 })
        let folded = try #require(try CompiledModel(model: model, threads: 2).run(input)["scale"])
        let both = try CompiledModel(model: model, threads: 1).run(input, outputs: ["dense", "scale"])
        let dense = try #require(both["dense"]), kept = try #require(both["scale"])
        let gamma = DTypeConversion.floats(try #require(weights["scale"]?["gamma"]))
        let d = DTypeConversion.floats(Weight(name: "d", path: "", storedName: "d", dtype: .float32, shape: dense.shape, data: dense.data))
        let f = DTypeConversion.floats(Weight(name: "f", path: "", storedName: "f", dtype: .float32, shape: folded.shape, data: folded.data))
        let k = DTypeConversion.floats(Weight(name: "k", path: "", storedName: "k", dtype: .float32, shape: kept.shape, data: kept.data))
        #expect(f.count == d.count && k.count == d.count)
        // Folded, the product sums x * (w * gamma): other roundings, so within 1e-6 of the
        // largest output rather than of each value (a sum with cancellation is small).
        let peak = d.indices.map { abs(d[$0] * gamma[$0 % 24]) }.max() ?? 1
        for i in d.indices {
            let want = d[i] * gamma[i % 24]
            #expect(abs(k[i] - want) <= 1e-6 * max(1, abs(want)), "kept \(i)")
            #expect(abs(f[i] - want) <= 1e-6 * peak, "folded \(i): \(f[i]) vs \(want)")
        }
        #expect(f != k, "the folded plan computes differently (so the fold did happen)")
    }
}
