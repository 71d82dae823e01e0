import CZooThreads
import Dispatch

/// Parallel loops of the compute core: on the persistent worker pool of CZooThreads when it is
/// free (no wake-up latency between layers), otherwise on Dispatch (another run holds the pool,
/// or this loop is nested inside one).
enum Parallel {
    /// Element-wise work on `count` elements: `body(first, last)` over equal chunks, one per
    /// thread (at most `threads`, 8) when there are at least 32,768 elements, else one call.
    static func forEachChunk(of count: Int, threads: Int, _ body: @Sendable (_ first: Int, _ last: Int) -> Void) {
        let workers = count >= 1 << 15 ? max(1, min(threads, 8)) : 1
        forEach(workers) { worker in body(count * worker / workers, count * (worker + 1) / workers) }
    }

    /// Calls `body(i)` for every `i` in `0..<count`, concurrently, and returns when all are done.
    static func forEach(_ count: Int, _ body: @Sendable (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        let ranOnPool = withoutActuallyEscaping(body) { body -> Bool in
            var closure = body
            return withUnsafeMutablePointer(to: &closure) { pointer -> Bool in
                zoo_pool_run(Int32(count), { context, index in
                    guard let context else { return }
                    context.assumingMemoryBound(to: (@Sendable (Int) -> Void).self).pointee(Int(index))
                }, pointer) == 1
            }
        }
        if !ranOnPool {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        }
    }
}
