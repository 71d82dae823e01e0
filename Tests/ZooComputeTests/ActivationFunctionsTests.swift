import Foundation
import Testing
import ZooGraph
@testable import ZooCompute

/// The vectorised exp behind sigmoid and silu against libm.
@Suite struct ActivationFunctionsTests {
    @Test func exp16IsWithinFourUlpOfLibm() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let lanes = SIMD16<Float>((0..<16).map { x + Float($0) * 0.0007 })
            let got = ActivationFunctions.exp16(lanes)
            for lane in 0..<16 {
                let want = Foundation.exp(lanes[lane])
                worst = max(worst, abs(got[lane] - want) / want.ulp)
            }
            x += 0.0131
        }
        #expect(worst <= 4, "worst error \(worst) ulp")
        let special = ActivationFunctions.exp16(SIMD16<Float>([.nan, .infinity, -.infinity, 0, 1, -1, 200, -200, 88, -87, 1e-8, -1e-8, 10, -10, 0.5, -0.5]))
        #expect(special[0].isNaN)
        #expect(special[1] == .infinity && special[6] == .infinity)
        #expect(special[2] >= 0 && special[2] < 1e-37 && special[7] < 1e-37)
        #expect(special[3] == 1 && abs(special[4] - Float(M_E)) <= Float(M_E).ulp)
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
