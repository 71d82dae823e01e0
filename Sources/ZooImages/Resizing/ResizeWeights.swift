/// Per-output-pixel taps along one axis, computed once per resize call: output `o` reads
/// `count[o]` source indices `indices[o * taps + k]` with weights `weights[o * taps + k]`
/// (`k < count[o]`; the rest of each row of `taps` is padding).
///
/// Indices are always inside `0..<inputSize`, so the passes that walk them never read out of
/// bounds whatever the caller passed.
struct ResizeWeights: Sendable {
    /// Stride between outputs in `indices` / `weights`.
    let taps: Int
    /// Used taps per output (at most `taps`).
    let count: [Int]
    let indices: [Int]
    let weights: [Float]

    /// The spans TensorFlow's `scale_and_translate` computes (antialias off, translation 0):
    /// `kernel` sampled at source-pixel centres within `radius` of each output centre, then
    /// normalised to sum to one. Float32 arithmetic in TensorFlow's order.
    static func scaleAndTranslate(inputSize: Int, outputSize: Int, radius: Float, kernel: (Float) -> Float) -> ResizeWeights {
        let scale = Float(outputSize) / Float(inputSize)
        let inverseScale = Float(1.0 / Double(scale))
        let inverseTranslate = -inverseScale * 0
        let kernelScale: Float = 1
        let oneOverKernelScale: Float = 1 / kernelScale
        let taps = max(1, min(2 * Int((radius * kernelScale).rounded(.up)) + 1, inputSize))
        var count = [Int](repeating: 0, count: outputSize)
        var indices = [Int](repeating: 0, count: outputSize * taps)
        var weights = [Float](repeating: 0, count: outputSize * taps)
        var temp = [Float](repeating: 0, count: taps)
        for x in 0..<outputSize {
            let sample = (Float(x) + 0.5) * inverseScale + inverseTranslate
            if !(sample >= 0 && sample <= Float(inputSize)) { continue }
            let startF = (sample - radius * kernelScale - 0.5).rounded(.up)
            let endF = (sample + radius * kernelScale - 0.5).rounded(.down)
            let start = clampIndex(startF, inputSize)
            let end = clampIndex(endF, inputSize) + 1
            let span = min(end - start, taps)
            var total: Float = 0
            for k in 0..<span {
                let position = Float(start + k) + 0.5 - sample
                let w = kernel(abs(position * oneOverKernelScale))
                total += w
                temp[k] = w
            }
            guard span > 0, abs(total) >= 1000 * Float.leastNormalMagnitude else { continue }
            let inverse = 1 / total
            count[x] = span
            for k in 0..<span {
                indices[x * taps + k] = start + k
                weights[x * taps + k] = temp[k] * inverse
            }
        }
        return ResizeWeights(taps: taps, count: count, indices: indices, weights: weights)
    }

    /// The four Keys-cubic taps of `resize_bicubic` with half-pixel centres: weights read from the
    /// 1024-step table, taps that fall outside the image get weight 0 and the rest are
    /// renormalised.
    static func tensorFlowBicubic(inputSize: Int, outputSize: Int) -> ResizeWeights {
        let table = ResampleKernels.tfBicubicTable
        let tableSize = 1 << 10
        let scale = Float(inputSize) / Float(outputSize)
        var indices = [Int](repeating: 0, count: outputSize * 4)
        var weights = [Float](repeating: 0, count: outputSize * 4)
        for o in 0..<outputSize {
            let location = (Float(o) + 0.5) * scale - 0.5
            let floorLocation = location.rounded(.down)
            let base = clampIndex(floorLocation, Int.max / 4, lower: -2)
            let delta = location - Float(base)
            let offset = min(max(Int((delta * Float(tableSize)).rounded(.toNearestOrEven)), 0), tableSize)
            let raw: [Float] = [table[offset * 2 + 1], table[offset * 2], table[(tableSize - offset) * 2], table[(tableSize - offset) * 2 + 1]]
            var w = [Float](repeating: 0, count: 4)
            for k in 0..<4 {
                let wanted = base - 1 + k
                let bounded = min(inputSize - 1, max(0, wanted))
                indices[o * 4 + k] = bounded
                w[k] = bounded == wanted ? raw[k] : 0
            }
            let sum = w[0] + w[1] + w[2] + w[3]
            if abs(sum) >= 1000 * Float.leastNormalMagnitude {
                let inverse = 1 / sum
                for k in 0..<4 { w[k] *= inverse }
            }
            for k in 0..<4 { weights[o * 4 + k] = w[k] }
        }
        return ResizeWeights(taps: 4, count: [Int](repeating: 4, count: outputSize), indices: indices, weights: weights)
    }

    /// `value` (already integral) as an index clamped to `lower..<size`, without trapping on
    /// huge or non-finite values.
    static func clampIndex(_ value: Float, _ size: Int, lower: Int = 0) -> Int {
        if !(value >= Float(lower)) { return lower }
        if value >= Float(size - 1) { return size - 1 }
        return Int(value)
    }
}
