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
}
