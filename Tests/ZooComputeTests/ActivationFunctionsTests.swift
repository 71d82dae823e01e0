import CZooKernels
import Foundation
import Testing
import ZooGraph
@testable import ZooCompute

/// The vectorisable exp behind sigmoid and silu against libm.
@Suite struct ActivationFunctionsTests {
    @Test func fastExpIsWithinFourUlpOfLibm() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let want = Foundation.exp(x)
            worst = max(worst, abs(ActivationFunctions.fastExp(x) - want) / want.ulp)
            x += 0.00083
        }
        #expect(worst <= 4, "worst error \(worst) ulp")
        let e = ActivationFunctions.fastExp
        #expect(e(.nan).isNaN)
        #expect(e(.infinity) == .infinity && e(200) == .infinity)
        #expect(e(-.infinity) == 0 && e(-200) == 0)
        #expect(e(0) == 1 && abs(e(1) - Float(M_E)) <= Float(M_E).ulp)
    }

    /// sigmoid and silu through the SIMD path (16 lanes and a tail) against the scalar formula.
    @Test(arguments: [Activation.sigmoid, .silu])
    func sigmoidAndSiluMatchTheScalarFormula(_ function: Activation) {
        let values: [Float] = (0..<1003).map { Float($0) * 0.037 - 18.5 } + [-100, 100, .nan, 0, -0.0]
        var got = values
        got.withUnsafeMutableBufferPointer { ActivationFunctions.apply(function, $0.baseAddress!, count: $0.count, rowLength: 1) }
        for (x, y) in zip(values, got) {
            let s = 1 / (1 + Foundation.exp(-x))
            let want = function == .sigmoid ? s : x * s
            if x.isNaN { #expect(y.isNaN); continue }
            #expect(abs(y - want) <= 4 * max(abs(want).ulp, Float.leastNormalMagnitude), "\(function) \(x): \(y) vs \(want)")
        }
    }

    /// Every function of the C kernel, in each implementation this CPU runs (AVX-512 16 lanes
    /// and a masked tail, AVX2 8 lanes and a scalar tail, portable), against the formula in
    /// double precision with libm's exp and erf: within 4e-7 relative (or 1e-30 absolute),
    /// NaN kept, and the same bits from every implementation but for rounding.
    @Test(arguments: [Activation.silu, .sigmoid, .gelu, .geluTanh, .hardSigmoid, .hardSigmoidKeras2, .hardSilu, .relu6])
    func kernelsMatchTheFormula(_ function: Activation) throws {
        let kind = try #require(ActivationFunctions.kernelKind(function))
        let values: [Float] = (0..<1003).map { Float($0) * 0.041 - 20.5 } + [-100, 100, -3, 3, 6, .nan, 0, -0.0, 1e-20, -1e-20]
        func reference(_ x: Double) -> Double {
            let s = 1 / (1 + Foundation.exp(-x))
            switch function {
            case .silu: return x * s
            case .sigmoid: return s
            case .gelu: return 0.5 * x * Foundation.erfc(-x / 2.0.squareRoot())  // 1 + erf(u) without cancellation
            case .geluTanh: return x / (1 + Foundation.exp(-2 * 0.7978845608028654 * (x + 0.044715 * x * x * x)))  // 0.5 (1 + tanh y) = sigmoid(2y)
            case .hardSigmoid: return min(max(x + 3, 0), 6) / 6
            case .hardSigmoidKeras2: return min(max(0.2 * x + 0.5, 0), 1)
            case .hardSilu: return x * min(max(x + 3, 0), 6) / 6
            default: return min(max(x, 0), 6)
            }
        }
        var ran = 0
        for implementation in ["avx512", "avx2", "portable"] {
            for length in [values.count, 13, 7, 1] {
                var got = Array(values.prefix(length))
                let status = got.withUnsafeMutableBufferPointer { zoo_activation_using(implementation, kind, $0.baseAddress, $0.count) }
                if status == 0 { #expect(zoo_kernels_supported(implementation) == 0, "\(implementation)"); break }
                ran += 1
                for (x, y) in zip(values, got) {
                    if x.isNaN { #expect(y.isNaN, "\(function) \(implementation) NaN"); continue }
                    let want = reference(Double(x))
                    // gelu's erfc fit is 1.2e-7 relative, but the float argument of e^(-u^2) (u^2
                    // rounded to 1e-7 of itself: 25 at x = -7) costs up to 5e-6 relative in its
                    // tail (geluTanh: its cubic, likewise); the rest is float rounding. Below 1e-12 (x < -7) more.
                    let tolerance = abs(want) > 1e-12 ? (function == .gelu || function == .geluTanh ? 5e-6 : 4e-7) : 1e-3
                    // 0.2 x + 0.5 cancels near x = -2.5: an ulp of 0.5 absolute.
                    let absolute = function == .hardSigmoidKeras2 ? 6e-8 : 1e-30
                    #expect(abs(Double(y) - want) <= tolerance * abs(want) + absolute, "\(function) \(implementation) \(x): \(y) vs \(want)")
                }
            }
        }
        #expect(ran >= 4, "the portable implementation always runs")
    }
}
