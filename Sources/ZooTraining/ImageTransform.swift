import Foundation

/// A projective transform of image coordinates in Keras's 8-parameter form, and the warp that
/// applies it (the equivalent of `keras.ops.image.affine_transform`, JAX backend).
///
/// The parameters `[a0, a1, a2, b0, b1, b2, c0, c1]` map each *output* pixel `(x, y)` (column,
/// row, in pixels, the pixel centre at integer coordinates) to the *input* point it samples:
///
///     k  = c0 * x + c1 * y + 1
///     x' = (a0 * x + a1 * y + a2) / k
///     y' = (b0 * x + b1 * y + b2) / k
///
/// so the matrix is the inverse of the motion the image content makes (a translation by `+dx`
/// has `a2 = -dx`). Keras's JAX backend ignores `c0`/`c1` (it only supports affine maps); here
/// they divide as in TensorFlow's `ImageProjectiveTransformV3`, which agrees whenever they are 0,
/// as they are for every layer in `Augmentation`.
///
/// Sampling follows `jax.scipy.ndimage.map_coordinates`, which Keras calls:
/// - `bilinear`: the four taps around `(x', y')` (floor and floor + 1 on each axis), weighted by
///   the fractional parts; in `constant` mode each tap outside the image contributes the fill
///   value, so the result blends smoothly into the fill at the border.
/// - `nearest`: the one tap at `(x', y')` rounded half away from zero.
/// - Tap indices outside the image are mapped by the fill mode: `reflect` `(d c b a | a b c d |
///   d c b a)`, `wrap` `(a b c d | a b c d | a b c d)`, `nearest` `(a a a a | a b c d | d d d d)`,
///   `constant` `(k k k k | a b c d | k k k k)`.
///
/// A sample point that is not finite (a projective map with `k == 0`) yields the fill value in
/// every mode.
public struct ImageTransform: Codable, Sendable, Equatable {
    /// How points outside the input are filled (Keras `fill_mode`).
    public enum FillMode: String, Codable, Sendable, CaseIterable {
        /// Reflect about the outer edge of the last pixel, `(d c b a | a b c d | d c b a)`;
        /// the Keras layers' default.
        case reflect
        /// Wrap around to the opposite edge, `(a b c d | a b c d | a b c d)`.
        case wrap
        /// Fill with `Sampling.fillValue`, `(k k k k | a b c d | k k k k)`.
        case constant
        /// Repeat the edge pixel, `(a a a a | a b c d | d d d d)`.
        case nearest
    }

    /// How values between pixel centres are computed (Keras `interpolation`).
    public enum Interpolation: String, Codable, Sendable, CaseIterable {
        /// Bilinear blend of the four neighbouring pixels; the Keras layers' default.
        case bilinear
        /// The nearest pixel (coordinates rounded half away from zero).
        case nearest
    }

    /// The fill mode, interpolation and constant fill value of one warp.
    public struct Sampling: Codable, Sendable, Equatable {
        /// How points outside the input are filled.
        public var fillMode: FillMode
        /// How values between pixel centres are computed.
        public var interpolation: Interpolation
        /// The value of points outside the input when `fillMode` is `.constant` (Keras
        /// `fill_value`, default 0).
        public var fillValue: Double

        /// Sampling with Keras's layer defaults unless given: reflect, bilinear, fill value 0.
        public init(fillMode: FillMode = .reflect, interpolation: Interpolation = .bilinear, fillValue: Double = 0) {
            self.fillMode = fillMode
            self.interpolation = interpolation
            self.fillValue = fillValue
        }

        /// The defaults of Keras's RandomTranslation, RandomRotation and RandomZoom.
        public static let keras = Sampling()
    }

    /// Output-to-input x coefficients: `x' = (a0 x + a1 y + a2) / k`.
    public var a0: Double, a1: Double, a2: Double
    /// Output-to-input y coefficients: `y' = (b0 x + b1 y + b2) / k`.
    public var b0: Double, b1: Double, b2: Double
    /// Projective coefficients: `k = c0 x + c1 y + 1` (0 for affine transforms).
    public var c0: Double, c1: Double

