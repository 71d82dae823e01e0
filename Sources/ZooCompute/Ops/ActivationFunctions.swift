import CZooKernels
import Foundation
import ZooGraph

/// Every activation function and its derivative, on raw memory: the one implementation behind
/// Activation layers, the activations fused into Conv2D, DepthwiseConv2D, SeparableConv2D and
/// Dense, and Keras's `ReLU` / `LeakyReLU` layers. Formulas follow Keras 3 (`keras.ops`).
enum ActivationFunctions {
    static let seluAlpha: Float = 1.6732632423543772
    static let seluScale: Float = 1.0507009873554805
    static let geluTanhK: Float = 0.7978845608028654  // sqrt(2 / pi)
    static let inverseSqrt2: Float = 0.7071067811865476
    static let inverseSqrt2Pi: Float = 0.3989422804014327

    /// The C kernel (`zoo_activation`, AVX-512 / AVX2 / portable, as the GEMM dispatches) of
    /// the functions it computes; nil for the ones computed here.
    static func kernelKind(_ function: Activation) -> Int32? {
        switch function {
        case .silu: return Int32(ZOO_ACT_SILU)
        case .sigmoid: return Int32(ZOO_ACT_SIGMOID)
        case .gelu: return Int32(ZOO_ACT_GELU)
        case .geluTanh: return Int32(ZOO_ACT_GELU_TANH)
        case .hardSigmoid: return Int32(ZOO_ACT_HARD_SIGMOID)
        case .hardSigmoidKeras2: return Int32(ZOO_ACT_HARD_SIGMOID_KERAS2)
        case .hardSilu: return Int32(ZOO_ACT_HARD_SILU)
        case .relu6: return Int32(ZOO_ACT_RELU6)
        default: return nil
        }
    }

    /// Applies `function` in place to `count` values; softmax normalises each run of `rowLength`.
    static func apply(_ function: Activation, _ v: UnsafeMutablePointer<Float>, count: Int, rowLength: Int) {
        if count > 0, let kind = kernelKind(function), zoo_activation(kind, v, count) == 1 { return }
        applyPortable(function, v, count: count, rowLength: rowLength)
    }

    /// The Swift formulas (the reference the C kernels are tested against, and the functions
    /// the kernels do not have).
    static func applyPortable(_ function: Activation, _ v: UnsafeMutablePointer<Float>, count: Int, rowLength: Int) {
        switch function {
        case .linear: return
        case .relu: for i in 0..<count { v[i] = Swift.max(v[i], 0) }  // a select that vectorises; NaN stays NaN
        case .sigmoid: for i in 0..<count { v[i] = sigmoid(v[i]) }
        case .tanh: for i in 0..<count { v[i] = Foundation.tanh(v[i]) }
        case .silu: for i in 0..<count { let x = v[i]; v[i] = x / (1 + fastExp(-x)) }
        case .gelu: for i in 0..<count { let x = v[i]; v[i] = 0.5 * x * (1 + erf(x * inverseSqrt2)) }
        case .geluTanh:
            for i in 0..<count { let x = v[i]; v[i] = 0.5 * x * (1 + Foundation.tanh(geluTanhK * (x + 0.044715 * x * x * x))) }
        case .hardSigmoid: for i in 0..<count { v[i] = min(max(v[i] + 3, 0), 6) / 6 }
        case .hardSigmoidKeras2: for i in 0..<count { v[i] = min(max(0.2 * v[i] + 0.5, 0), 1) }
        case .hardSilu: for i in 0..<count { let x = v[i]; v[i] = x * (min(max(x + 3, 0), 6) / 6) }
        case .relu6: for i in 0..<count { v[i] = min(max(v[i], 0), 6) }
        case .elu: for i in 0..<count where v[i] <= 0 { v[i] = expm1(v[i]) }
        case .selu: for i in 0..<count { let x = v[i]; v[i] = seluScale * (x > 0 ? x : seluAlpha * expm1(x)) }
        case .softplus: for i in 0..<count { let x = v[i]; v[i] = max(x, 0) + log1p(exp(-abs(x))) }
        case .leakyRelu: for i in 0..<count where v[i] < 0 { v[i] *= 0.2 }
        case .softmax:
            let n = max(rowLength, 1)
            var start = 0
            while start < count {
                let end = min(start + n, count)
                var peak = -Float.infinity
                for i in start..<end { peak = max(peak, v[i]) }
                var sum: Float = 0
                for i in start..<end { v[i] = exp(v[i] - peak); sum += v[i] }
                for i in start..<end { v[i] /= sum }
                start = end
            }
        }
    }

    /// Whether the derivative needs the activation's input (the others need only its output).
    static func derivativeNeedsInput(_ function: Activation) -> Bool {
        switch function {
        case .linear, .relu, .sigmoid, .tanh, .softmax, .relu6, .elu, .selu, .leakyRelu: return false
        case .silu, .gelu, .geluTanh, .hardSigmoid, .hardSigmoidKeras2, .hardSilu, .softplus: return true
        }
    }

