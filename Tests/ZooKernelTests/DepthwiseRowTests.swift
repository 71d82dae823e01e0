import CZooKernels
import Foundation
import Testing

/// zoo_depthwise_row in every implementation this CPU runs against a direct float64 loop:
/// channel counts around the 64-channel blocks, the masks and AVX2's 8-lane tail (1, 12, 17,
/// 32, 64, 80, 96, 144), 3x3, 5x5 and 7x7
/// kernels, strides, dilation and padding on both sides, with and without a bias.
@Suite struct DepthwiseRowTests {
    struct Case: Sendable, CustomStringConvertible {
        var channels, k, stride, dilation, pad: Int
        var bias: Bool
        var description: String { "C\(channels) k\(k) s\(stride) d\(dilation) p\(pad)\(bias ? " bias" : "")" }
    }

    static let cases: [Case] = [
        Case(channels: 1, k: 3, stride: 1, dilation: 1, pad: 1, bias: true), Case(channels: 17, k: 3, stride: 2, dilation: 1, pad: 1, bias: false),
        Case(channels: 64, k: 5, stride: 1, dilation: 1, pad: 2, bias: true), Case(channels: 80, k: 3, stride: 1, dilation: 2, pad: 2, bias: true),
        Case(channels: 96, k: 7, stride: 2, dilation: 1, pad: 0, bias: false), Case(channels: 32, k: 3, stride: 1, dilation: 1, pad: 1, bias: true),
        Case(channels: 144, k: 3, stride: 2, dilation: 1, pad: 1, bias: true), Case(channels: 12, k: 5, stride: 1, dilation: 1, pad: 2, bias: false),
    ]

    @Test(arguments: cases)
    func matchesDirectLoop(_ t: Case) throws {
        let (inH, inW, C) = (9, 11, t.channels)
        var rng = SplitMix(state: UInt64(C * 31 + t.k))
        let image = rng.floats(inH * inW * C)
        let kernel = rng.floats(t.k * t.k * C)
        let bias = rng.floats(C)
        let span = (t.k - 1) * t.dilation + 1
        let outW = (inW + 2 * t.pad - span) / t.stride + 1, outH = (inH + 2 * t.pad - span) / t.stride + 1
        var ran = 0
        for implementation in ["avx512", "avx2", "portable"] {
            for oy in [0, outH / 2, outH - 1] {
                var row = [Float](repeating: .nan, count: outW * C)
                let status = kernel.withUnsafeBufferPointer { k in
                    bias.withUnsafeBufferPointer { b in
                        var args = zoo_depthwise_args(in_h: Int32(inH), in_w: Int32(inW), channels: Int32(C), kh: Int32(t.k), kw: Int32(t.k),
                                                      sh: Int32(t.stride), sw: Int32(t.stride), dh: Int32(t.dilation), dw: Int32(t.dilation),
                                                      pad_top: Int32(t.pad), pad_left: Int32(t.pad), oy: Int32(oy), out_w: Int32(outW),
                                                      kernel: k.baseAddress, bias: t.bias ? b.baseAddress : nil)
                        return zoo_depthwise_row_using(implementation, &args, image, &row)
                    }
                }
                if status == 0 { #expect(zoo_kernels_supported(implementation) == 0); break }
                ran += 1
                for ox in 0..<outW {
                    for c in 0..<C {
                        var want = t.bias ? Double(bias[c]) : 0
                        for ky in 0..<t.k {
                            let iy = oy * t.stride - t.pad + ky * t.dilation
                            guard iy >= 0, iy < inH else { continue }
                            for kx in 0..<t.k {
                                let ix = ox * t.stride - t.pad + kx * t.dilation
                                guard ix >= 0, ix < inW else { continue }
                                want += Double(image[(iy * inW + ix) * C + c]) * Double(kernel[(ky * t.k + kx) * C + c])
                            }
                        }
                        #expect(abs(Double(row[ox * C + c]) - want) <= 1e-5, "\(implementation) \(t) oy \(oy) ox \(ox) c \(c)")
                    }
                }
            }
        }
        #expect(ran >= 3)
    }
}
