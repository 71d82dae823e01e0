import Foundation

/// Gradient clipping as Keras's `BaseOptimizer._clip_gradients` does it, before weight decay and
/// the optimiser's update. At most one of the three limits may be set (Keras raises otherwise;
/// ``validate()`` throws).
///
/// All arithmetic is float32 like Keras's (Python floats are rounded to float32 where they meet
/// a tensor). The one deliberate difference is how sums of squares are accumulated: XLA's
/// float32 reduction order is an implementation detail, so here each sum is accumulated in
/// `Double` and rounded to float32 once, which is within rounding of whatever order XLA picks.
public struct GradientClipping: Codable, Sendable, Equatable {
    /// Keras `clipnorm`: each variable's gradient is rescaled on its own,
    /// `g = (g * c) / max(norm(g), c)` with `c = Float(clipNorm)`, where
    /// `norm(g) = sqrt(Float(sum(g * g)))` (0 when the sum is 0). Keras applies this to every
    /// gradient, so a gradient already inside the limit becomes `(g * c) / c`, which float32
    /// can round by one ulp; that is reproduced.
    public var clipNorm: Double?

    /// Keras `global_clipnorm`: all gradients are scaled together,
    /// `n = sqrt(sum over variables of Float(sum(g * g)))`,
    /// `scale = Float(c) * min(1 / n, Float(1 / c))` (`1 / c` is a Python division in double),
    /// `scale += n - n` (NaN when the norm is not finite), `g = g * scale`. As in Keras, the
    /// scale for an in-range norm is `Float(c) * Float(1 / c)`, which need not be exactly 1.
    public var globalClipNorm: Double?

    /// Keras `clipvalue`: every element is clamped, `g = min(max(g, -v), v)` with
    /// `v = Float(clipValue)`.
    public var clipValue: Double?

    /// No clipping unless one limit is given.
    public init(clipNorm: Double? = nil, globalClipNorm: Double? = nil, clipValue: Double? = nil) {
        self.clipNorm = clipNorm
        self.globalClipNorm = globalClipNorm
        self.clipValue = clipValue
    }

    /// True when no limit is set.
    public var isNone: Bool { clipNorm == nil && globalClipNorm == nil && clipValue == nil }

    /// True when ``apply(to:)`` would change gradients (a limit is set and, as Keras requires
    /// for it to take effect, > 0).
    public var isActive: Bool {
        (clipNorm ?? 0) > 0 || (globalClipNorm ?? 0) > 0 || (clipValue ?? 0) > 0
    }

    /// Throws when more than one limit is set (Keras: "Only one of `clipnorm`, `clipvalue` and
    /// `global_clipnorm` can be set") or a limit is not a finite number > 0. (Keras silently
    /// ignores limits <= 0; here they are reported so a typo does not disable clipping.)
    public func validate() throws {
        var set: [String] = []
        if let clipNorm {
            set.append("clipNorm")
            try OptimizerError.require(clipNorm > 0 && clipNorm.isFinite, "clipNorm", clipNorm, "must be > 0 and finite, or nil for no clipping")
        }
        if let globalClipNorm {
            set.append("globalClipNorm")
            try OptimizerError.require(globalClipNorm > 0 && globalClipNorm.isFinite, "globalClipNorm", globalClipNorm, "must be > 0 and finite, or nil for no clipping")
        }
        if let clipValue {
            set.append("clipValue")
            try OptimizerError.require(clipValue > 0 && clipValue.isFinite, "clipValue", clipValue, "must be > 0 and finite, or nil for no clipping")
        }
        if set.count > 1 { throw OptimizerError.conflictingClipping(set) }
    }

    /// Clips `gradients` in place (`gradients[i]` is the flat gradient of variable i) with
    /// Keras's formulas, documented on each property. Like Keras, the first limit that is set
    /// and > 0 wins, in the order `clipNorm`, `globalClipNorm`, `clipValue`; call
    /// ``validate()`` to reject configurations that set several.
    public func apply(to gradients: inout [[Float]]) {
        let perVariable = transforms(for: gradients)
        for i in gradients.indices {
            let transform = perVariable[i]
            if transform.isIdentity { continue }
            gradients[i].withUnsafeMutableBufferPointer { g in
                var j = 0
                while j + 8 <= g.count {
                    let pointer = UnsafeMutableRawPointer(g.baseAddress.unsafelyUnwrapped + j)
                    let lanes = pointer.loadUnaligned(as: SIMD8<Float>.self)
                    pointer.storeBytes(of: transform.apply(lanes), as: SIMD8<Float>.self)
                    j += 8
                }
                while j < g.count {
                    g[j] = transform.apply(g[j])
                    j += 1
                }
            }
        }
    }

