import CZooKernels
import Foundation
import Testing

/// A deterministic generator (SplitMix64), so a failing case reproduces.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func float() -> Float { Float(Int64(bitPattern: next()) >> 40) / Float(1 << 23) }
    mutating func floats(_ n: Int) -> [Float] { (0..<n).map { _ in float() } }
}

/// One GEMM problem with strides wider than the matrices (so stray reads and writes show).
struct Problem {
    let m: Int, n: Int, k: Int
    let lda: Int, ldb: Int, ldc: Int, ldr: Int
    var a: [Float], b: [Float], c: [Float], residual: [Float], bias: [Float]
    var useBias: Bool, useResidual: Bool, relu: Bool
    let packed: [Float]
    /// A*B in double precision, m x n.
    let product: [Double]

    init(m: Int, n: Int, k: Int, seed: UInt64, bias: Bool, residual: Bool, relu: Bool, lda: Int? = nil,
         poison: (row: Int, col: Int)? = nil) {
        var rng = SplitMix(state: seed)
        self.m = m; self.n = n; self.k = k
        self.lda = lda ?? (k + 3); ldb = n + 1; ldc = n + 5; ldr = n + 2
        a = rng.floats(m * self.lda)
        if let poison { a[poison.row * self.lda + poison.col] = .nan }
        b = rng.floats(k * ldb)
        c = rng.floats(m * ldc)
        self.residual = rng.floats(m * ldr)
        self.bias = rng.floats(n)
        useBias = bias; useResidual = residual; self.relu = relu
        var packed = [Float](repeating: .nan, count: zoo_pack_b_size(Int32(k), Int32(n)) / 4)
        let (kk, nn, ldbb, bb) = (Int32(k), Int32(n), Int32(ldb), b)
        bb.withUnsafeBufferPointer { bp in
            packed.withUnsafeMutableBufferPointer { zoo_pack_b(kk, nn, bp.baseAddress, ldbb, $0.baseAddress) }
        }
        self.packed = packed
        var product = [Double](repeating: 0, count: m * n)
        let (lda_, ldb_, a_, b_) = (self.lda, ldb, a, b)
        a_.withUnsafeBufferPointer { ap in
            b_.withUnsafeBufferPointer { bp in
                product.withUnsafeMutableBufferPointer { pp in
                    for row in 0..<m {
                        for kk in 0..<k {
                            let av = Double(ap[row * lda_ + kk])
                            for col in 0..<n { pp[row * n + col] += av * Double(bp[kk * ldb_ + col]) }
                        }
                    }
                }
            }
        }
        self.product = product
    }

    /// The double-precision reference for row `row`, column `col`.
    func reference(_ row: Int, _ col: Int) -> Double {
        var s = product[row * n + col]
        if useBias { s += Double(bias[col]) }
        if useResidual { s += Double(residual[row * ldr + col]) }
        if relu && s < 0 { s = 0 }
        return s
    }

    /// Runs the kernel on rows [begin, end) of a copy of C and returns it.
    func run(begin: Int, end: Int, inPlaceResidual: Bool = false) -> [Float] {
        var out = inPlaceResidual ? residualAsC() : c
        let ldcUsed = inPlaceResidual ? ldr : ldc
        a.withUnsafeBufferPointer { ap in
            packed.withUnsafeBufferPointer { pp in
                bias.withUnsafeBufferPointer { bp in
                    residual.withUnsafeBufferPointer { rp in
                        out.withUnsafeMutableBufferPointer { cp in
                            zoo_sgemm_packed(
                                Int32(m), Int32(n), Int32(k), ap.baseAddress, Int32(lda), pp.baseAddress,
                                cp.baseAddress, Int32(ldcUsed), useBias ? bp.baseAddress : nil,
                                useResidual ? (inPlaceResidual ? UnsafePointer(cp.baseAddress) : rp.baseAddress) : nil,
                                Int32(inPlaceResidual ? ldcUsed : ldr), relu ? 1 : 0, Int32(begin), Int32(end))
                        }
                    }
                }
            }
        }
        return out
    }

