import CZooKernels

/// General matrix products for the backward pass, on the same runtime-dispatched micro-kernels
/// as inference: `C (m x n) = op(A) * op(B)`, optionally added to C, where op is the identity
/// or the transpose. A right-hand side stored transposed is packed from its rows
/// (`zoo_pack_bt`), a transposed left-hand side is copied once (`zoo_transpose`); rows of C are
/// shared between threads in whole micro-kernel tiles, so the result does not depend on the
/// thread count (each element is summed in the same order by one thread).
enum Gemm {
    /// A row-major matrix operand: `pointer[i * stride + j]`, read as stored or transposed.
    struct Operand {
        var pointer: UnsafePointer<Float>
        var stride: Int
        var transposed: Bool
    }

    /// A right-hand side packed once for several products (the chunks of one layer's rows).
    final class PackedB: @unchecked Sendable {
        let k: Int
        let n: Int
        let panels: UnsafeMutablePointer<Float>

        /// Packs op(B) (k x n).
        init(k: Int, n: Int, b: Operand) {
            self.k = k
            self.n = n
            let bytes = max(zoo_pack_b_size(Int32(k), Int32(n)), 64)
            panels = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).assumingMemoryBound(to: Float.self)
            guard k > 0, n > 0 else { return }
            if b.transposed {
                zoo_pack_bt(Int32(k), Int32(n), b.pointer, Int32(b.stride), panels)
            } else {
                zoo_pack_b(Int32(k), Int32(n), b.pointer, Int32(b.stride), panels)
            }
        }

        deinit { panels.deallocate() }
    }

    /// C = op(A) * op(B) (+ C when `accumulate`). op(A) is m x k, op(B) is k x n; C has row
    /// stride `ldc`. With k == 0 the product is zero.
    static func multiply(m: Int, n: Int, k: Int, a: Operand, b: Operand, c: UnsafeMutablePointer<Float>, ldc: Int,
                         accumulate: Bool, threads: Int = 1) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            if !accumulate { for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) } }
            return
        }
        if a.transposed, !b.transposed, n <= 64, m >= 4 * n {
            // A^T B with few columns (a Dense head's dW = X^T dz): (B^T A)^T packs A's rows
            // straight into panels and transposes only B and the small result, instead of
            // transposing all of A.
            let swapped = UnsafeMutablePointer<Float>.allocate(capacity: n * m)
            defer { swapped.deallocate() }
            multiply(m: n, a: Operand(pointer: b.pointer, stride: b.stride, transposed: true),
                     b: PackedB(k: k, n: m, b: Operand(pointer: a.pointer, stride: a.stride, transposed: false)),
                     c: swapped, ldc: m, accumulate: false, threads: threads)
            for i in 0..<m {
                let row = c + i * ldc
                if accumulate { for j in 0..<n { row[j] += swapped[j * m + i] } } else { for j in 0..<n { row[j] = swapped[j * m + i] } }
            }
            return
        }
        multiply(m: m, a: a, b: PackedB(k: k, n: n, b: b), c: c, ldc: ldc, accumulate: accumulate, threads: threads)
    }

    /// C = op(A) * B (+ C) with B packed already.
    static func multiply(m: Int, a: Operand, b: PackedB, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, threads: Int = 1) {
        let (n, k) = (b.n, b.k)
        guard m > 0, n > 0, k > 0 else { return }
        var left = a.pointer
        var lda = a.stride
        var copy: UnsafeMutablePointer<Float>?
        if a.transposed {
            // A is stored k x m: make the m x k rows the kernel broadcasts from.
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
            zoo_transpose(Int32(k), Int32(m), a.pointer, Int32(a.stride), buffer, Int32(k))
            copy = buffer
            left = UnsafePointer(buffer)
            lda = k
        }
        defer { copy?.deallocate() }
        let tile = Int(zoo_kernels_tile_rows())
        let tiles = (m + tile - 1) / tile
        // Below about 2 MFLOP a second thread costs more than it brings.
        let workers = 2 * m * n * k < 2_000_000 ? 1 : max(1, min(threads, tiles))
        nonisolated(unsafe) let (lhs, rhs, out) = (left, UnsafePointer(b.panels), c)
        let (ldaFinal, residual) = (lda, accumulate)
        Parallel.forEach(workers) { worker in
            let begin = min(m, tiles * worker / workers * tile)
            let end = min(m, tiles * (worker + 1) / workers * tile)
            guard begin < end else { return }
            zoo_sgemm_packed(Int32(m), Int32(n), Int32(k), lhs, Int32(ldaFinal), rhs, out, Int32(ldc), nil,
                             residual ? UnsafePointer(out) : nil, Int32(ldc), 0, Int32(begin), Int32(end))
        }
    }

    /// `multiply` on Swift arrays: C (m x n, row-major) = op(A) * op(B) (+ C).
    static func multiply(m: Int, n: Int, k: Int, a: [Float], transposeA: Bool, b: [Float], transposeB: Bool,
                         into c: inout [Float], accumulate: Bool, threads: Int = 1) {
        precondition(a.count >= m * k && b.count >= k * n && c.count >= m * n, "Gemm operands are smaller than their shapes")
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    guard let baseA = pa.baseAddress, let baseB = pb.baseAddress, let baseC = pc.baseAddress else { return }
                    multiply(m: m, n: n, k: k, a: Operand(pointer: baseA, stride: transposeA ? m : k, transposed: transposeA),
                             b: Operand(pointer: baseB, stride: transposeB ? k : n, transposed: transposeB),
                             c: baseC, ldc: n, accumulate: accumulate, threads: threads)
                }
            }
        }
    }
}
