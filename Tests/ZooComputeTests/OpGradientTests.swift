import Foundation
import Testing
import ZooGraph
@testable import ZooCompute

/// Every op family's backward pass against central finite differences (in double precision of
/// a float32 forward pass, so tolerances are loose but a wrong formula is far off): for
/// L = sum(r * op(x, w)) with fixed random r, dL/dx and dL/dw from `backward` must match
/// (L(x + h e) - L(x - h e)) / 2h for sampled coordinates.
@Suite struct OpGradientTests {
    struct Case: CustomStringConvertible, Sendable {
        let name: String
        let op: Op
        let inputShapes: [[Int]]
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "conv same s2", op: .conv2D(ConvAttributes(filters: 4, kernel: [3, 3], strides: [2, 2], padding: .same)), inputShapes: [[2, 7, 6, 3]]),
        Case(name: "conv valid dilated relu", op: .conv2D(ConvAttributes(filters: 3, kernel: [3, 2], padding: .valid, dilation: [2, 1], activation: .tanh)), inputShapes: [[2, 8, 7, 2]]),
        Case(name: "conv 3x3 same winograd", op: .conv2D(ConvAttributes(filters: 32, kernel: [3, 3], padding: .same)), inputShapes: [[1, 14, 14, 16]]),
        Case(name: "conv 3x3 same 7x7 winograd", op: .conv2D(ConvAttributes(filters: 64, kernel: [3, 3], padding: .same, activation: .relu)), inputShapes: [[4, 7, 7, 32]]),
        // More patch rows than one chunk (ConvolutionOp.chunkRows): the forward product, dW and dx go chunk by chunk.
        Case(name: "conv valid chunked", op: .conv2D(ConvAttributes(filters: 8, kernel: [3, 3], padding: .valid)), inputShapes: [[2, 64, 64, 16]]),
        // Conv2D with groups = input channels (ConvNeXt's): the depthwise taps, kernel `kernel` (kh, kw, 1, filters).
        Case(name: "grouped conv groups=channels m2 silu", op: .conv2D(ConvAttributes(filters: 6, kernel: [3, 3], padding: .same, activation: .silu, groups: 3)), inputShapes: [[2, 5, 5, 3]]),
        Case(name: "conv 1x1 no bias", op: .conv2D(ConvAttributes(filters: 5, kernel: [1, 1], useBias: false)), inputShapes: [[2, 4, 4, 3]]),
        Case(name: "depthwise m2 s2", op: .depthwiseConv2D(ConvAttributes(filters: 2, kernel: [3, 3], strides: [2, 2], padding: .same, activation: .sigmoid)), inputShapes: [[2, 6, 5, 3]]),
        Case(name: "dense softmax", op: .dense(DenseAttributes(units: 4, activation: .softmax)), inputShapes: [[3, 6]]),
        Case(name: "batchnorm", op: .batchNormalization(BatchNormAttributes(epsilon: 1e-3)), inputShapes: [[3, 3, 2, 4]]),
        Case(name: "batchnorm no scale", op: .batchNormalization(BatchNormAttributes(epsilon: 1e-3, scale: false)), inputShapes: [[4, 5]]),
        Case(name: "maxpool same", op: .maxPooling2D(PoolAttributes(size: [3, 3], strides: [2, 2], padding: .same)), inputShapes: [[2, 5, 6, 2]]),
        Case(name: "avgpool same", op: .averagePooling2D(PoolAttributes(size: [3, 2], strides: [2, 1], padding: .same)), inputShapes: [[2, 5, 6, 2]]),
        Case(name: "avgpool valid", op: .averagePooling2D(PoolAttributes(size: [2, 2])), inputShapes: [[2, 4, 5, 3]]),
        Case(name: "global avg", op: .globalAveragePooling2D, inputShapes: [[2, 3, 4, 5]]),
        Case(name: "global max", op: .globalMaxPooling2D, inputShapes: [[2, 3, 4, 5]]),
        Case(name: "sigmoid", op: .activation(.sigmoid), inputShapes: [[2, 7]]),
        Case(name: "tanh", op: .activation(.tanh), inputShapes: [[2, 7]]),
        Case(name: "relu", op: .relu, inputShapes: [[2, 7]]),
        Case(name: "softmax", op: .activation(.softmax), inputShapes: [[3, 5]]),
        Case(name: "pad", op: .zeroPadding2D(top: 1, bottom: 2, left: 0, right: 3), inputShapes: [[2, 3, 3, 2]]),
        Case(name: "rescaling", op: .rescaling(scale: 0.5, offset: -1), inputShapes: [[2, 3, 3, 2]]),
        Case(name: "add", op: .add, inputShapes: [[2, 3, 3, 2], [2, 3, 3, 2], [2, 3, 3, 2]]),
        Case(name: "concatenate", op: .concatenate(axis: -1), inputShapes: [[2, 3, 3, 2], [2, 3, 3, 4]]),
        Case(name: "flatten", op: .flatten, inputShapes: [[2, 3, 3, 2]]),
        // Issue 12's ops.
        Case(name: "conv silu fused", op: .conv2D(ConvAttributes(filters: 3, kernel: [3, 3], padding: .same, activation: .silu)), inputShapes: [[2, 5, 4, 2]]),
        Case(name: "dense gelu fused", op: .dense(DenseAttributes(units: 4, activation: .gelu)), inputShapes: [[3, 6]]),
        Case(name: "depthwise hard_silu fused", op: .depthwiseConv2D(ConvAttributes(filters: 1, kernel: [3, 3], padding: .same, activation: .hardSilu)), inputShapes: [[2, 5, 5, 3]]),
        Case(name: "separable m2 s2", op: .separableConv2D(SeparableConvAttributes(filters: 4, kernel: [3, 3], strides: [2, 2], padding: .same, depthMultiplier: 2)), inputShapes: [[2, 6, 5, 3]]),
        Case(name: "separable relu no bias", op: .separableConv2D(SeparableConvAttributes(filters: 5, kernel: [3, 3], depthMultiplier: 1, useBias: false, activation: .relu)), inputShapes: [[2, 6, 6, 2]]),
        Case(name: "relu6 layer", op: .reluLayer(ReLUAttributes(maxValue: 6)), inputShapes: [[2, 40]]),
        Case(name: "relu slope threshold", op: .reluLayer(ReLUAttributes(maxValue: 0.5, negativeSlope: 0.1, threshold: 0.2)), inputShapes: [[2, 40]]),
        Case(name: "leaky relu layer", op: .leakyReLU(negativeSlope: 0.3), inputShapes: [[2, 40]]),
        Case(name: "multiply broadcast", op: .multiply, inputShapes: [[2, 3, 3, 4], [2, 1, 1, 4]]),
        Case(name: "multiply three", op: .multiply, inputShapes: [[2, 3, 4], [2, 3, 4], [2, 1, 4]]),
        Case(name: "subtract", op: .subtract, inputShapes: [[2, 3, 2], [2, 3, 2]]),
        Case(name: "average broadcast", op: .average, inputShapes: [[2, 2, 3, 2], [2, 2, 1, 2]]),
        Case(name: "maximum", op: .maximum, inputShapes: [[2, 3, 5], [2, 3, 5]]),
        Case(name: "custom scale", op: .customScale(scale: 0.17), inputShapes: [[2, 3, 3, 2], [2, 3, 3, 2]]),
        Case(name: "reshape", op: .reshape(targetShape: [1, -1, 2]), inputShapes: [[2, 3, 3, 2]]),
        Case(name: "permute", op: .permute(dims: [2, 3, 1]), inputShapes: [[2, 3, 4, 2]]),
        Case(name: "cropping", op: .cropping2D(top: 1, bottom: 0, left: 2, right: 1), inputShapes: [[2, 4, 6, 2]]),
        Case(name: "global avg keepdims", op: .globalAveragePooling2DKeepingDims, inputShapes: [[2, 3, 4, 5]]),
        Case(name: "global max keepdims", op: .globalMaxPooling2DKeepingDims, inputShapes: [[2, 3, 4, 5]]),
        Case(name: "channel rescaling", op: .channelRescaling(scale: [0.5, 2, -1], offset: [1, 0, 0.25]), inputShapes: [[2, 2, 2, 3]]),
        Case(name: "normalization weights", op: .normalization(NormalizationAttributes()), inputShapes: [[2, 2, 2, 3]]),
        Case(name: "normalization invert constants", op: .normalization(NormalizationAttributes(invert: true, mean: [0.5, -1, 2], variance: [4, 0.25, 1])), inputShapes: [[2, 2, 3]]),
        Case(name: "layer norm", op: .layerNormalization(LayerNormAttributes(epsilon: 1e-6)), inputShapes: [[2, 3, 2, 6]]),
        Case(name: "layer norm no center", op: .layerNormalization(LayerNormAttributes(epsilon: 1e-3, center: false)), inputShapes: [[3, 5]]),
        Case(name: "layer scale", op: .layerScale(initValue: 1e-6), inputShapes: [[2, 3, 3, 4]]),
        // Op nodes (x + 3.0, 3.0 - x, ...).
        Case(name: "op add", op: .scalarArithmetic(ScalarArithmetic(.add, 3)), inputShapes: [[2, 3, 4]]),
        Case(name: "op subtract", op: .scalarArithmetic(ScalarArithmetic(.subtract, 0.5)), inputShapes: [[2, 3, 4]]),
        Case(name: "op rsubtract", op: .scalarArithmetic(ScalarArithmetic(.subtract, 1.5, constantFirst: true)), inputShapes: [[2, 3, 4]]),
        Case(name: "op multiply", op: .scalarArithmetic(ScalarArithmetic(.multiply, 1.0 / 6.0)), inputShapes: [[2, 3, 4]]),
        Case(name: "op divide", op: .scalarArithmetic(ScalarArithmetic(.divide, 6)), inputShapes: [[2, 3, 4]]),
        Case(name: "op rdivide", op: .scalarArithmetic(ScalarArithmetic(.divide, 2, constantFirst: true)), inputShapes: [[2, 3, 4]]),
        Case(name: "op tensors add broadcast", op: .tensorArithmetic(.add), inputShapes: [[2, 3, 3, 4], [2, 1, 1, 4]]),
        Case(name: "op tensors subtract", op: .tensorArithmetic(.subtract), inputShapes: [[2, 3, 4], [2, 3, 4]]),
        Case(name: "op tensors multiply broadcast", op: .tensorArithmetic(.multiply), inputShapes: [[2, 3, 4], [2, 3, 1]]),
    ] + Activation.allCases.filter { $0 != .linear && $0 != .softmax }.map { function in
        Case(name: "activation \(function.rawValue)", op: .activation(function), inputShapes: [[2, 41]])
    }

    /// A deterministic value stream in [-1, 1).
    struct Stream {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
        }
        mutating func values(_ n: Int) -> [Float] { (0..<n).map { _ in next() } }
    }

    @Test(arguments: cases)
    func backwardMatchesFiniteDifferences(_ c: Case) throws {
        var stream = Stream(state: UInt64(c.name.utf8.reduce(7) { $0 &* 31 &+ UInt64($1) }))
        // Shapes and weight specs from the graph's own shape rules.
        var graph = Graph()
        var names: [String] = []
        for (i, shape) in c.inputShapes.enumerated() { names.append(try graph.add("in\(i)", .input(shape: Array(shape.dropFirst())))) }
        try graph.add("op", c.op, inputs: names)
        let node = try #require(graph.node("op"))
        let op = try DifferentiableOps.make(c.op)
        let outputShape = [c.inputShapes[0][0]] + node.outputShape
        var inputs = c.inputShapes.map { FloatTensor(shape: $0, values: stream.values($0.reduce(1, *))) }
        // Finite differences are wrong within h of a kink (x = 0 for the piecewise activations,
        // ties for Maximum): keep the sampled values at least 2.5 h away from one.
        if case .activation = c.op { inputs[0].values = inputs[0].values.map { $0 + ($0 >= 0 ? 0.025 : -0.025) } }
        // c / x: away from the pole at 0.
        if case .scalarArithmetic(let a) = c.op, a.constantFirst, a.operation == .divide {
            inputs[0].values = inputs[0].values.map { $0 + ($0 >= 0 ? 0.5 : -0.5) }
        }
        if c.op == .maximum {
            inputs[1].values = zip(inputs[0].values, inputs[1].values).map { a, b in abs(a - b) < 0.05 ? a + (b >= a ? 0.05 : -0.05) : b }
        }
        var weights: [String: [Float]] = [:]
        for spec in node.weights {
            var values = stream.values(spec.elementCount)
            if spec.name == "moving_variance" || spec.name == "variance" { values = values.map { abs($0) + 0.5 } }
            weights[spec.name] = values
        }
        let r = stream.values(outputShape.reduce(1, *))
        let context = OpContext(training: true, threads: 1, seed: 1, outputShape: outputShape)
        func loss(_ inputs: [FloatTensor], _ weights: [String: [Float]]) throws -> Double {
            var cache = OpCache()
            let y = try op.forward(inputs, weights: weights, context: context, cache: &cache)
            return zip(y.values, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        var cache = OpCache()
        let y = try op.forward(inputs, weights: weights, context: context, cache: &cache)
        #expect(y.shape == outputShape)
        #expect(y.values.count == outputShape.reduce(1, *))
        let grads = op.backward(FloatTensor(shape: outputShape, values: r), inputs: inputs, output: y, weights: weights, context: context,
                                cache: cache, request: GradientRequest(inputs: inputs.map { _ in true }, weights: true))
        let h: Float = 1e-2
        var checked = 0
        for i in inputs.indices {
            let analytic = try #require(grads.inputs[i]).values
            let scale = max(analytic.map { abs(Double($0)) }.max() ?? 0, 1e-3)
            for k in stride(from: 0, to: analytic.count, by: max(1, analytic.count / 23)) {
                var plus = inputs, minus = inputs
                plus[i].values[k] += h
                minus[i].values[k] -= h
                let numeric = (try loss(plus, weights) - loss(minus, weights)) / Double(2 * h)
                #expect(abs(numeric - Double(analytic[k])) <= 2e-2 * scale, "\(c.name): d/dx\(i)[\(k)] analytic \(analytic[k]) numeric \(numeric)")
                checked += 1
            }
        }
        for spec in node.weights where spec.trainable {
            let analytic = try #require(grads.weights[spec.name], "\(c.name): no gradient for \(spec.name)")
            let scale = max(analytic.map { abs(Double($0)) }.max() ?? 0, 1e-3)
            for k in stride(from: 0, to: analytic.count, by: max(1, analytic.count / 17)) {
                var plus = weights, minus = weights
                plus[spec.name]?[k] += h
                minus[spec.name]?[k] -= h
                let numeric = (try loss(inputs, plus) - loss(inputs, minus)) / Double(2 * h)
                #expect(abs(numeric - Double(analytic[k])) <= 2e-2 * scale, "\(c.name): d/d\(spec.name)[\(k)] analytic \(analytic[k]) numeric \(numeric)")
                checked += 1
            }
        }
        #expect(checked > 0)
    }

    /// The transposed products the backward pass uses, against a plain triple loop.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmTransposes(_ transposes: (Bool, Bool)) {
        let (ta, tb) = transposes
        var stream = Stream(state: 99)
        for (m, n, k) in [(1, 1, 1), (5, 33, 7), (37, 70, 129), (64, 3, 300)] {
            let a = stream.values(m * k), b = stream.values(k * n)
            var c = stream.values(m * n)
            let before = c
            Gemm.multiply(m: m, n: n, k: k, a: a, transposeA: ta, b: b, transposeB: tb, into: &c, accumulate: true, threads: 2)
            var worst: Float = 0
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Double = Double(before[i * n + j])
                    for p in 0..<k {
                        let av = ta ? a[p * m + i] : a[i * k + p]
                        let bv = tb ? b[j * k + p] : b[p * n + j]
                        sum += Double(av) * Double(bv)
                    }
                    worst = max(worst, abs(Float(sum) - c[i * n + j]))
                }
            }
            #expect(worst < 1e-4, "m \(m) n \(n) k \(k): max error \(worst)")
        }
    }
}