    func residualAsC() -> [Float] { residual }

    /// Calls `body` with pointers to A, packed B, bias, residual and `c`, for tests that call
    /// the kernel themselves (from several threads).
    func withPointers(c: inout [Float], _ body: (Pointers) -> Void) {
        a.withUnsafeBufferPointer { ap in
            packed.withUnsafeBufferPointer { pp in
                bias.withUnsafeBufferPointer { bp in
                    residual.withUnsafeBufferPointer { rp in
                        c.withUnsafeMutableBufferPointer { cp in
                            body(Pointers(a: ap.baseAddress, b: pp.baseAddress, bias: bp.baseAddress, res: rp.baseAddress, c: cp.baseAddress))
                        }
                    }
                }
            }
        }
    }

    /// Tolerance for a dot product of length k of values in [-1, 1].
    var tolerance: Double { 1e-4 * max(1, Double(k).squareRoot()) }

    /// Checks rows [begin, end) against the reference and every other element of `out`
    /// (including the padding columns) against `before`, bit for bit.
    func check(_ out: [Float], before: [Float], ld: Int, begin: Int, end: Int, label: String) {
        let lo = max(0, begin), hi = min(m, end)
        var worst = 0.0
        var untouchedOK = true
        for row in 0..<m {
            for col in 0..<ld {
                let got = out[row * ld + col]
                if row >= lo && row < hi && col < n {
                    worst = max(worst, abs(Double(got) - reference(row, col)))
                } else if got.bitPattern != before[row * ld + col].bitPattern {
                    untouchedOK = false
                }
            }
        }
        #expect(worst <= tolerance, "\(label): max error \(worst) > \(tolerance)")
        #expect(untouchedOK, "\(label): wrote outside rows [\(lo), \(hi)) x \(n) columns")
    }
}

/// The buffers of one call, shared by threads that write disjoint rows of c.
struct Pointers: @unchecked Sendable {
    let a: UnsafePointer<Float>?, b: UnsafePointer<Float>?, bias: UnsafePointer<Float>?
    let res: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>?
}

let edgeSizes = [1, 3, 7, 16, 31, 33, 64, 100, 257]

/// The implementations this CPU can run.
let implementations: [String] = ["portable", "avx2", "avx512"].filter { (name: String) in zoo_kernels_supported(name) != 0 }

/// Forces `impl` for the duration of `body` (the selection is process-wide, hence .serialized).
func forcing(_ impl: String, _ body: () throws -> Void) rethrows {
    #expect(zoo_kernels_force(impl) == 1)
    #expect(String(cString: zoo_kernels_active()) == impl)
    defer { zoo_kernels_force(nil) }
    try body()
}