    /// Turns the gradient with respect to the output into the gradient with respect to the
    /// input, in place. `input` may be nil when `derivativeNeedsInput` is false.
    static func differentiate(_ function: Activation, input: UnsafePointer<Float>?, output y: UnsafePointer<Float>,
                              gradient g: UnsafeMutablePointer<Float>, count: Int, rowLength: Int) {
        let x = input ?? y
        switch function {
        case .linear: return
        case .relu: for i in 0..<count where y[i] <= 0 { g[i] = 0 }
        case .sigmoid: for i in 0..<count { g[i] *= y[i] * (1 - y[i]) }
        case .tanh: for i in 0..<count { g[i] *= 1 - y[i] * y[i] }
        case .relu6: for i in 0..<count where y[i] <= 0 || y[i] >= 6 { g[i] = 0 }
        case .elu: for i in 0..<count where y[i] <= 0 { g[i] *= y[i] + 1 }
        case .selu: for i in 0..<count { g[i] *= y[i] > 0 ? seluScale : y[i] + seluScale * seluAlpha }
        case .leakyRelu: for i in 0..<count where y[i] < 0 { g[i] *= 0.2 }
        case .silu: for i in 0..<count { let s = sigmoid(x[i]); g[i] *= s * (1 + x[i] * (1 - s)) }
        case .gelu:
            for i in 0..<count {
                let v = x[i]
                g[i] *= 0.5 * (1 + erf(v * inverseSqrt2)) + v * inverseSqrt2Pi * exp(-0.5 * v * v)
            }
        case .geluTanh:
            for i in 0..<count {
                let v = x[i]
                let t = Foundation.tanh(geluTanhK * (v + 0.044715 * v * v * v))
                g[i] *= 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * geluTanhK * (1 + 3 * 0.044715 * v * v)
            }
        case .hardSigmoid: for i in 0..<count { g[i] *= (x[i] > -3 && x[i] < 3) ? 1 / 6 : 0 }
        case .hardSigmoidKeras2: for i in 0..<count { g[i] *= (x[i] > -2.5 && x[i] < 2.5) ? 0.2 : 0 }
        case .hardSilu:
            for i in 0..<count {
                let v = x[i]
                g[i] *= min(max(v + 3, 0), 6) / 6 + ((v > -3 && v < 3) ? v / 6 : 0)
            }
        case .softplus: for i in 0..<count { g[i] *= sigmoid(x[i]) }
        case .softmax:
            let n = max(rowLength, 1)
            var start = 0
            while start < count {
                let end = min(start + n, count)
                var dot: Float = 0
                for i in start..<end { dot += g[i] * y[i] }
                for i in start..<end { g[i] = y[i] * (g[i] - dot) }
                start = end
            }
        }
    }

    /// The logistic function through `fastExp`, for the forward passes and the derivatives alike.
    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + fastExp(-x)) }

    // MARK: Vectorisable exp

    /// e^x without a libm call, so that loops over it vectorise: Cephes's `expf` (x = n ln 2 + r,
    /// |r| <= ln 2 / 2, a degree-6 polynomial for e^r, 2^n put in the exponent bits through the
    /// 1.5 * 2^23 rounding trick, no float-to-int conversion that could trap), within 4 ulp of
    /// libm over [-87.3, 88.4] (tested); inf above, 0 below (libm gives denormals down to -103);
    /// NaN stays NaN (min/max pass it through, and it poisons the polynomial).
    @inline(__always)
    static func fastExp(_ input: Float) -> Float {
        let x = Swift.max(Swift.min(input, 88.3762626647949), -87.3365478515625)
        // n = x / ln 2 rounded to nearest by adding 1.5 * 2^23 (Cephes's floor(. + 0.5)):
        // plain float adds, which SSE2 vectorises; `rounded(.down)` is a libm call there.
        let shifted = x * 1.44269504088896341 + 12_582_912
        let n = shifted - 12_582_912
        var r = x - n * 0.693359375
        r -= n * -2.12194440e-4
        let z = r * r
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let er = p * z + r + 1
        let integer = shifted.bitPattern &- 0x4B40_0000  // n, two's complement
        var result = er * Float(bitPattern: (integer &+ 127) &<< 23)
        result = input > 88.3762626647949 ? .infinity : result
        result = input < -87.3365478515625 ? 0 : result
        return result
    }

    // MARK: ReLU with arguments

    /// Keras's `relu(x, negative_slope, max_value, threshold)`: values above `threshold` pass
    /// (capped at `max_value`), the rest give `negative_slope * (x - threshold)`.
    static func relu(_ a: ReLUAttributes, _ v: UnsafeMutablePointer<Float>, count: Int) {
        let slope = Float(a.negativeSlope), threshold = Float(a.threshold)
        let cap = a.maxValue.map { Float($0) }
        if slope == 0, threshold == 0, let cap {
            // ReLU6 and friends: a clamp the compiler vectorises.
            for i in 0..<count { v[i] = min(max(v[i], 0), cap) }
            return
        }
        for i in 0..<count {
            let x = v[i]
            var out = threshold != 0 ? (x > threshold ? x : 0) : max(x, 0)
            if let cap { out = min(max(out, 0), cap) }
            if slope != 0 { out -= slope * max(threshold - x, 0) }
            v[i] = out
        }
    }

    /// The derivative of `relu(_:_:count:)`, from the input.
    static func differentiateReLU(_ a: ReLUAttributes, input x: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>, count: Int) {
        let slope = Float(a.negativeSlope), threshold = Float(a.threshold)
        let cap = a.maxValue.map { Float($0) }
        for i in 0..<count {
            let v = x[i]
            let passes = threshold != 0 ? v > threshold : v > 0
            var d: Float = passes ? 1 : 0
            if passes, let cap, v >= cap || v < 0 { d = 0 }
            if slope != 0, threshold - v > 0 { d += slope }
            g[i] *= d
        }
    }
}
