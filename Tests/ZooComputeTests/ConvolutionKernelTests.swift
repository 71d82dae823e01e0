import Testing
import ZooGraph
@testable import ZooCompute

/// How convolutions are cut into work for threads, and the im2col copy they run on.
@Suite struct ConvolutionKernelTests {
    func geometry(batch: Int, size: Int, inC: Int, outC: Int, kernel: Int, stride: Int = 1, dilation: Int = 1,
                  padding: Padding = .same) -> ConvGeometry {
        let attributes = ConvAttributes(filters: outC, kernel: [kernel, kernel], strides: [stride, stride], padding: padding,
                                        dilation: [dilation, dilation])
        let out = padding == .same ? (size + stride - 1) / stride : (size - (kernel - 1) * dilation - 1) / stride + 1
        return ConvGeometry(batch: batch, input: [size, size, inC], output: [out, out], attributes: attributes, outChannels: outC)
    }

    @Test(arguments: [(1, 7, 512, 512, 3), (1, 14, 256, 256, 3), (8, 56, 64, 64, 3), (1, 112, 3, 64, 7), (1, 7, 2048, 512, 1),
                      (8, 7, 512, 2048, 1), (1, 1, 2048, 1000, 1), (3, 5, 4, 5, 3)])
    func splitsCoverEveryRowInWholeTiles(_ shape: (Int, Int, Int, Int, Int)) {
        let g = geometry(batch: shape.0, size: shape.1, inC: shape.2, outC: shape.3, kernel: shape.4)
        for threads in [1, 2, 3, 8] {
            for mr in [6, 8, 14] {
                let (split, scratchFloats) = ConvolutionKernel.split(g, threads: threads, tileRows: mr)
                #expect(split.workers >= 1 && split.workers <= threads)
                if split.byColumns {
                    // Few rows per thread, enough 32-wide panels for every thread.
                    #expect(threads > 1 && (g.rows + threads - 1) / threads < 4 * mr && (g.outC + 31) / 32 >= 2 * threads)
                    #expect(scratchFloats == (g.isPointwise ? 0 : g.rows * g.patch))
                } else {
                    #expect(split.chunkRows % mr == 0, "chunks are whole tiles")
                    #expect(split.chunks * split.chunkRows >= g.rows && (split.chunks - 1) * split.chunkRows < g.rows, "chunks cover the rows exactly")
                    #expect(split.workers == min(threads, split.chunks))
                    #expect(scratchFloats == (g.isPointwise ? 0 : split.workers * split.chunkRows * g.patch))
                }
            }
        }
        // conv5's 3x3 at batch 1 (49 rows) is split by columns on two threads.
        let conv5 = geometry(batch: 1, size: 7, inC: 512, outC: 512, kernel: 3)
        #expect(ConvolutionKernel.split(conv5, threads: 2, tileRows: 14).share.byColumns)
        // Two threads never get one chunk of 14 rows and one of 1 row: the chunks are balanced.
        let stage4 = geometry(batch: 1, size: 14, inC: 256, outC: 256, kernel: 3)
        let s4 = ConvolutionKernel.split(stage4, threads: 2, tileRows: 14).share
        #expect(!s4.byColumns && s4.chunks == 2 && s4.chunkRows == 98)
    }

    @Test(arguments: [(3, 1, 1, Padding.same), (7, 2, 1, .same), (3, 1, 2, .same), (3, 2, 1, .valid), (1, 2, 1, .same), (5, 3, 2, .valid)])
    func im2colEqualsTheDefinition(_ c: (Int, Int, Int, Padding)) {
        let (kernel, stride, dilation, padding) = c
        let g = geometry(batch: 2, size: 11, inC: 3, outC: 4, kernel: kernel, stride: stride, dilation: dilation, padding: padding)
        let input = (0..<(2 * 11 * 11 * 3)).map { Float($0) + 1 }
        var out = [Float](repeating: -1, count: g.rows * g.patch)
        // Two pieces, to check that a row range starting mid-image is placed right.
        let cut = g.rows / 3
        input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                g.im2col(rows: 0..<cut, input: src.baseAddress!, into: dst.baseAddress!)
                g.im2col(rows: cut..<g.rows, input: src.baseAddress!, into: dst.baseAddress! + cut * g.patch)
            }
        }
        var expected: [Float] = []
        for r in 0..<g.rows {
            let n = r / (g.outH * g.outW), oy = (r / g.outW) % g.outH, ox = r % g.outW
            for ky in 0..<g.kh {
                for kx in 0..<g.kw {
                    let iy = oy * g.sh - g.padTop + ky * g.dh, ix = ox * g.sw - g.padLeft + kx * g.dw
                    for ch in 0..<g.inC {
                        let inside = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW
                        expected.append(inside ? input[((n * g.inH + iy) * g.inW + ix) * g.inC + ch] : 0)
                    }
                }
            }
        }
        #expect(out == expected)
    }
}
