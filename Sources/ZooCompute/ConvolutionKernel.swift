import ZooGraph
import CZooKernels
import Dispatch
import Synchronization

/// A Conv2D (or Dense, as a 1x1 convolution over a 1x1 image) with its prepared weights and
/// fused epilogue: bias, an optional residual input and an optional ReLU.
///
/// Threads share it as `WorkShare` says: by row chunks of about 256 KiB of im2col patches, or,
/// for few rows, by columns after the patches are built once, in parallel, for all of them.
struct ConvolutionKernel: Sendable {
    let geometry: ConvGeometry
    let weights: MatrixMultiply.PreparedMatrix
    let bias: [Float]?
    let relu: Bool
    /// An activation other than ReLU applied to each chunk of output rows right after its
    /// product, while they are in cache (nil: none).
    let activation: Activation?
    let share: WorkShare
    /// Floats of im2col scratch the whole run needs (0 for pointwise convolutions).
    let scratchFloats: Int

    init(geometry: ConvGeometry, weights: MatrixMultiply.PreparedMatrix, bias: [Float]?, relu: Bool, threads: Int, activation: Activation? = nil) {
        self.geometry = geometry
        self.weights = weights
        self.bias = bias
        self.relu = relu
        self.activation = activation
        (share, scratchFloats) = Self.split(geometry, threads: threads, tileRows: Int(zoo_kernels_tile_rows()))
    }

    static func split(_ g: ConvGeometry, threads: Int, tileRows mr: Int) -> (share: WorkShare, scratchFloats: Int) {
        // About 64 Ki floats of patches per chunk, at least 8 tiles, in whole tiles.
        let patch = max(g.patch, 1)
        let share = WorkShare(rows: g.rows, columns: g.outC, threads: threads, tileRows: mr,
                              targetRows: max(8 * mr, (64 * 1024 / patch) / mr * mr))
        return (share, g.isPointwise ? 0 : share.buffers * share.chunkRows * patch)
    }

    /// Runs the convolution; `scratch` holds `scratchFloats` floats.
    func run(input: UnsafePointer<Float>, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
             scratch: UnsafeMutablePointer<Float>) {
        if share.byColumns {
            runSplittingColumns(input: input, residual: residual, output: output, scratch: scratch)
            return
        }
        let g = geometry
        let (chunk, chunks, workers) = (share.chunkRows, share.chunks, share.workers)
        let activation = self.activation
        let next = Atomic<Int>(0)
        nonisolated(unsafe) let input = input, output = output, residual = residual, scratch = scratch
        bias.withUnsafeBufferPointerIfPresent { bias in
            nonisolated(unsafe) let bias = bias
            Parallel.forEach(workers) { worker in
                let patches = g.isPointwise ? nil : scratch + worker * chunk * g.patch
                while true {
                    let c = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard c < chunks else { break }
                    let rows = (c * chunk)..<min(g.rows, (c + 1) * chunk)
                    if let patches {
                        g.im2col(rows: rows, input: input, into: patches)
                        MatrixMultiply.run(rows: 0..<rows.count, a: patches, lda: g.patch, b: weights,
                                           c: output + rows.lowerBound * g.outC, ldc: g.outC, bias: bias,
                                           residual: residual.map { $0 + rows.lowerBound * g.outC }, ldr: g.outC, relu: relu)
                    } else {
                        MatrixMultiply.run(rows: rows, a: input, lda: g.inC, b: weights, c: output, ldc: g.outC, bias: bias,
                                           residual: residual, ldr: g.outC, relu: relu)
                    }
                    if let activation {
                        LayerKernels.applyActivation(activation, output + rows.lowerBound * g.outC, count: rows.count * g.outC, rowLength: g.outC)
                    }
                }
            }
        }
    }

    private func runSplittingColumns(input: UnsafePointer<Float>, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                                     scratch: UnsafeMutablePointer<Float>) {
        let g = geometry
        let share = self.share, workers = share.workers
        nonisolated(unsafe) let input = input, output = output, residual = residual, scratch = scratch
        if !g.isPointwise {
            Parallel.forEach(workers) { worker in
                let rows = (g.rows * worker / workers)..<(g.rows * (worker + 1) / workers)
                g.im2col(rows: rows, input: input, into: scratch + rows.lowerBound * g.patch)
            }
        }
        let a = g.isPointwise ? input : UnsafePointer(scratch)
        let lda = g.isPointwise ? g.inC : g.patch
        nonisolated(unsafe) let source = a
        bias.withUnsafeBufferPointerIfPresent { bias in
            nonisolated(unsafe) let bias = bias
            Parallel.forEach(workers) { worker in
                MatrixMultiply.run(rows: 0..<g.rows, columns: share.columns(of: worker, total: g.outC), a: source, lda: lda, b: weights, c: output, ldc: g.outC,
                                   bias: bias, residual: residual, ldr: g.outC, relu: relu)
            }
        }
        // Whole rows only now (softmax normalises a row).
        if let activation { LayerKernels.applyActivation(activation, output, count: g.rows * g.outC, rowLength: g.outC, threads: workers) }
    }

    var flops: Double { 2 * Double(geometry.rows) * Double(geometry.patch) * Double(geometry.outC) }
}

extension Optional where Wrapped == [Float] {
    func withUnsafeBufferPointerIfPresent<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let array): return array.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}
