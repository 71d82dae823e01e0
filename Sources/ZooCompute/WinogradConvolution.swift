import ZooGraph
import CZooKernels
import Synchronization

/// A 3x3, stride-1 Conv2D computed with Winograd F(m x m, 3x3): each m x m block of outputs
/// comes from an (m+2) x (m+2) input tile through (m+2)^2 matrix products (one per transformed
/// tap) of the tiles' transformed inputs by the transformed kernel. F(2x2) does 16
/// multiplications per 4 outputs and input channel instead of 36 (2.25x fewer), F(4x4) 36 per 16
/// instead of 144 (4x fewer). The results stay within float32 rounding of the direct convolution
/// (about 1e-7 relative for F(2x2), a few 1e-7 for F(4x4); checked against it and against Keras).
///
/// Used where the image is at least 14x14 (VGG16's and ResNet50's 3x3 layers up to stage 4),
/// with F(4x4) from 28x28 up, and on ResNet's 7x7 last stage only for batches of 4 and more: one
/// image has too few tiles (16) to keep the products efficient.
struct WinogradConvolution: Sendable {
    let geometry: ConvGeometry
    let weights: Weights
    let bias: [Float]?
    let relu: Bool
    /// How the tiles are shared between threads. Split by columns (few tiles per thread, as in
    /// ResNet's last two stages for one image), the threads transform the input together, then
    /// each multiplies all tiles by its own share of the output channels, then they transform the
    /// output together, instead of each streaming every transformed kernel for a handful of tiles.
    let share: WorkShare
    /// Floats of scratch (transformed inputs and products) for all threads.
    let scratchFloats: Int
    /// Output tile size m (2 or 4) and the number of products, (m + 2)^2.
    var tile: Int { weights.tile }
    var points: Int { (tile + 2) * (tile + 2) }

    /// The transformed kernels ((m + 2)^2 matrices of input x output channels), packed for the GEMM.
    final class Weights: @unchecked Sendable {
        let tile: Int
        let matrices: [MatrixMultiply.PreparedMatrix]

        init(hwio: UnsafeBufferPointer<Float>, inChannels: Int, outChannels: Int, tile: Int) throws {
            self.tile = tile
            let points = (tile + 2) * (tile + 2)
            var u = [Float](repeating: 0, count: points * inChannels * outChannels)
            let done = u.withUnsafeMutableBufferPointer { dst -> Bool in
                guard let s = hwio.baseAddress, let d = dst.baseAddress, hwio.count == 9 * inChannels * outChannels else { return false }
                return zoo_wino_kernel(Int32(tile), Int32(inChannels), Int32(outChannels), s, d) == 1
            }
            guard done else {
                throw ComputeError.unsupported(layer: "", reason: "cannot transform a 3x3 kernel of \(hwio.count) values for Winograd F(\(tile)x\(tile)) with \(inChannels) -> \(outChannels) channels")
            }
            let plane = inChannels * outChannels
            matrices = (0..<points).map { xi in
                u.withUnsafeBufferPointer { MatrixMultiply.PreparedMatrix(k: inChannels, n: outChannels, rowMajor: UnsafeBufferPointer(rebasing: $0[(xi * plane)..<((xi + 1) * plane)])) }
            }
        }
    }

    /// The output tile size a convolution of this geometry runs with (4 or 2) on `threads`
    /// threads, or nil when it runs as a direct convolution.
    static func tile(for g: ConvGeometry, threads: Int = 1) -> Int? {
        guard g.kh == 3, g.kw == 3, g.sh == 1, g.sw == 1, g.dh == 1, g.dw == 1, g.inC >= 16, g.outC >= 32 else { return nil }
        if g.outH >= 28, g.outW >= 28 { return 4 }
        if g.outH >= 14, g.outW >= 14 { return 2 }
        // Smaller images (ResNet's 7x7 last stage) when the batch brings enough tiles for
        // efficient products (4 images give 64), or when several threads share the output
        // channels (at least 2 panels of 32 each).
        let tiles = g.batch * ((g.outH + 1) / 2) * ((g.outW + 1) / 2)
        if g.outH >= 6, g.outW >= 6, tiles >= 56 || (threads > 1 && g.outC >= 64 * threads) { return 2 }
        return nil
    }

    /// Whether a convolution of this geometry runs with Winograd.
    static func applies(to g: ConvGeometry) -> Bool { tile(for: g) != nil }

    /// An activation other than ReLU applied to the output after the product (nil: none).
    var activation: Activation?

    init(geometry g: ConvGeometry, weights: Weights, bias: [Float]?, relu: Bool, threads: Int, activation: Activation? = nil) {
        geometry = g
        self.weights = weights
        self.bias = bias
        self.relu = relu
        self.activation = activation
        let mr = Int(zoo_kernels_tile_rows())
        let m = weights.tile, points = (m + 2) * (m + 2)
        let tiles = g.batch * ((g.outH + m - 1) / m) * ((g.outW + m - 1) / m)
        // About 8 kernel tiles per chunk: enough rows for each product to reuse its kernel panel.
        share = WorkShare(rows: tiles, columns: g.outC, threads: threads, tileRows: mr, targetRows: 8 * mr)
        scratchFloats = share.buffers * share.chunkRows * points * (g.inC + g.outC)
    }

