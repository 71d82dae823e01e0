import Foundation
import Testing
import ZooFormats
import ZooGraph
import ZooModels
@testable import ZooCompute

/// Short, wide products (few rows, many output channels) are split across threads by columns;
/// the result must equal the single-thread run bit for bit.
@Suite struct ThreadSplitTests {
    func model() throws -> BoundModel {
        var g = Graph()
        try g.add("in", .input(shape: [3, 3, 40]))
        try g.add("wide_1x1", .conv2D(ConvAttributes(filters: 300, kernel: [1, 1])), inputs: ["in"])
        try g.add("wide_3x3", .conv2D(ConvAttributes(filters: 260, kernel: [3, 3], padding: .same, activation: .relu)), inputs: ["wide_1x1"])
        try g.add("flat", .flatten, inputs: ["wide_3x3"])
        try g.add("dense", .dense(DenseAttributes(units: 333)), inputs: ["flat"])
        g.outputs = ["dense"]
        let weights = seededWeights(for: g, seed: 42, divisor: 4000)
        return BoundModel(graph: g, weights: weights, report: BindingReport(), scheme: .keras)
    }

    @Test func columnSplitEqualsOneThread() throws {
        let bound = try model()
        let input = Tensor(shape: [1, 3, 3, 40], values: (0..<360).map { Float($0 % 17) / 8 - 1 })
        let one = try CompiledModel(model: bound, threads: 1).run(input, outputs: ["wide_1x1", "wide_3x3", "dense"])
        let two = try CompiledModel(model: bound, threads: 2).run(input, outputs: ["wide_1x1", "wide_3x3", "dense"])
        for name in ["wide_1x1", "wide_3x3", "dense"] {
            #expect(sameValues(one[name], two[name]), "\(name)")
        }
        // And the values are right: the Dense output against a direct float64 computation.
        let flat = try #require(one["wide_3x3"]).values
        let kernel = DTypeConversion.floats(try #require(bound.weights["dense"]?["kernel"]))
        let bias = DTypeConversion.floats(try #require(bound.weights["dense"]?["bias"]))
        let dense = try #require(one["dense"]).values
        for o in [0, 31, 32, 100, 332] {
            var sum = Double(bias[o])
            for i in 0..<flat.count { sum += Double(flat[i]) * Double(kernel[i * 333 + o]) }
            #expect(abs(Double(dense[o]) - sum) <= 1e-4 * max(1, abs(sum)), "dense[\(o)]")
        }
    }

    /// Tall products split by rows (chunks taken from a shared counter) and pooling split by
    /// output lines give the single-thread result bit for bit, for any thread count.
    @Test func rowSplitAndPoolingEqualOneThread() throws {
        var g = Graph()
        try g.add("in", .input(shape: [40, 40, 5]))
        try g.add("c3", .conv2D(ConvAttributes(filters: 48, kernel: [3, 3], padding: .same, activation: .relu)), inputs: ["in"])
        try g.add("pool", .maxPooling2D(PoolAttributes(size: [3, 3], strides: [2, 2], padding: .same)), inputs: ["c3"])
        try g.add("avg", .averagePooling2D(PoolAttributes(size: [2, 2], strides: [1, 1], padding: .valid)), inputs: ["pool"])
        try g.add("c1", .conv2D(ConvAttributes(filters: 70, kernel: [1, 1])), inputs: ["avg"])
        g.outputs = ["c1"]
        let weights = seededWeights(for: g, seed: 7, divisor: 3000)
        let bound = BoundModel(graph: g, weights: weights, report: BindingReport(), scheme: .keras)
        let input = Tensor(shape: [3, 40, 40, 5], values: (0..<(3 * 40 * 40 * 5)).map { Float($0 % 23) / 7 - 1.5 })
        let names = ["c3", "pool", "avg", "c1"]
        let one = try CompiledModel(model: bound, threads: 1).run(input, outputs: names)
        #expect(try #require(one["pool"]).values.contains { $0 > 0 })
        for threads in [2, 3, 5] {
            let many = try CompiledModel(model: bound, threads: threads).run(input, outputs: names)
            for name in names { #expect(sameValues(one[name], many[name]), "\(name) with \(threads) threads") }
        }
    }

    /// A batch shared out between threads (2 images per thread on 2 threads, the fifth image run
    /// with every layer split) gives the single-thread result bit for bit, with a small or a large
    /// Dense layer.
    @Test(arguments: [false, true])
    func imageParallelBatchesEqualOneThread(largeDense: Bool) throws {
        var g = Graph()
        try g.add("in", .input(shape: [6, 6, 8]))
        try g.add("c", .conv2D(ConvAttributes(filters: 24, kernel: [3, 3], padding: .same, activation: .relu)), inputs: ["in"])
        try g.add("flat", .flatten, inputs: ["c"])
        try g.add("dense", .dense(DenseAttributes(units: largeDense ? 5000 : 40)), inputs: ["flat"])
        g.outputs = ["dense"]
        let weights = seededWeights(for: g, seed: 99, divisor: 5000)
        let bound = BoundModel(graph: g, weights: weights, report: BindingReport(), scheme: .keras)
        let input = Tensor(shape: [5, 6, 6, 8], values: (0..<(5 * 6 * 6 * 8)).map { Float($0 % 29) / 9 - 1.5 })
        let one = try CompiledModel(model: bound, threads: 1).run(input, outputs: ["c", "dense"])
        let two = CompiledModel(model: bound, threads: 2)
        #expect(try two.planInfo(batch: 5).imagesPerThread == 2)
        let many = try two.run(input, outputs: ["c", "dense"])
        #expect(sameValues(one["c"], many["c"]) && sameValues(one["dense"], many["dense"]))
        #expect(many["dense"]?.shape == [5, largeDense ? 5000 : 40])
        // Each image alone gives its slice of the batch result.
        let perImage = 6 * 6 * 8
        let units = largeDense ? 5000 : 40
        let all = try #require(many["dense"]).values
        for image in [0, 3, 4] {
            let alone = Tensor(shape: [1, 6, 6, 8], values: Array(input.values[(image * perImage)..<((image + 1) * perImage)]))
            let out = try #require(try two.run(alone, outputs: ["dense"])["dense"]).values
            #expect(sameValues(Tensor(shape: [1, units], values: out), Tensor(shape: [1, units], values: Array(all[(image * units)..<((image + 1) * units)]))), "image \(image)")
        }
    }
}

/// Seeded weights for every layer of `graph` (values in [-1000, 1000] / divisor).
func seededWeights(for graph: Graph, seed: UInt64, divisor: Float) -> [String: [String: Weight]] {
    var weights: [String: [String: Weight]] = [:]
    var state = seed
    for node in graph.nodes {
        for spec in node.weights {
            let values = (0..<spec.elementCount).map { _ -> Float in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / divisor
            }
            weights[node.name, default: [:]][spec.name] = Weight(name: spec.name, path: "", storedName: "", dtype: .float32,
                                                                  shape: spec.shape, data: TensorData(values: values))
        }
    }
    return weights
}

/// Equal shapes and values. With one matrix-multiply kernel the thread splits give identical
/// bits; the tolerance (1e-6 of the largest value) is there because the kernel tests in this
/// process force the portable kernel, whose rounding differs (no FMA), for moments at a time.
func sameValues(_ a: Tensor?, _ b: Tensor?) -> Bool {
    guard let a, let b, a.shape == b.shape else { return false }
    let x = a.values, y = b.values
    let scale = max(x.map(abs).max() ?? 0, 1e-30)
    return zip(x, y).allSatisfy { abs($0 - $1) <= 1e-6 * scale }
}

/// The depthwise kernel (SIMD, split by output lines) with a ZeroPadding2D folded in front, as
/// EfficientNet's and MobileNetV2's stride-2 blocks have it: the folded run equals the run that
/// materialises the padding, and the threaded run equals one thread, bit for bit; the values
/// match the training forward pass (a separate plain loop) within float32 rounding.
@Suite struct DepthwiseKernelTests {
    @Test(arguments: [1, 2]) func foldedPaddingAndThreadsAgree(multiplier: Int) throws {
        var g = Graph()
        try g.add("in", .input(shape: [23, 18, 37]))
        try g.add("pad", .zeroPadding2D(top: 0, bottom: 1, left: 1, right: 1), inputs: ["in"])
        try g.add("dw", .depthwiseConv2D(ConvAttributes(filters: multiplier, kernel: [5, 5], strides: [2, 2], useBias: true, activation: .silu)), inputs: ["pad"])
        try g.add("dw2", .depthwiseConv2D(ConvAttributes(filters: 1, kernel: [3, 3], padding: .same, dilation: [2, 2], activation: .relu6)), inputs: ["dw"])
        g.outputs = ["dw2"]
        let weights = seededWeights(for: g, seed: 9, divisor: 50)
        let bound = BoundModel(graph: g, weights: weights, report: BindingReport(), scheme: .keras)
        let input = Tensor(shape: [3, 23, 18, 37], values: (0..<(3 * 23 * 18 * 37)).map { Float($0 % 29) / 9 - 1.5 })
        let folded = try CompiledModel(model: bound, threads: 1).run(input, outputs: ["dw", "dw2"])
        let unfolded = try CompiledModel(model: bound, threads: 1).run(input, outputs: ["pad", "dw", "dw2"])
        let threaded = try CompiledModel(model: bound, threads: 3).run(input, outputs: ["dw", "dw2"])
        for name in ["dw", "dw2"] {
            #expect(sameValues(folded[name], unfolded[name]), "\(name) folded vs materialised padding")
            #expect(sameValues(folded[name], threaded[name]), "\(name) 1 vs 3 threads")
        }
        #expect(try #require(folded["dw2"]).values.contains { $0 > 0 })
        // A plain float64 loop over the explicitly padded input, for "dw" (valid, stride 2, silu).
        let kernel = DTypeConversion.floats(try #require(bound.weights["dw"]?["depthwise_kernel"]))
        let bias = DTypeConversion.floats(try #require(bound.weights["dw"]?["bias"]))
        let got = try #require(folded["dw"])
        let (h, w, c, m) = (23, 18, 37, multiplier)
        let (outH, outW) = (got.shape[1], got.shape[2])
        var worst = 0.0
        for n in [0, 2] {
            for oy in stride(from: 0, to: outH, by: 3) {
                for ox in 0..<outW {
                    for ch in stride(from: 0, to: c * m, by: 5) {
                        let (ic, j) = (ch / m, ch % m)
                        var sum = Double(bias[ch])
                        for ky in 0..<5 {
                            for kx in 0..<5 {
                                let (py, px) = (oy * 2 + ky, ox * 2 + kx)  // padded coordinates
                                let (iy, ix) = (py, px - 1)                 // top 0, left 1
                                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                sum += Double(input.values[((n * h + iy) * w + ix) * c + ic]) * Double(kernel[((ky * 5 + kx) * c + ic) * m + j])
                            }
                        }
                        let silu = sum / (1 + exp(-sum))
                        worst = max(worst, abs(silu - Double(got.values[((n * outH + oy) * outW + ox) * c * m + ch])))
                    }
                }
            }
        }
        #expect(worst <= 1e-4, "max abs difference \(worst)")
    }
}

/// ReLU6 layers (MobileNetV2 has 35) are shared between threads on large activations: the same
/// clamp, bit for bit, at any thread count.
@Suite struct ReLULayerThreadTests {
    @Test func threadedReLU6EqualsTheClamp() throws {
        var g = Graph()
        try g.add("in", .input(shape: [40, 40, 24]))
        try g.add("relu6", .reluLayer(ReLUAttributes(maxValue: 6)), inputs: ["in"])
        try g.add("leaky", .reluLayer(ReLUAttributes(maxValue: 5, negativeSlope: 0.1, threshold: 0.5)), inputs: ["in"])
        g.outputs = ["relu6", "leaky"]
        let bound = BoundModel(graph: g, weights: [:], report: BindingReport(), scheme: .keras)
        let values: [Float] = (0..<(2 * 40 * 40 * 24)).map { (i: Int) -> Float in Float(i % 37) / 3 - 6 }
        let input = Tensor(shape: [2, 40, 40, 24], values: values)
        let one = try CompiledModel(model: bound, threads: 1).run(input, outputs: ["relu6", "leaky"])
        let three = try CompiledModel(model: bound, threads: 3).run(input, outputs: ["relu6", "leaky"])
        #expect(sameValues(one["relu6"], three["relu6"]))
        #expect(sameValues(one["leaky"], three["leaky"]))
        let clamped: [Float] = values.map { (x: Float) -> Float in min(max(x, 0), 6) }
        #expect(try #require(one["relu6"]).values == clamped)
        // Keras: x > threshold passes (capped), the rest gives negative_slope * (x - threshold).
        let keras: [Float] = values.map { (x: Float) -> Float in
            var out: Float = x > 0.5 ? x : 0
            out = min(max(out, 0), 5)
            let negative: Float = max(0.5 - x, 0)
            return out - 0.1 * negative
        }
        #expect(try #require(one["leaky"]).values == keras)
    }
}

/// Op nodes (MobileNetV3's hard sigmoid is `ReLU(6)(x + 3) * (1 / 6)`) through the inference
/// core: Keras's float32 arithmetic bit for bit, in place or not, at any thread count.
@Suite struct ScalarArithmeticInferenceTests {
    @Test func opNodesMatchFloat32ArithmeticAtAnyThreadCount() throws {
        var g = Graph()
        try g.add("in", .input(shape: [40, 40, 24]))
        try g.add("plus3", .scalarArithmetic(ScalarArithmetic(.add, 3)), inputs: ["in"])
        try g.add("relu6", .reluLayer(ReLUAttributes(maxValue: 6)), inputs: ["plus3"])
        try g.add("sixth", .scalarArithmetic(ScalarArithmetic(.multiply, 1.0 / 6.0)), inputs: ["relu6"])
        try g.add("rsub", .scalarArithmetic(ScalarArithmetic(.subtract, 1.5, constantFirst: true)), inputs: ["in"])
        try g.add("div", .scalarArithmetic(ScalarArithmetic(.divide, 6)), inputs: ["in"])
        try g.add("rdiv", .scalarArithmetic(ScalarArithmetic(.divide, 2, constantFirst: true)), inputs: ["in"])
        let names = ["sixth", "rsub", "div", "rdiv"]
        g.outputs = names
        let bound = BoundModel(graph: g, weights: [:], report: BindingReport(), scheme: .keras)
        let values: [Float] = (0..<(2 * 40 * 40 * 24)).map { (i: Int) -> Float in Float(i % 37) / 3 - 6.1 }
        let input = Tensor(shape: [2, 40, 40, 24], values: values)
        let one = try CompiledModel(model: bound, threads: 1).run(input, outputs: names)
        let three = try CompiledModel(model: bound, threads: 3).run(input, outputs: names)
        for name in names { #expect(sameValues(one[name], three[name]), "\(name)") }
        let sixth = Float(1.0 / 6.0)
        #expect(try #require(one["sixth"]).values == values.map { (x: Float) -> Float in min(max(x + 3, 0), 6) * sixth })
        #expect(try #require(one["rsub"]).values == values.map { (x: Float) -> Float in 1.5 - x })
        #expect(try #require(one["div"]).values == values.map { (x: Float) -> Float in x / 6 })
        #expect(try #require(one["rdiv"]).values == values.map { (x: Float) -> Float in 2 / x })
    }
}
