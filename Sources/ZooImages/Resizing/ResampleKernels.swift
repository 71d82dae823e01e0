import Foundation

/// The filter functions both resize paths sample, written with the same float widths and
/// expression order as the libraries so the weights come out identical.
enum ResampleKernels {
    // MARK: TensorFlow (float32, as in TensorFlow's sampling kernels)

    /// TensorFlow's Lanczos kernel of the given radius (float32 arithmetic).
    static func tfLanczos(_ value: Float, radius: Float) -> Float {
        let pi: Float = 3.14159265359
        let x = abs(value)
        if x > radius { return 0 }
        if x <= 1e-3 { return 1 }
        return radius * sinf(pi * x) * sinf(pi * x / radius) / (pi * pi * x * x)
    }

    /// TensorFlow's Gaussian kernel, radius 1.5 and sigma 0.5 (the exponent in double).
    static func tfGaussian(_ value: Float) -> Float {
        let radius: Float = 1.5
        let sigma: Float = radius / 3
        let x = abs(value)
        if x >= radius { return 0 }
        let s = Double(sigma)
        return Float(exp(Double(-x * x) / (2.0 * s * s)))
    }

    /// TensorFlow's Mitchell-Netravali cubic (B = C = 1/3), radius 2.
    static func tfMitchellCubic(_ value: Float) -> Float {
        let x = abs(value)
        if x >= 2 {
            return 0
        } else if x >= 1 {
            return (((-7.0 / 18.0 as Float) * x + 2) * x - 10.0 / 3.0 as Float) * x + 16.0 / 9.0 as Float
        } else {
            return (((7.0 / 6.0 as Float) * x - 2) * x) * x + 8.0 / 9.0 as Float
        }
    }

    /// The 1025-entry, two-coefficient table `resize_bicubic` reads Keys cubic (a = -0.5) from:
    /// entry `2i` is the weight at distance `i/1024`, entry `2i+1` the weight at `1 + i/1024`.
    static let tfBicubicTable: [Float] = {
        let size = 1 << 10
        let a = -0.5
        var table = [Float](repeating: 0, count: (size + 1) * 2)
        for i in 0...size {
            var x = Float(Double(i) * 1.0 / Double(size))
            let xd = Double(x)
            table[i * 2] = Float(((a + 2) * xd - (a + 3)) * xd * xd + 1)
            x += 1.0
            let x1 = Double(x)
            table[i * 2 + 1] = Float(((a * x1 - 5 * a) * x1 + 8 * a) * x1 - 4 * a)
        }
        return table
    }()

    // MARK: Pillow (double, as in Pillow's Resample.c filters)

    /// Pillow's filter function and support for `filter`; `nil` for nearest, which Pillow does
    /// not convolve.
    static func pillowFilter(_ filter: PillowInterpolation) -> (function: @Sendable (Double) -> Double, support: Double)? {
        switch filter {
        case .nearest: return nil
        case .box: return (pillowBox, 0.5)
        case .bilinear: return (pillowBilinear, 1.0)
        case .hamming: return (pillowHamming, 1.0)
        case .bicubic: return (pillowBicubic, 2.0)
        case .lanczos: return (pillowLanczos, 3.0)
        }
    }

    @Sendable static func pillowBox(_ x: Double) -> Double {
        (x > -0.5 && x <= 0.5) ? 1.0 : 0.0
    }

    @Sendable static func pillowBilinear(_ value: Double) -> Double {
        let x = abs(value)
        return x < 1.0 ? 1.0 - x : 0.0
    }

    @Sendable static func pillowHamming(_ value: Double) -> Double {
        var x = abs(value)
        if x == 0.0 { return 1.0 }
        if x >= 1.0 { return 0.0 }
        x = x * Double.pi
        // The window constants are float literals in Pillow's C source.
        return sin(x) / x * (Double(Float(0.54)) + Double(Float(0.46)) * cos(x))
    }

    @Sendable static func pillowBicubic(_ value: Double) -> Double {
        let a = -0.5
        let x = abs(value)
        if x < 1.0 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
        if x < 2.0 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0.0
    }

    static func pillowSinc(_ value: Double) -> Double {
        if value == 0.0 { return 1.0 }
        let x = value * Double.pi
        return sin(x) / x
    }

    @Sendable static func pillowLanczos(_ x: Double) -> Double {
        if -3.0 <= x && x < 3.0 { return pillowSinc(x) * pillowSinc(x / 3) }
        return 0.0
    }
}
