/// How the rows of one matrix product (output pixels of a convolution, or Winograd tiles) are
/// shared between threads; decided once per plan.
///
/// - By rows (most layers): the rows are cut into chunks that are whole multiples of the
///   micro-kernel's tile (so no thread runs a mostly empty tile) and about `targetRows` long,
///   but never fewer chunks than threads; threads take chunks from a shared counter, so a thread
///   that gets preempted on a shared machine does not hold the others up.
/// - By columns (few rows, many output channels: ResNet's last stages and Dense at batch 1):
///   splitting the rows would leave each thread 1-2 tiles that each stream the whole weight
///   matrix, so instead every thread takes all rows and its own whole 32-column panels.
struct WorkShare: Sendable, Equatable {
    /// Threads share the output columns instead of the rows.
    var byColumns: Bool
    /// Rows per chunk (all rows when split by columns).
    var chunkRows: Int
    var chunks: Int
    /// Threads that take part.
    var workers: Int

    init(rows: Int, columns: Int, threads: Int, tileRows mr: Int, targetRows: Int) {
        let rows = max(rows, 1), threads = max(threads, 1)
        let panels = (columns + 31) / 32
        if threads > 1, (rows + threads - 1) / threads < 4 * mr, panels >= 2 * threads {
            (byColumns, chunkRows, chunks, workers) = (true, rows, 1, min(threads, panels))
            return
        }
        var chunks = (rows + targetRows - 1) / max(targetRows, 1)
        chunks = (chunks + threads - 1) / threads * threads
        let chunk = max(mr, ((rows + chunks - 1) / chunks + mr - 1) / mr * mr)
        chunks = (rows + chunk - 1) / chunk
        (byColumns, chunkRows, self.chunks, workers) = (false, chunk, chunks, min(threads, chunks))
    }

    /// Scratch buffers of `chunkRows` rows the run needs: one shared by all threads when split
    /// by columns, one per thread when split by rows.
    var buffers: Int { byColumns ? 1 : workers }

    /// The 32-column-aligned output columns `worker` computes when split by columns.
    func columns(of worker: Int, total: Int) -> Range<Int> {
        let panels = (total + 31) / 32
        return (panels * worker / workers * 32)..<min(total, panels * (worker + 1) / workers * 32)
    }
}
