/// The arithmetic of TensorFlow's CPU resize kernels, writing `outHeight x outWidth` pixels to
/// `dst` (rows `dstRowStride` floats apart). Every index it reads is clamped into the source.
struct TensorFlowKernels<T: ResizeSample> {
    let source: SourceView<T>
    let dst: UnsafeMutablePointer<Float>
    let outHeight: Int
    let outWidth: Int
    let dstRowStride: Int

    /// `(in_size / out_size)` in float32, TensorFlow's `CalculateResizeScale` without align_corners.
    @inline(__always) static func scale(_ input: Int, _ output: Int) -> Float { Float(input) / Float(output) }

    // MARK: Bilinear

    /// `ResizeBilinear` with half-pixel centres: each source row is lerped along x once
    /// (`top_left + (top_right - top_left) * x_lerp`), then rows are lerped along y.
    func bilinear() {
        let c = source.channels
        let rowLength = outWidth * c
        let (yLower, yUpper, yLerp) = Self.bilinearTaps(input: source.height, output: outHeight)
        let (xLower, xUpper, xLerp) = Self.bilinearTaps(input: source.width, output: outWidth)
        // Pixel offsets, already multiplied by the channel count.
        let xLo = xLower.map { $0 * c }, xHi = xUpper.map { $0 * c }
        var cache = [Float](repeating: 0, count: 2 * rowLength)
        var cachedRow = [-1, -1]
        cache.withUnsafeMutableBufferPointer { cacheBuffer in
            xLo.withUnsafeBufferPointer { lo in
            xHi.withUnsafeBufferPointer { hi in
            xLerp.withUnsafeBufferPointer { lerp in
                guard let cacheBase = cacheBuffer.baseAddress else { return }
                func lerpedRow(_ r: Int) -> UnsafeMutablePointer<Float> {
                    let slot = r & 1
                    let out = cacheBase + slot * rowLength
                    if cachedRow[slot] != r {
                        cachedRow[slot] = r
                        Self.lerpRow(source.row(r), out, lo, hi, lerp, channels: c)
                    }
                    return out
                }
                for y in 0..<outHeight {
                    let top = UnsafePointer(lerpedRow(yLower[y]))
                    let bottom = UnsafePointer(lerpedRow(yUpper[y]))
                    let t = yLerp[y]
                    let out = dst + y * dstRowStride
                    for i in 0..<rowLength {
                        out[i] = top[i] + (bottom[i] - top[i]) * t
                    }
                }
            }
            }
            }
        }
    }

    static func lerpRow(_ row: UnsafePointer<T>, _ out: UnsafeMutablePointer<Float>, _ lo: UnsafeBufferPointer<Int>,
                        _ hi: UnsafeBufferPointer<Int>, _ lerp: UnsafeBufferPointer<Float>, channels c: Int) {
        let n = lo.count
        if c == 3 {
            // Pointer steps instead of `3 * x` indices: no overflow checks in the hot loop.
            var target = out
            for x in 0..<n {
                let left = row + lo[x], right = row + hi[x], t = lerp[x]
                let l0 = left[0].floatValue, l1 = left[1].floatValue, l2 = left[2].floatValue
                target[0] = l0 + (right[0].floatValue - l0) * t
                target[1] = l1 + (right[1].floatValue - l1) * t
                target[2] = l2 + (right[2].floatValue - l2) * t
                target += 3
            }
        } else {
            for x in 0..<n {
                let l = lo[x], h = hi[x], t = lerp[x]
                for ch in 0..<c {
                    let a = row[l + ch].floatValue
                    out[c * x + ch] = a + (row[h + ch].floatValue - a) * t
                }
            }
        }
    }

