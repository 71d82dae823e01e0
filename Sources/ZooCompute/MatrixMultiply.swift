/// The matrix multiply every Conv2D and Dense runs on: `C = A * B (+ bias) (+ residual)`, then
/// optionally ReLU, on a range of rows. `B` is prepared once per model (`PreparedMatrix`).
struct MatrixMultiply {
    /// B (K x N, row-major) prepared for the kernel.
    final class PreparedMatrix: @unchecked Sendable {
        let k: Int
        let n: Int
        let storage: UnsafeMutableBufferPointer<Float>

        init(k: Int, n: Int, rowMajor source: UnsafeBufferPointer<Float>) {
            self.k = k
            self.n = n
            storage = .allocate(capacity: max(k * n, 1))
            if k * n > 0, let base = source.baseAddress { storage.baseAddress?.initialize(from: base, count: k * n) }
        }

        deinit { storage.deallocate() }
    }

    /// Computes rows `rows` of C (row stride `ldc`) from A (row stride `lda`).
    static func run(rows: Range<Int>, a: UnsafePointer<Float>, lda: Int, b: PreparedMatrix, c: UnsafeMutablePointer<Float>, ldc: Int,
                    bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, ldr: Int, relu: Bool) {
        let n = b.n, k = b.k
        guard let bBase = b.storage.baseAddress else { return }
        for i in rows {
            let out = c + i * ldc
            if let bias { out.update(from: bias, count: n) } else { out.update(repeating: 0, count: n) }
            let aRow = a + i * lda
            for kk in 0..<k {
                let av = aRow[kk]
                if av == 0 { continue }
                let bRow = bBase + kk * n
                for j in 0..<n { out[j] += av * bRow[j] }
            }
            if let residual {
                let r = residual + i * ldr
                for j in 0..<n { out[j] += r[j] }
            }
            if relu { for j in 0..<n where out[j] < 0 { out[j] = 0 } }
        }
    }

    /// Which implementation runs.
    static var implementation: String { "swift-reference" }
}
