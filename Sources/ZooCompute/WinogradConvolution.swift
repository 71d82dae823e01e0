import CZooKernels
import Synchronization

/// A 3x3, stride-1 Conv2D computed with Winograd F(2x2, 3x3): each 2x2 block of outputs comes
/// from a 4x4 input tile through 16 matrix products (one per transformed tap) of the tiles'
/// transformed inputs by the transformed kernel, 16 multiplications per 4 outputs and input
/// channel instead of 36. The transforms use only additions and halvings, so the results stay
/// within float32 rounding of the direct convolution (checked against Keras in the tests).
///
/// Used where the image is at least 14x14 (VGG16's and ResNet50's 3x3 layers up to stage 4):
/// on ResNet's 7x7 last stage the tiles would be too few to keep the products efficient and a
/// quarter of the padded 8x8 tile grid would be wasted.
struct WinogradConvolution: Sendable {
    let geometry: ConvGeometry
    let weights: Weights
    let bias: [Float]?
    let relu: Bool
    /// Tiles per chunk, chunks, threads taking part, floats of scratch for all of them.
    let chunkTiles, chunks, workers, scratchFloats: Int

    /// The 16 transformed kernels (input channels x output channels each), packed for the GEMM.
    final class Weights: @unchecked Sendable {
        let matrices: [MatrixMultiply.PreparedMatrix]

        init(hwio: [Float], inChannels: Int, outChannels: Int) {
            var u = [Float](repeating: 0, count: 16 * inChannels * outChannels)
            hwio.withUnsafeBufferPointer { src in
                u.withUnsafeMutableBufferPointer { dst in
                    if let s = src.baseAddress, let d = dst.baseAddress { zoo_wino_kernel(Int32(inChannels), Int32(outChannels), s, d) }
                }
            }
            let plane = inChannels * outChannels
            matrices = (0..<16).map { xi in
                u.withUnsafeBufferPointer { MatrixMultiply.PreparedMatrix(k: inChannels, n: outChannels, rowMajor: UnsafeBufferPointer(rebasing: $0[(xi * plane)..<((xi + 1) * plane)])) }
            }
        }
    }

    /// Whether a convolution of this geometry runs with Winograd.
    static func applies(to g: ConvGeometry) -> Bool {
        g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.outH >= 14 && g.outW >= 14
            && g.inC >= 16 && g.outC >= 32
    }

    init(geometry g: ConvGeometry, weights: Weights, bias: [Float]?, relu: Bool, threads: Int) {
        geometry = g
        self.weights = weights
        self.bias = bias
        self.relu = relu
        let mr = Int(zoo_kernels_tile_rows())
        let tiles = g.batch * ((g.outH + 1) / 2) * ((g.outW + 1) / 2)
        // About 8 kernel tiles per chunk (enough rows for each product to reuse its kernel
        // panel), in whole tiles, and at least one chunk per thread.
        let threads = max(1, threads)
        var chunks = max(1, (tiles + 8 * mr - 1) / (8 * mr))
        chunks = (chunks + threads - 1) / threads * threads
        let chunk = max(mr, ((tiles + chunks - 1) / chunks + mr - 1) / mr * mr)
        chunkTiles = chunk
        self.chunks = (tiles + chunk - 1) / chunk
        workers = min(threads, self.chunks)
        scratchFloats = workers * 16 * chunk * (g.inC + g.outC)
    }

    var tileCount: Int { geometry.batch * ((geometry.outH + 1) / 2) * ((geometry.outW + 1) / 2) }

    /// Runs the convolution; `scratch` holds `scratchFloats` floats.
    func run(input: UnsafePointer<Float>, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
             scratch: UnsafeMutablePointer<Float>) {
        let g = geometry
        let tilesW = (g.outW + 1) / 2
        let perImage = ((g.outH + 1) / 2) * tilesW
        let tiles = tileCount
        let (chunk, chunks) = (chunkTiles, self.chunks)
        let next = Atomic<Int>(0)
        let matrices = weights.matrices
        nonisolated(unsafe) let input = input, output = output, residual = residual, scratch = scratch
        bias.withUnsafeBufferPointerIfPresent { bias in
            nonisolated(unsafe) let bias = bias
            Parallel.forEach(workers) { worker in
                let v = scratch + worker * 16 * chunk * (g.inC + g.outC)
                let m = v + 16 * chunk * g.inC
                while true {
                    let c = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard c < chunks else { break }
                    let first = c * chunk, last = min(tiles, first + chunk)
                    zoo_wino_input(input, Int32(g.inH), Int32(g.inW), Int32(g.inC), Int32(g.padTop), Int32(g.padLeft), Int32(tilesW),
                                   Int32(perImage), Int32(first), Int32(last), v, chunk * g.inC)
                    for xi in 0..<16 {
                        MatrixMultiply.run(rows: 0..<(last - first), a: v + xi * chunk * g.inC, lda: g.inC, b: matrices[xi],
                                           c: m + xi * chunk * g.outC, ldc: g.outC, bias: nil, residual: nil, ldr: g.outC, relu: false)
                    }
                    zoo_wino_output(m, chunk * g.outC, Int32(g.outH), Int32(g.outW), Int32(g.outC), Int32(tilesW), Int32(perImage),
                                    Int32(first), Int32(last), bias, residual, relu ? 1 : 0, output)
                }
            }
        }
    }

    /// FLOPs of the direct convolution this replaces (what GFLOP/s figures are counted in).
    var flops: Double { 2 * Double(geometry.rows) * Double(geometry.patch) * Double(geometry.outC) }
}
