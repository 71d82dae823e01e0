/// The two fixed-point passes of Pillow's 8-bit resampler. Sums start at one half
/// (`1 << (precisionBits - 1)`) and are shifted and clamped to 0...255 (`clip8`).
enum PillowKernels {
    @inline(__always) static func clip8(_ value: Int32) -> UInt8 {
        let shifted = value >> Int32(PillowWeights.precisionBits)
        return UInt8(truncatingIfNeeded: min(max(shifted, 0), 255))
    }

    static let half = Int32(1) << Int32(PillowWeights.precisionBits - 1)

    /// Horizontal pass over source rows `firstRow ..< firstRow + rows` into `out`
    /// (`rows x weights.start.count x channels`).
    static func horizontal(_ src: UnsafeBufferPointer<UInt8>, inWidth: Int, inHeight: Int, channels c: Int,
                           firstRow: Int, rows: Int, weights: PillowWeights, out: UnsafeMutableBufferPointer<UInt8>) {
        let outWidth = weights.start.count
        let taps = weights.taps
        weights.coefficients.withUnsafeBufferPointer { k in
        weights.start.withUnsafeBufferPointer { starts in
        weights.count.withUnsafeBufferPointer { counts in
            guard let s = src.baseAddress, let o = out.baseAddress, let kk = k.baseAddress else { return }
            for yy in 0..<rows {
                let sy = min(max(firstRow + yy, 0), inHeight - 1)
                let row = s + sy * inWidth * c
                let outRow = o + yy * outWidth * c
                if c == 3 {
                    for xx in 0..<outWidth {
                        let p = row + starts[xx] * 3
                        let w = kk + xx * taps
                        var s0 = half, s1 = half, s2 = half
                        for x in 0..<counts[xx] {
                            let kx = w[x]
                            s0 &+= Int32(p[3 * x]) &* kx
                            s1 &+= Int32(p[3 * x + 1]) &* kx
                            s2 &+= Int32(p[3 * x + 2]) &* kx
                        }
                        outRow[3 * xx] = clip8(s0)
                        outRow[3 * xx + 1] = clip8(s1)
                        outRow[3 * xx + 2] = clip8(s2)
                    }
                } else if c == 1 {
                    for xx in 0..<outWidth {
                        let p = row + starts[xx]
                        let w = kk + xx * taps
                        var s0 = half
                        for x in 0..<counts[xx] { s0 &+= Int32(p[x]) &* w[x] }
                        outRow[xx] = clip8(s0)
                    }
                } else {
                    for xx in 0..<outWidth {
                        let p = row + starts[xx] * c
                        let w = kk + xx * taps
                        for ch in 0..<c {
                            var s0 = half
                            for x in 0..<counts[xx] { s0 &+= Int32(p[c * x + ch]) &* w[x] }
                            outRow[c * xx + ch] = clip8(s0)
                        }
                    }
                }
            }
        }
        }
        }
    }

    /// Vertical pass: output row `yy` sums rows `start[yy] - rowShift ...` of `src` with its
    /// coefficients, vectorised along the row.
    static func vertical(_ src: UnsafeBufferPointer<UInt8>, width: Int, inHeight: Int, channels c: Int, rowShift: Int,
                         weights: PillowWeights, out: UnsafeMutableBufferPointer<UInt8>) {
        let rowLength = width * c
        let outHeight = weights.start.count
        var accumulator = [Int32](repeating: 0, count: rowLength)
        accumulator.withUnsafeMutableBufferPointer { accBuffer in
        weights.coefficients.withUnsafeBufferPointer { k in
            guard let acc = accBuffer.baseAddress, let s = src.baseAddress, let o = out.baseAddress else { return }
            for yy in 0..<outHeight {
                for i in 0..<rowLength { acc[i] = half }
                let first = weights.start[yy] - rowShift
                for y in 0..<weights.count[yy] {
                    let sy = first + y
                    guard sy >= 0, sy < inHeight else { continue }
                    let row = s + sy * rowLength
                    let ky = k[yy * weights.taps + y]
                    for i in 0..<rowLength { acc[i] &+= Int32(row[i]) &* ky }
                }
                let outRow = o + yy * rowLength
                for i in 0..<rowLength { outRow[i] = clip8(acc[i]) }
            }
        }
        }
    }
}