    /// A transform from its eight coefficients (see the type's documentation).
    public init(a0: Double, a1: Double, a2: Double, b0: Double, b1: Double, b2: Double, c0: Double = 0, c1: Double = 0) {
        self.a0 = a0
        self.a1 = a1
        self.a2 = a2
        self.b0 = b0
        self.b1 = b1
        self.b2 = b2
        self.c0 = c0
        self.c1 = c1
    }

    /// A transform from Keras's flat `[a0, a1, a2, b0, b1, b2, c0, c1]`; `nil` unless there are
    /// exactly eight values.
    public init?(_ parameters: [Double]) {
        guard parameters.count == 8 else { return nil }
        self.init(a0: parameters[0], a1: parameters[1], a2: parameters[2],
                  b0: parameters[3], b1: parameters[4], b2: parameters[5],
                  c0: parameters[6], c1: parameters[7])
    }

    /// The coefficients in Keras's order `[a0, a1, a2, b0, b1, b2, c0, c1]`.
    public var parameters: [Double] { [a0, a1, a2, b0, b1, b2, c0, c1] }

    /// The transform that leaves the image unchanged.
    public static let identity = ImageTransform(a0: 1, a1: 0, a2: 0, b0: 0, b1: 1, b2: 0)

    /// Moves the content `x` pixels right and `y` pixels down (RandomTranslation's matrix
    /// `[1, 0, -x, 0, 1, -y, 0, 0]`).
    public static func translation(x: Double, y: Double) -> ImageTransform {
        ImageTransform(a0: 1, a1: 0, a2: -x, b0: 0, b1: 1, b2: -y)
    }

    /// Rotates about the image centre `((width - 1) / 2, (height - 1) / 2)` (RandomRotation's
    /// matrix): `a0 = cos θ, a1 = -sin θ, a2 = cx - cx cos θ + cy sin θ, b0 = sin θ, b1 = cos θ,
    /// b2 = cy - cx sin θ - cy cos θ`. In the usual y-down image view a positive angle turns the
    /// content counter-clockwise.
    public static func rotation(radians angle: Double, height: Int, width: Int) -> ImageTransform {
        let cx = 0.5 * Double(width - 1)
        let cy = 0.5 * Double(height - 1)
        let cosine = cos(angle)
        let sine = sin(angle)
        return ImageTransform(a0: cosine, a1: -sine, a2: cx - cx * cosine + cy * sine,
                              b0: sine, b1: cosine, b2: cy - cx * sine - cy * cosine)
    }

    /// Scales the sampled area by `x` horizontally and `y` vertically about the image centre
    /// (RandomZoom's matrix `[x, 0, (width - 1) / 2 * (1 - x), 0, y, (height - 1) / 2 * (1 - y),
    /// 0, 0]`): factors above 1 zoom out (the content shrinks), below 1 zoom in.
    public static func zoom(x: Double, y: Double, height: Int, width: Int) -> ImageTransform {
        ImageTransform(a0: x, a1: 0, a2: 0.5 * Double(width - 1) * (1 - x),
                       b0: 0, b1: y, b2: 0.5 * Double(height - 1) * (1 - y))
    }

    /// The input point that output pixel `(x, y)` samples.
    public func sourcePoint(x: Double, y: Double) -> (x: Double, y: Double) {
        let k = c0 * x + c1 * y + 1
        return ((a0 * x + a1 * y + a2) / k, (b0 * x + b1 * y + b2) / k)
    }

