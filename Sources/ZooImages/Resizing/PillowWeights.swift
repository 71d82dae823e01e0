/// Pillow's per-output-pixel filter coefficients along one axis (`precompute_coeffs` followed by
/// `normalize_coeffs_8bpc`): output `o` reads `count[o]` source pixels from `start[o]`, weighted
/// by fixed-point coefficients with `PillowWeights.precisionBits` fractional bits.
struct PillowWeights: Sendable {
    /// Fractional bits of the coefficients: 32 - 8 - 2, as in Pillow's 8-bit resampler.
    static let precisionBits = 22

    /// Stride between outputs in `coefficients`.
    let taps: Int
    let start: [Int]
    let count: [Int]
    let coefficients: [Int32]

    /// Coefficients for resampling the source interval `[in0, in1)` (float32 box coordinates)
    /// of `inputSize` pixels onto `outputSize` pixels. The support grows with the downscale
    /// factor (antialiasing); double arithmetic as in Pillow, then rounded to fixed point.
    static func make(inputSize: Int, in0: Float, in1: Float, outputSize: Int,
                     filter: (function: @Sendable (Double) -> Double, support: Double)) -> PillowWeights {
        let scale = Double(in1 - in0) / Double(outputSize)
        let filterScale = max(scale, 1.0)
        let support = filter.support * filterScale
        let taps = max(1, Int(support.rounded(.up)) * 2 + 1)
        var start = [Int](repeating: 0, count: outputSize)
        var count = [Int](repeating: 0, count: outputSize)
        var coefficients = [Int32](repeating: 0, count: outputSize * taps)
        var k = [Double](repeating: 0, count: taps)
        let one = Double(1 << precisionBits)
        for xx in 0..<outputSize {
            let center = Double(in0) + (Double(xx) + 0.5) * scale
            var total = 0.0
            let ss = 1.0 / filterScale
            // C's (int) cast truncates toward zero; the values here are small and finite.
            var xmin = Int(center - support + 0.5)
            if xmin < 0 { xmin = 0 }
            var xmax = Int(center + support + 0.5)
            if xmax > inputSize { xmax = inputSize }
            xmax -= xmin
            xmax = min(max(xmax, 0), taps)
            if xmin >= inputSize { xmin = inputSize - 1; xmax = 0 }
            for x in 0..<xmax {
                let w = filter.function((Double(x + xmin) - center + 0.5) * ss)
                k[x] = w
                total += w
            }
            for x in 0..<xmax {
                if total != 0.0 { k[x] /= total }
                let v = k[x] * one
                coefficients[xx * taps + x] = Int32(clamping: Int(k[x] < 0 ? -0.5 + v : 0.5 + v))
            }
            start[xx] = xmin
            count[xx] = xmax
        }
        return PillowWeights(taps: taps, start: start, count: count, coefficients: coefficients)
    }
}
