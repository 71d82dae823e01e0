import CZooKernels
import Dispatch
import Synchronization

/// A Conv2D (or Dense, as a 1x1 convolution over a 1x1 image) with its prepared weights and
/// fused epilogue: bias, an optional residual input and an optional ReLU.
///
/// How the work is shared between threads is decided once, at plan time (`split`):
/// - by rows (most layers): the output rows are cut into chunks that are whole multiples of the
///   micro-kernel's tile (so no thread runs a mostly empty tile) and about 256 KiB of im2col
///   patches each, but never fewer chunks than threads; threads take chunks from a shared
///   counter, so a thread that gets preempted on a shared machine does not hold the others up.
/// - by columns (few rows, many output channels: the last ResNet stage and Dense at batch 1):
///   splitting 49 rows would leave each thread 1-2 tiles that each stream the whole weight
///   matrix (9 MiB for conv5's 3x3), so instead the im2col patches are built once, in parallel,
///   and each thread multiplies them by its own slice of the weight columns.
struct ConvolutionKernel: Sendable {
    let geometry: ConvGeometry
    let weights: MatrixMultiply.PreparedMatrix
    let bias: [Float]?
    let relu: Bool
    let split: Split

    /// How one run is shared between threads.
    struct Split: Sendable, Equatable {
        /// Threads share the output columns (each gets whole 32-column panels) instead of rows.
        var byColumns: Bool
        /// Rows per chunk (row split) or all rows (column split).
        var chunkRows: Int
        var chunks: Int
        /// Threads that take part.
        var workers: Int
        /// Floats of im2col scratch the whole run needs (0 for pointwise convolutions).
        var scratchFloats: Int
    }

    init(geometry: ConvGeometry, weights: MatrixMultiply.PreparedMatrix, bias: [Float]?, relu: Bool, threads: Int) {
        self.geometry = geometry
        self.weights = weights
        self.bias = bias
        self.relu = relu
        split = Self.split(geometry, threads: max(1, threads), tileRows: Int(zoo_kernels_tile_rows()))
    }

    static func split(_ g: ConvGeometry, threads: Int, tileRows mr: Int) -> Split {
        let rows = max(g.rows, 1)
        let patch = max(g.patch, 1)
        let panels = (g.outC + 31) / 32
        let im2col = !g.isPointwise
        if threads > 1, (rows + threads - 1) / threads < 4 * mr, panels >= 2 * threads {
            return Split(byColumns: true, chunkRows: rows, chunks: 1, workers: min(threads, panels),
                         scratchFloats: im2col ? rows * patch : 0)
        }
        // About 64 Ki floats of patches per chunk, at least 8 tiles, in whole tiles.
        let target = max(8 * mr, (64 * 1024 / patch) / mr * mr)
        var chunks = (rows + target - 1) / target
        chunks = (chunks + threads - 1) / threads * threads
        let chunk = max(mr, ((rows + chunks - 1) / chunks + mr - 1) / mr * mr)
        chunks = (rows + chunk - 1) / chunk
        let workers = min(threads, chunks)
        return Split(byColumns: false, chunkRows: chunk, chunks: chunks, workers: workers,
                     scratchFloats: im2col ? workers * chunk * patch : 0)
    }

    /// Runs the convolution; `scratch` holds `split.scratchFloats` floats.
    func run(input: UnsafePointer<Float>, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
             scratch: UnsafeMutablePointer<Float>) {
        if split.byColumns {
            runSplittingColumns(input: input, residual: residual, output: output, scratch: scratch)
            return
        }
        let g = geometry
        let (chunk, chunks, workers) = (split.chunkRows, split.chunks, split.workers)
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
                }
            }
        }
    }

    private func runSplittingColumns(input: UnsafePointer<Float>, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                                     scratch: UnsafeMutablePointer<Float>) {
        let g = geometry
        let panels = (g.outC + 31) / 32
        let workers = split.workers
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
                let first = panels * worker / workers * 32
                let last = min(g.outC, panels * (worker + 1) / workers * 32)
                MatrixMultiply.run(rows: 0..<g.rows, columns: first..<last, a: source, lda: lda, b: weights, c: output, ldc: g.outC,
                                   bias: bias, residual: residual, ldr: g.outC, relu: relu)
            }
        }
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
