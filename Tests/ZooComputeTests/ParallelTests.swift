import Dispatch
import Foundation
import Testing
@testable import ZooCompute

/// The worker pool behind the per-layer parallel loops: every index runs exactly once, also
/// when loops nest or several threads start loops at the same time (one gets the pool, the
/// others fall back to Dispatch).
@Suite struct ParallelTests {
    final class Counts: @unchecked Sendable {
        var values: [Int]
        let lock = NSLock()
        init(_ n: Int) { values = Array(repeating: 0, count: n) }
        func bump(_ i: Int) { lock.lock(); values[i] += 1; lock.unlock() }
    }

    @Test func everyIndexRunsOnce() {
        for count in [0, 1, 2, 3, 7, 64, 65] {
            let counts = Counts(max(count, 1))
            Parallel.forEach(count) { counts.bump($0) }
            #expect(counts.values == (count == 0 ? [0] : Array(repeating: 1, count: count)), "\(count) iterations")
        }
    }

    @Test func nestedAndConcurrentLoops() {
        let counts = Counts(4 * 3 * 5)
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for round in 0..<3 {
                Parallel.forEach(5) { i in
                    // A nested loop inside a pool worker runs on Dispatch instead.
                    Parallel.forEach(2) { j in if j == 0 { counts.bump((caller * 3 + round) * 5 + i) } }
                }
            }
        }
        #expect(counts.values == Array(repeating: 1, count: 60))
    }
}