    var tileCount: Int { geometry.batch * ((geometry.outH + tile - 1) / tile) * ((geometry.outW + tile - 1) / tile) }

    /// Runs the convolution; `scratch` holds `scratchFloats` floats.
    func run(input: UnsafePointer<Float>, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
             scratch: UnsafeMutablePointer<Float>) {
        runProduct(input: input, residual: residual, output: output, scratch: scratch)
        if let activation {
            let g = geometry
            LayerKernels.applyActivation(activation, output, count: g.batch * g.outH * g.outW * g.outC, rowLength: g.outC, threads: share.workers)
        }
    }

    private func runProduct(input: UnsafePointer<Float>, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                            scratch: UnsafeMutablePointer<Float>) {
        let g = geometry
        let m = tile, points = self.points
        let tilesW = (g.outW + m - 1) / m
        let perImage = ((g.outH + m - 1) / m) * tilesW
        let tiles = tileCount
        let share = self.share
        let (chunk, chunks) = (share.chunkRows, share.chunks)
        let next = Atomic<Int>(0)
        let matrices = weights.matrices
        nonisolated(unsafe) let input = input, output = output, residual = residual, scratch = scratch
        if share.byColumns {
            // Every tile's transformed input, then each thread's output channels for all tiles,
            // then every tile's output: three loops, each split between the threads.
            let workers = share.workers
            nonisolated(unsafe) let products = scratch + points * tiles * g.inC
            Parallel.forEach(workers) { worker in
                let first = tiles * worker / workers, last = tiles * (worker + 1) / workers
                guard first < last else { return }
                zoo_wino_input(Int32(m), input, Int32(g.inH), Int32(g.inW), Int32(g.inC), Int32(g.padTop), Int32(g.padLeft), Int32(tilesW),
                               Int32(perImage), Int32(first), Int32(last), scratch + first * g.inC, tiles * g.inC)
            }
            Parallel.forEach(workers) { worker in
                let columns = share.columns(of: worker, total: g.outC)
                guard !columns.isEmpty else { return }
                for xi in 0..<points {
                    MatrixMultiply.run(rows: 0..<tiles, columns: columns, a: scratch + xi * tiles * g.inC, lda: g.inC, b: matrices[xi],
                                       c: products + xi * tiles * g.outC, ldc: g.outC, bias: nil, residual: nil, ldr: g.outC, relu: false)
                }
            }
            bias.withUnsafeBufferPointerIfPresent { bias in
                nonisolated(unsafe) let bias = bias
                Parallel.forEach(workers) { worker in
                    let first = tiles * worker / workers, last = tiles * (worker + 1) / workers
                    guard first < last else { return }
                    zoo_wino_output(Int32(m), products + first * g.outC, tiles * g.outC, Int32(g.outH), Int32(g.outW), Int32(g.outC), Int32(tilesW),
                                    Int32(perImage), Int32(first), Int32(last), bias, residual, relu ? 1 : 0, output)
                }
            }
            return
        }
        bias.withUnsafeBufferPointerIfPresent { bias in
            nonisolated(unsafe) let bias = bias
            Parallel.forEach(share.workers) { worker in
                let v = scratch + worker * points * chunk * (g.inC + g.outC)
                let products = v + points * chunk * g.inC
                while true {
                    let c = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard c < chunks else { break }
                    let first = c * chunk, last = min(tiles, first + chunk)
                    zoo_wino_input(Int32(m), input, Int32(g.inH), Int32(g.inW), Int32(g.inC), Int32(g.padTop), Int32(g.padLeft), Int32(tilesW),
                                   Int32(perImage), Int32(first), Int32(last), v, chunk * g.inC)
                    for xi in 0..<points {
                        MatrixMultiply.run(rows: 0..<(last - first), a: v + xi * chunk * g.inC, lda: g.inC, b: matrices[xi],
                                           c: products + xi * chunk * g.outC, ldc: g.outC, bias: nil, residual: nil, ldr: g.outC, relu: false)
                    }
                    zoo_wino_output(Int32(m), products, chunk * g.outC, Int32(g.outH), Int32(g.outW), Int32(g.outC), Int32(tilesW), Int32(perImage),
                                    Int32(first), Int32(last), bias, residual, relu ? 1 : 0, output)
                }
            }
        }
    }

    /// FLOPs of the direct convolution this replaces (what GFLOP/s figures are counted in).
    var flops: Double { 2 * Double(geometry.rows) * Double(geometry.patch) * Double(geometry.outC) }
}