    /// `compute_interpolation_weights` with the half-pixel scaler.
    static func bilinearTaps(input: Int, output: Int) -> ([Int], [Int], [Float]) {
        let scale = Self.scale(input, output)
        var lower = [Int](repeating: 0, count: output)
        var upper = [Int](repeating: 0, count: output)
        var lerp = [Float](repeating: 0, count: output)
        for i in 0..<output {
            let position = (Float(i) + 0.5) * scale - 0.5
            let floorPosition = position.rounded(.down)
            lower[i] = max(ResizeWeights.clampIndex(floorPosition, input, lower: -1), 0)
            upper[i] = min(max(ResizeWeights.clampIndex(position.rounded(.up), input, lower: 0), 0), input - 1)
            lerp[i] = position - floorPosition
        }
        return (lower, upper, lerp)
    }

    // MARK: Nearest

    /// `ResizeNearestNeighbor` with half-pixel centres: `floor((out + 0.5) * scale)`, clamped.
    func nearest() {
        let c = source.channels
        let yScale = Self.scale(source.height, outHeight), xScale = Self.scale(source.width, outWidth)
        let xs = (0..<outWidth).map { ResizeWeights.clampIndex(((Float($0) + 0.5) * xScale).rounded(.down), source.width) * c }
        xs.withUnsafeBufferPointer { xOffsets in
            for y in 0..<outHeight {
                let row = source.row(ResizeWeights.clampIndex(((Float(y) + 0.5) * yScale).rounded(.down), source.height))
                let out = dst + y * dstRowStride
                for x in 0..<outWidth {
                    let p = xOffsets[x]
                    for ch in 0..<c { out[x * c + ch] = row[p + ch].floatValue }
                }
            }
        }
    }

    // MARK: Separable weighted passes (bicubic, scale_and_translate)

    /// Rows first (each output row a weighted sum of source rows over the whole source width,
    /// accumulated from zero in tap order), then columns: the order of `ScaleAndTranslate`'s
    /// GatherRows/GatherColumns and of `ResizeBicubic`'s cached column values.
    func verticalThenHorizontal(rows: ResizeWeights, columns: ResizeWeights) {
        let c = source.channels
        let inRow = source.width * c
        var intermediate = [Float](repeating: 0, count: inRow)
        let columnOffsets = columns.indices.map { $0 * c }
        intermediate.withUnsafeMutableBufferPointer { mid in
        rows.weights.withUnsafeBufferPointer { rowWeights in
        columns.weights.withUnsafeBufferPointer { colWeights in
        columnOffsets.withUnsafeBufferPointer { colOffsets in
        columns.count.withUnsafeBufferPointer { colCount in
            guard let m = mid.baseAddress else { return }
            for y in 0..<outHeight {
                for i in 0..<inRow { m[i] = 0 }
                let rowCount = rows.count[y]
                for k in 0..<rowCount {
                    let w = rowWeights[y * rows.taps + k]
                    let r = source.row(rows.indices[y * rows.taps + k])
                    for i in 0..<inRow { m[i] += r[i].floatValue * w }
                }
                let out = dst + y * dstRowStride
                Self.horizontal(UnsafePointer(m), out, colOffsets, colWeights, colCount, taps: columns.taps, channels: c)
            }
        }
        }
        }
        }
        }
    }

    static func horizontal(_ m: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ offsets: UnsafeBufferPointer<Int>,
                           _ weights: UnsafeBufferPointer<Float>, _ count: UnsafeBufferPointer<Int>, taps: Int, channels c: Int) {
        let n = count.count
        if c == 3 {
            for x in 0..<n {
                var s0: Float = 0, s1: Float = 0, s2: Float = 0
                let base = x * taps
                for k in 0..<count[x] {
                    let w = weights[base + k], p = offsets[base + k]
                    s0 += m[p] * w
                    s1 += m[p + 1] * w
                    s2 += m[p + 2] * w
                }
                out[3 * x] = s0
                out[3 * x + 1] = s1
                out[3 * x + 2] = s2
            }
        } else {
            for x in 0..<n {
                let base = x * taps
                for ch in 0..<c {
                    var s: Float = 0
                    for k in 0..<count[x] { s += m[offsets[base + k] + ch] * weights[base + k] }
                    out[c * x + ch] = s
                }
            }
        }
    }