@Suite(.serialized) struct SgemmTests {
    @Test func dispatchNamesAndForcing() {
        #expect(implementations.contains("portable"))
        let auto = String(cString: zoo_kernels_active())
        #expect(implementations.last == auto, "auto picks the best supported: \(auto)")
        #expect(zoo_kernels_force("no-such-kernel") == 0)
        #expect(String(cString: zoo_kernels_active()) == auto)
        #if arch(x86_64)
        if zoo_kernels_supported("avx512") == 0 { #expect(zoo_kernels_force("avx512") == 0) }
        #else
        #expect(implementations == ["portable"])
        #endif
        #expect(zoo_kernels_force("auto") == 1)
        #expect(String(cString: zoo_kernels_active()) == auto)
    }

    @Test func packedLayoutIsZeroPaddedPanels() {
        #expect(zoo_pack_b_size(0, 5) == 0)
        #expect(zoo_pack_b_size(3, 1) == 3 * 32 * 4)
        #expect(zoo_pack_b_size(3, 32) == 3 * 32 * 4)
        #expect(zoo_pack_b_size(3, 33) == 3 * 64 * 4)
        let (k, n, ldb) = (3, 40, 41)
        let b = (0..<(k * ldb)).map { Float($0) }
        var packed = [Float](repeating: .nan, count: zoo_pack_b_size(Int32(k), Int32(n)) / 4)
        packed.withUnsafeMutableBufferPointer { zoo_pack_b(Int32(k), Int32(n), b, Int32(ldb), $0.baseAddress) }
        for panel in 0..<2 {
            for kk in 0..<k {
                for j in 0..<32 {
                    let col = panel * 32 + j
                    let want: Float = col < n ? b[kk * ldb + col] : 0
                    #expect(packed[panel * k * 32 + kk * 32 + j] == want)
                }
            }
        }
    }

    /// Every (M, N, K) in edgeSizes^3, every implementation, cycling through the bias /
    /// residual / ReLU combinations; one test case per K.
    @Test(arguments: edgeSizes)
    func edgeShapesMatchDoubleReference(k: Int) {
        var index = 0
        for m in edgeSizes {
            for n in edgeSizes {
                index += 1
                let flags = index + k
                let p = Problem(m: m, n: n, k: k, seed: UInt64(m * 1_000_003 + n * 1009 + k),
                                bias: flags & 1 != 0, residual: flags & 2 != 0, relu: flags & 4 != 0)
                for impl in implementations {
                    forcing(impl) {
                        p.check(p.run(begin: 0, end: m), before: p.c, ld: p.ldc, begin: 0, end: m,
                                label: "\(impl) M=\(m) N=\(n) K=\(k) flags=\(flags & 7)")
                    }
                }
            }
        }
    }

    /// Random shapes, including K split into several cache blocks and leading dimensions that
    /// are multiples of 1 KiB (the copy-to-stack path of the SIMD kernels).
    @Test func randomShapesAllEpilogues() {
        var rng = SplitMix(state: 42)
        var cases: [(Int, Int, Int, Int?)] = [
            (100, 64, 1000, nil), (29, 1000, 800, nil), (50, 70, 1537, nil), (60, 48, 1024, nil),
            (45, 96, 300, 512), (1, 1000, 2048, nil), (8, 200, 3000, nil), (3, 33, 4608, nil),
        ]
        for _ in 0..<12 {
            cases.append((Int(rng.next() % 150) + 1, Int(rng.next() % 150) + 1, Int(rng.next() % 700) + 1, nil))
        }
        for (i, (m, n, k, lda)) in cases.enumerated() {
            var p = Problem(m: m, n: n, k: k, seed: UInt64(i), bias: false, residual: false, relu: false, lda: lda)
            for combo in 0..<8 {
                p.useBias = combo & 1 != 0
                p.useResidual = combo & 2 != 0
                p.relu = combo & 4 != 0
                for impl in implementations {
                    forcing(impl) {
                        p.check(p.run(begin: 0, end: m), before: p.c, ld: p.ldc, begin: 0, end: m,
                                label: "\(impl) M=\(m) N=\(n) K=\(k) lda=\(p.lda) combo=\(combo)")
                    }
                }
            }
        }
    }

    /// Row sub-ranges touch only their rows; out-of-range bounds are clamped.
    @Test(arguments: [(13, 77), (0, 1), (99, 100), (-5, 3), (90, 200), (40, 40), (60, 20), (-10, -2)])
    func rowRangesLeaveOtherRowsUntouched(begin: Int, end: Int) {
        for (n, k) in [(33, 257), (64, 64), (1000, 31)] {
            let p = Problem(m: 100, n: n, k: k, seed: UInt64(bitPattern: Int64(begin * 31 + end + n)), bias: true, residual: true, relu: true)
            for impl in implementations {
                forcing(impl) {
                    p.check(p.run(begin: begin, end: end), before: p.c, ld: p.ldc, begin: begin, end: end,
                            label: "\(impl) rows [\(begin), \(end)) N=\(n) K=\(k)")
                }
            }
        }
    }

    /// residual == C: an in-place C += A*B (+ bias), also across several K blocks.
    @Test func residualMayBeC() {
        for (m, n, k, lda) in [(31, 33, 7, nil), (100, 64, 1000, nil), (17, 100, 2500, nil), (30, 70, 1000, 1024)] {
            let p = Problem(m: m, n: n, k: k, seed: 7, bias: true, residual: true, relu: true, lda: lda)
            for impl in implementations {
                forcing(impl) {
                    p.check(p.run(begin: 0, end: m, inPlaceResidual: true), before: p.residual, ld: p.ldr,
                            begin: 0, end: m, label: "\(impl) in place M=\(m) N=\(n) K=\(k)")
                }
            }
        }
    }

    @Test func zeroKGivesBiasPlusResidual() {
        let p = Problem(m: 5, n: 40, k: 0, seed: 3, bias: true, residual: true, relu: true)
        for impl in implementations {
            forcing(impl) {
                p.check(p.run(begin: 1, end: 4), before: p.c, ld: p.ldc, begin: 1, end: 4, label: "\(impl) K=0")
            }
        }
    }

    @Test func reluKeepsNaN() {
        // A NaN in row 3 of A makes row 3 of the product NaN in every column.
        let problem = Problem(m: 20, n: 40, k: 9, seed: 5, bias: false, residual: false, relu: true, poison: (3, 2))
        for impl in implementations {
            forcing(impl) {
                let out = problem.run(begin: 0, end: 20)
                for row in 0..<20 {
                    for col in 0..<40 {
                        let v = out[row * problem.ldc + col]
                        if row == 3 {
                            #expect(v.isNaN, "\(impl) column \(col)")
                        } else {
                            #expect(v >= 0, "\(impl) row \(row) column \(col): \(v)")
                        }
                    }
                }
            }
        }
    }

    /// Column slices starting at multiples of 32 (the header's recipe for splitting N), run
    /// concurrently, give bit for bit the single-call result.
    @Test func concurrentColumnSlicesMatchOneCall() {
        let (m, n, k) = (3, 1000, 700)
        let p = Problem(m: m, n: n, k: k, seed: 13, bias: true, residual: true, relu: true)
        let starts = [0, 64, 96, 480, 992]  // slices [0,64) [64,96) [96,480) [480,992) [992,1000)
        for impl in implementations {
            forcing(impl) {
                let whole = p.run(begin: 0, end: m)
                var split = p.c
                let lda = Int32(p.lda), ldc = Int32(p.ldc), ldr = Int32(p.ldr)
                p.withPointers(c: &split) { ptrs in
                    DispatchQueue.concurrentPerform(iterations: starts.count) { i in
                        let n0 = starts[i], n1 = i + 1 < starts.count ? starts[i + 1] : n
                        zoo_sgemm_packed(Int32(m), Int32(n1 - n0), Int32(k), ptrs.a, lda,
                                         ptrs.b! + (n0 / 32) * k * 32, ptrs.c! + n0, ldc, ptrs.bias! + n0,
                                         ptrs.res! + n0, ldr, 1, 0, Int32(m))
                    }
                }
                #expect(zip(whole, split).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(impl)")
            }
        }
    }

    /// Several threads writing disjoint row ranges of one C give, bit for bit, the single-call
    /// result.
    @Test func concurrentRowSplitsMatchOneCall() {
        let (m, n, k) = (700, 96, 300)
        let p = Problem(m: m, n: n, k: k, seed: 11, bias: true, residual: true, relu: true)
        for impl in implementations {
            forcing(impl) {
                let whole = p.run(begin: 0, end: m)
                var split = p.c
                let parts = 7
                let lda = Int32(p.lda), ldc = Int32(p.ldc), ldr = Int32(p.ldr)
                p.withPointers(c: &split) { ptrs in
                    DispatchQueue.concurrentPerform(iterations: parts) { i in
                        let lo = m * i / parts, hi = m * (i + 1) / parts
                        zoo_sgemm_packed(Int32(m), Int32(n), Int32(k), ptrs.a, lda, ptrs.b, ptrs.c, ldc,
                                         ptrs.bias, ptrs.res, ldr, 1, Int32(lo), Int32(hi))
                    }
                }
                #expect(zip(whole, split).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(impl)")
            }
        }
    }
}
