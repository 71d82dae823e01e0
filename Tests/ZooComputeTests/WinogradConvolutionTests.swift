import Testing
import ZooGraph
@testable import ZooCompute

/// Winograd F(2x2, 3x3) against the direct (im2col + GEMM) convolution on the same weights.
@Suite struct WinogradConvolutionTests {
    struct Case: Sendable, CustomStringConvertible {
        var batch, height, width, inC, outC: Int
        var padding: Padding
        var extraPad = 0  // a ZeroPadding2D folded in front (top and left)
        var residual = false
        var relu = true
        var description: String { "\(batch)x\(height)x\(width)x\(inC)->\(outC) \(padding) pad+\(extraPad) res \(residual)" }
    }

    static let cases: [Case] = [
        Case(batch: 1, height: 14, width: 14, inC: 16, outC: 32, padding: .same),
        Case(batch: 2, height: 15, width: 17, inC: 24, outC: 40, padding: .same, residual: true),
        Case(batch: 1, height: 18, width: 16, inC: 20, outC: 33, padding: .valid, relu: false),
        Case(batch: 3, height: 14, width: 15, inC: 70, outC: 64, padding: .valid, extraPad: 1, residual: true),
        Case(batch: 4, height: 7, width: 7, inC: 32, outC: 64, padding: .same, residual: true),
        // One 7x7 image: F(2x2) with the output channels shared between threads.
        Case(batch: 1, height: 7, width: 7, inC: 48, outC: 200, padding: .same, residual: true),
        Case(batch: 1, height: 14, width: 14, inC: 16, outC: 130, padding: .same),
        // F(4x4): 28x28 and up, ragged edges, fused padding, residual.
        Case(batch: 1, height: 28, width: 28, inC: 16, outC: 32, padding: .same),
        Case(batch: 2, height: 31, width: 29, inC: 24, outC: 47, padding: .same, residual: true),
        Case(batch: 1, height: 32, width: 30, inC: 40, outC: 33, padding: .valid, extraPad: 1, relu: false),
    ]

    @Test(arguments: cases)
    func matchesTheDirectConvolution(_ c: Case) throws {
        let attributes = ConvAttributes(filters: c.outC, kernel: [3, 3], padding: c.padding)
        let paddedH = c.height + 2 * c.extraPad, paddedW = c.width + 2 * c.extraPad
        let outH = c.padding == .same ? paddedH : paddedH - 2, outW = c.padding == .same ? paddedW : paddedW - 2
        var g = ConvGeometry(batch: c.batch, input: [paddedH, paddedW, c.inC], output: [outH, outW], attributes: attributes, outChannels: c.outC)
        (g.inH, g.inW) = (c.height, c.width)
        g.padTop += c.extraPad
        g.padLeft += c.extraPad
        let tile = try #require(WinogradConvolution.tile(for: g, threads: 2))
        #expect(tile == (outH >= 28 && outW >= 28 ? 4 : 2))
        var state: UInt64 = 3
        func random(_ count: Int) -> [Float] {
            (0..<count).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
            }
        }
        let kernel = random(9 * c.inC * c.outC), bias = random(c.outC)
        let input = random(c.batch * c.height * c.width * c.inC)
        let residual = c.residual ? random(g.rows * c.outC) : nil
        let direct = kernel.withUnsafeBufferPointer { ConvolutionKernel(geometry: g, weights: MatrixMultiply.PreparedMatrix(k: g.patch, n: c.outC, rowMajor: $0),
                                                                         bias: bias, relu: c.relu, threads: 1) }
        for threads in [1, 2, 3] {
            let transformed = try kernel.withUnsafeBufferPointer { try WinogradConvolution.Weights(hwio: $0, inChannels: c.inC, outChannels: c.outC, tile: tile) }
            let wino = WinogradConvolution(geometry: g, weights: transformed,
                                           bias: bias, relu: c.relu, threads: threads)
            var expected = [Float](repeating: .nan, count: g.rows * c.outC)
            var actual = [Float](repeating: .nan, count: g.rows * c.outC)
            var scratch = [Float](repeating: 0, count: max(direct.scratchFloats, wino.scratchFloats, 1))
            input.withUnsafeBufferPointer { inp in
                scratch.withUnsafeMutableBufferPointer { s in
                    let res = residual?.withUnsafeBufferPointer { $0.baseAddress }
                    expected.withUnsafeMutableBufferPointer { direct.run(input: inp.baseAddress!, residual: res, output: $0.baseAddress!, scratch: s.baseAddress!) }
                    actual.withUnsafeMutableBufferPointer { wino.run(input: inp.baseAddress!, residual: res, output: $0.baseAddress!, scratch: s.baseAddress!) }
                }
            }
            let scale = expected.map(abs).max() ?? 1
            let worst = zip(expected, actual).map { abs($0 - $1) }.max() ?? .infinity
            #expect(!actual.contains { $0.isNaN }, "every output written (\(threads) threads)")
            // F(2x2) stays within a few float32 roundings of the direct sum; F(4x4)'s transforms
            // (factors up to 8 and 1/24) cost about 4x more.
            let bound: Float = (tile == 4 ? 1e-5 : 2e-6) * max(scale, 1) * Float(c.inC).squareRoot()
            #expect(worst <= bound, "max |winograd - direct| \(worst) of \(scale) (F\(tile), \(threads) threads)")
            if c.relu { #expect(actual.allSatisfy { $0 >= 0 }) }
        }
    }

    @Test func onlyLargeStrideOneThreeByThreeConvolutionsQualify() {
        func g(_ size: Int, kernel: Int = 3, stride: Int = 1, inC: Int = 64, outC: Int = 64) -> ConvGeometry {
            let a = ConvAttributes(filters: outC, kernel: [kernel, kernel], strides: [stride, stride], padding: .same)
            let out = (size + stride - 1) / stride
            return ConvGeometry(batch: 1, input: [size, size, inC], output: [out, out], attributes: a, outChannels: outC)
        }
        #expect(WinogradConvolution.tile(for: g(56)) == 4)
        #expect(WinogradConvolution.tile(for: g(28)) == 4)
        #expect(WinogradConvolution.tile(for: g(14)) == 2)
        #expect(!WinogradConvolution.applies(to: g(7)))            // ResNet's last stage, one image on one thread
        #expect(WinogradConvolution.tile(for: g(7, outC: 512), threads: 2) == 2)  // ... shared by two threads
        var batch4 = g(7)
        batch4.batch = 4
        #expect(WinogradConvolution.tile(for: batch4) == 2)          // ... and four
        #expect(!WinogradConvolution.applies(to: g(56, stride: 2)))
        #expect(!WinogradConvolution.applies(to: g(56, kernel: 1)))
        #expect(!WinogradConvolution.applies(to: g(224, inC: 3)))  // VGG's first layer: too few input channels
    }
}
