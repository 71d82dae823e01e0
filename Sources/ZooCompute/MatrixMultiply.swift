import CZooKernels
import ZooFormats

/// The matrix multiply every Conv2D and Dense runs on: `C = A * B (+ bias) (+ residual)`, then
/// optionally ReLU, on a range of rows. `B` is packed once per model for the C kernels in
/// CZooKernels (AVX-512, AVX2 or portable, picked at run time).
struct MatrixMultiply {
    /// B (K x N, row-major) packed into the kernel's panel layout.
    final class PreparedMatrix: @unchecked Sendable {
        let k: Int
        let n: Int
        let packed: UnsafeMutableRawPointer
        /// Set when the panels live in memory owned elsewhere (a `.zoo` mapping).
        private let borrowed: TensorData?

        init(k: Int, n: Int, rowMajor source: UnsafeBufferPointer<Float>) {
            self.k = k
            self.n = n
            let size = max(zoo_pack_b_size(Int32(k), Int32(n)), 64)
            packed = .allocate(byteCount: size, alignment: 64)
            borrowed = nil
            if k > 0, n > 0, let base = source.baseAddress {
                zoo_pack_b(Int32(k), Int32(n), base, Int32(n), packed.assumingMemoryBound(to: Float.self))
            }
        }

        /// Uses panels already in the packed layout (a `.zoo` kernel stored `packed`) in place,
        /// without a copy; nil when their size is not that of a K x N matrix's panels.
        init?(k: Int, n: Int, panels: TensorData) {
            guard k > 0, n > 0, panels.count == zoo_pack_b_size(Int32(k), Int32(n)),
                  let base = panels.withUnsafeBytes({ $0.baseAddress }) else { return nil }
            self.k = k
            self.n = n
            packed = UnsafeMutableRawPointer(mutating: base)
            borrowed = panels
        }

        /// Whether the panels are used in place from memory owned elsewhere.
        var isBorrowed: Bool { borrowed != nil }

        deinit { if borrowed == nil { packed.deallocate() } }
    }

    /// Computes rows `rows` of C (row stride `ldc`) from A (row stride `lda`), for the output
    /// columns `columns` (default all; a sub-range must start at a multiple of 32, the packed
    /// panel width, so threads can split a short-and-wide product by columns).
    static func run(rows: Range<Int>, columns: Range<Int>? = nil, a: UnsafePointer<Float>, lda: Int, b: PreparedMatrix,
                    c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, ldr: Int, relu: Bool) {
        guard !rows.isEmpty else { return }
        let cols = columns ?? 0..<b.n
        guard !cols.isEmpty, cols.lowerBound % Int(ZOO_PACK_NR) == 0 else { return }
        let n0 = cols.lowerBound
        let packed = b.packed.assumingMemoryBound(to: Float.self) + (n0 / Int(ZOO_PACK_NR)) * b.k * Int(ZOO_PACK_NR)
        zoo_sgemm_packed(Int32(rows.upperBound), Int32(cols.count), Int32(b.k), a, Int32(lda), packed,
                         c + n0, Int32(ldc), bias.map { $0 + n0 }, residual.map { $0 + n0 }, Int32(ldr), relu ? 1 : 0,
                         Int32(rows.lowerBound), Int32(rows.upperBound))
    }

    /// Which implementation runs.
    static var implementation: String { String(cString: zoo_kernels_active()) }

    /// The implementations this CPU and build can run, best first.
    static var supportedImplementations: [String] { ["avx512", "avx2", "portable"].filter { zoo_kernels_supported($0) == 1 } }
}