    /// The elementwise clipping of one variable's gradient, computed from all gradients (the
    /// norms) so the optimiser can apply it while it updates, without copying the gradients.
    struct Transform: Sendable {
        enum Mode: Sendable { case identity, normClip, scale, clamp }
        var mode: Mode
        /// normClip: the clip norm `c`; scale: the scale; clamp: the limit `v`.
        var a: Float
        /// normClip: `max(norm, c)`.
        var b: Float

        static let identity = Transform(mode: .identity, a: 1, b: 1)
        var isIdentity: Bool { mode == .identity }

        /// `(g * c) / max(norm, c)`, `g * scale`, or `min(max(g, -v), v)` per element.
        @inline(__always)
        func apply(_ g: Float) -> Float {
            switch mode {
            case .identity: return g
            case .normClip: return (g * a) / b
            case .scale: return g * a
            case .clamp:
                let low = g < -a ? -a : g
                return low > a ? a : low
            }
        }

        /// ``apply(_:)-(Float)`` on eight lanes (identical per-lane IEEE results).
        @inline(__always)
        func apply(_ g: SIMD8<Float>) -> SIMD8<Float> {
            switch mode {
            case .identity: return g
            case .normClip: return (g * SIMD8(repeating: a)) / SIMD8(repeating: b)
            case .scale: return g * SIMD8(repeating: a)
            case .clamp:
                let limit = SIMD8<Float>(repeating: a)
                let low = g.replacing(with: -limit, where: g .< -limit)
                return low.replacing(with: limit, where: low .> limit)
            }
        }
    }

    /// One ``Transform`` per gradient (Keras's precedence: clipNorm, globalClipNorm, clipValue).
    func transforms(for gradients: [[Float]]) -> [Transform] {
        if let clipNorm, clipNorm > 0 {
            let c = Float(clipNorm)
            return gradients.map { gradient in
                let sum = Self.float32SumOfSquares(gradient)
                // `l2norm = where(l2sum > 0, sqrt(l2sum), l2sum)`; `maximum` propagates NaN.
                let norm = sum > 0 ? sum.squareRoot() : sum
                let divisor = norm.isNaN ? norm : (norm > c ? norm : c)
                return Transform(mode: .normClip, a: c, b: divisor)
            }
        } else if let globalClipNorm, globalClipNorm > 0 {
            // `global_norm`: sqrt(sum(stack([sum(square(g)) for g]))), all float32.
            var total = 0.0
            for gradient in gradients { total += Double(Self.float32SumOfSquares(gradient)) }
            let useNorm = Float(total).squareRoot()
            let c = Float(globalClipNorm)
            let inverseClip = Float(1 / globalClipNorm)
            let inverseNorm = 1 / useNorm
            let smaller = inverseNorm.isNaN ? inverseNorm : (inverseNorm < inverseClip ? inverseNorm : inverseClip)
            let scale = c * smaller + (useNorm - useNorm)
            return Array(repeating: Transform(mode: .scale, a: scale, b: 1), count: gradients.count)
        } else if let clipValue, clipValue > 0 {
            return Array(repeating: Transform(mode: .clamp, a: Float(clipValue), b: 1), count: gradients.count)
        }
        return Array(repeating: .identity, count: gradients.count)
    }

    /// `sum(g * g)` accumulated in double (eight independent partial sums, so it pipelines)
    /// and rounded to float32 once.
    static func float32SumOfSquares(_ values: [Float]) -> Float {
        values.withUnsafeBufferPointer { g in
            var partial = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
            let count = g.count
            var j = 0
            while j + 8 <= count {
                let a0 = Double(g[j]), a1 = Double(g[j + 1]), a2 = Double(g[j + 2]), a3 = Double(g[j + 3])
                let a4 = Double(g[j + 4]), a5 = Double(g[j + 5]), a6 = Double(g[j + 6]), a7 = Double(g[j + 7])
                partial.0 += a0 * a0; partial.1 += a1 * a1; partial.2 += a2 * a2; partial.3 += a3 * a3
                partial.4 += a4 * a4; partial.5 += a5 * a5; partial.6 += a6 * a6; partial.7 += a7 * a7
                j += 8
            }
            var tail = 0.0
            while j < count {
                let a = Double(g[j])
                tail += a * a
                j += 1
            }
            let sum = ((partial.0 + partial.1) + (partial.2 + partial.3))
                + ((partial.4 + partial.5) + (partial.6 + partial.7)) + tail
            return Float(sum)
        }
    }
}