    /// `ScaleAndTranslate` with translation 0 and antialias off.
    func scaleAndTranslate(radius: Float, kernel: (Float) -> Float) {
        verticalThenHorizontal(
            rows: ResizeWeights.scaleAndTranslate(inputSize: source.height, outputSize: outHeight, radius: radius, kernel: kernel),
            columns: ResizeWeights.scaleAndTranslate(inputSize: source.width, outputSize: outWidth, radius: radius, kernel: kernel))
    }

    // MARK: Area

    /// `ResizeArea`: per source row a horizontal sum (first and last covered pixels scaled by
    /// their coverage), then rows summed with their vertical coverage, times `1 / (hs * ws)`.
    func area() {
        let c = source.channels
        let heightScale = Self.scale(source.height, outHeight), widthScale = Self.scale(source.width, outWidth)
        let rowLength = outWidth * c
        var starts = [Int](repeating: 0, count: outWidth), ends = [Int](repeating: 0, count: outWidth)
        var startScales = [Float](repeating: 0, count: outWidth), endScales = [Float](repeating: 0, count: outWidth)
        for x in 0..<outWidth {
            let t0 = Float(x) * widthScale, t1 = Float(x + 1) * widthScale
            let start = ResizeWeights.clampIndex(t0.rounded(.down), Int.max / 4, lower: -1)
            let end = ResizeWeights.clampIndex(t1.rounded(.up), Int.max / 4, lower: -1)
            starts[x] = start
            ends[x] = max(end, start + 1)
            startScales[x] = Float(start + 1) > t1 ? widthScale : Float(start + 1) - t0
            endScales[x] = Float(end - 1) < t0 ? widthScale : t1 - Float(end - 1)
        }
        let scale = Float(1.0 / Double(heightScale * widthScale))
        var horizontalRows = [Float](repeating: 0, count: source.height * rowLength)
        var computed = [Bool](repeating: false, count: source.height)
        var sum = [Float](repeating: 0, count: rowLength)
        let width = source.width
        @inline(__always) func bound(_ i: Int, _ limit: Int) -> Int { min(limit - 1, max(0, i)) }
        horizontalRows.withUnsafeMutableBufferPointer { rowsBuffer in
        sum.withUnsafeMutableBufferPointer { sumBuffer in
            guard let rowsBase = rowsBuffer.baseAddress, let s = sumBuffer.baseAddress else { return }
            for y in 0..<outHeight {
                let inY = Float(y) * heightScale, inY1 = Float(y + 1) * heightScale
                let yStart = ResizeWeights.clampIndex(inY.rounded(.down), Int.max / 4, lower: -1)
                let yEnd = ResizeWeights.clampIndex(inY1.rounded(.up), Int.max / 4, lower: -1)
                for i in 0..<rowLength { s[i] = 0 }
                var i = yStart
                while i < yEnd {
                    let scaleY: Float
                    if Float(i) < inY {
                        scaleY = Float(i + 1) > inY1 ? heightScale : Float(i + 1) - inY
                    } else {
                        scaleY = Float(i + 1) > inY1 ? inY1 - Float(i) : 1.0
                    }
                    let r = bound(i, source.height)
                    let h = rowsBase + r * rowLength
                    if !computed[r] {
                        computed[r] = true
                        let row = source.row(r)
                        for x in 0..<outWidth {
                            let start = starts[x], end = ends[x]
                            let p0 = bound(start, width) * c
                            for ch in 0..<c {
                                var v = row[p0 + ch].floatValue * startScales[x]
                                if start + 1 != end {
                                    var xi = start + 1
                                    while xi < end - 1 {
                                        v += row[bound(xi, width) * c + ch].floatValue
                                        xi += 1
                                    }
                                    v += row[bound(end - 1, width) * c + ch].floatValue * endScales[x]
                                }
                                h[x * c + ch] = v
                            }
                        }
                    }
                    for j in 0..<rowLength { s[j] += h[j] * scaleY }
                    i += 1
                }
                let out = dst + y * dstRowStride
                for j in 0..<rowLength { out[j] = s[j] * scale }
            }
        }
        }
    }
}