    /// Warps one HWC image into `output` (same size, must not overlap `input`).
    ///
    /// Both buffers hold `height * width * channels` floats, channels last. The caller checks
    /// the sizes; a buffer shorter than that is left untouched.
    public func warp(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>,
                     height: Int, width: Int, channels: Int, sampling: Sampling) {
        let count = height * width * channels
        guard height > 0, width > 0, channels > 0, input.count >= count, output.count >= count,
              let source = input.baseAddress, let target = output.baseAddress else { return }
        let fill = Float(sampling.fillValue)
        let mode = sampling.fillMode
        let constant = mode == .constant
        for y in 0..<height {
            for x in 0..<width {
                let point = sourcePoint(x: Double(x), y: Double(y))
                let out = target + (y * width + x) * channels
                guard point.x.isFinite, point.y.isFinite else {
                    for c in 0..<channels { out[c] = fill }
                    continue
                }
                switch sampling.interpolation {
                case .nearest:
                    let ix = Self.integer(point.x.rounded(.toNearestOrAwayFromZero))
                    let iy = Self.integer(point.y.rounded(.toNearestOrAwayFromZero))
                    if constant, !(0..<width).contains(ix) || !(0..<height).contains(iy) {
                        for c in 0..<channels { out[c] = fill }
                    } else {
                        let tap = source + (Self.fix(iy, height, mode) * width + Self.fix(ix, width, mode)) * channels
                        for c in 0..<channels { out[c] = tap[c] }
                    }
                case .bilinear:
                    let fx = point.x.rounded(.down)
                    let fy = point.y.rounded(.down)
                    let wx1 = Float(point.x - fx), wy1 = Float(point.y - fy)
                    let wx0 = 1 - wx1, wy0 = 1 - wy1
                    let x0 = Self.integer(fx), y0 = Self.integer(fy)
                    let x1 = x0 + 1, y1 = y0 + 1
                    // Taps in map_coordinates' order: (y0, x0), (y0, x1), (y1, x0), (y1, x1).
                    let rowsValid = ((0..<height).contains(y0), (0..<height).contains(y1))
                    let columnsValid = ((0..<width).contains(x0), (0..<width).contains(x1))
                    let r0 = Self.fix(y0, height, mode) * width, r1 = Self.fix(y1, height, mode) * width
                    let q0 = Self.fix(x0, width, mode), q1 = Self.fix(x1, width, mode)
                    for c in 0..<channels { out[c] = 0 }
                    Self.accumulate(out, source + (r0 + q0) * channels, channels, wy0 * wx0,
                                    outside: constant && !(rowsValid.0 && columnsValid.0), fill: fill)
                    Self.accumulate(out, source + (r0 + q1) * channels, channels, wy0 * wx1,
                                    outside: constant && !(rowsValid.0 && columnsValid.1), fill: fill)
                    Self.accumulate(out, source + (r1 + q0) * channels, channels, wy1 * wx0,
                                    outside: constant && !(rowsValid.1 && columnsValid.0), fill: fill)
                    Self.accumulate(out, source + (r1 + q1) * channels, channels, wy1 * wx1,
                                    outside: constant && !(rowsValid.1 && columnsValid.1), fill: fill)
                }
            }
        }
    }

    /// Warps one HWC image given as an array; returns the warped copy, or the input unchanged
    /// when its count is not `height * width * channels`.
    public func warp(_ image: [Float], height: Int, width: Int, channels: Int, sampling: Sampling) -> [Float] {
        guard height > 0, width > 0, channels > 0, image.count == height * width * channels else { return image }
        var output = [Float](repeating: 0, count: image.count)
        image.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { target in
                warp(input, into: target, height: height, width: width, channels: channels, sampling: sampling)
            }
        }
        return output
    }

    /// Adds `weight` times one tap (or times the fill value for an outside tap in constant
    /// mode) to every channel of `out`.
    @inline(__always)
    private static func accumulate(_ out: UnsafeMutablePointer<Float>, _ tap: UnsafePointer<Float>, _ channels: Int,
                                   _ weight: Float, outside: Bool, fill: Float) {
        if outside {
            for c in 0..<channels { out[c] += weight * fill }
        } else {
            for c in 0..<channels { out[c] += weight * tap[c] }
        }
    }

    /// A whole-valued finite coordinate as an `Int`, clamped far outside any image so the
    /// conversion cannot trap (every fill mode maps such indices like any other outside one).
    private static func integer(_ value: Double) -> Int {
        Int(min(max(value, -0x1p40), 0x1p40))
    }

    /// Maps an index into `0..<size` by the fill mode (`constant` clamps; its outside taps are
    /// replaced by the fill value before this matters).
    private static func fix(_ index: Int, _ size: Int, _ mode: FillMode) -> Int {
        if (0..<size).contains(index) { return index }
        switch mode {
        case .reflect:
            let period = 2 * size
            var m = index % period
            if m < 0 { m += period }
            return m < size ? m : period - 1 - m
        case .wrap:
            var m = index % size
            if m < 0 { m += size }
            return m
        case .nearest, .constant:
            return min(max(index, 0), size - 1)
        }
    }
}
