import Foundation

/// A deterministic random number generator for training: xoshiro256** (Blackman and Vigna),
/// its 256-bit state filled from the seed by SplitMix64.
///
/// The same seed always gives the same stream, on every platform and Swift version (nothing
/// here depends on the system generator). The state is `Codable`, so a training run that saves
/// its generator with a checkpoint continues the very same stream when it resumes: a decoded
/// generator's next value is the value the saved one would have produced next.
///
/// The encoded form is `{"algorithm": "xoshiro256**", "state": ["<16 hex digits>", ...4]}`;
/// the words are hexadecimal strings because JSON numbers do not hold 64 bits exactly in many
/// readers.
public struct SeededGenerator: RandomNumberGenerator, Codable, Sendable, Equatable {
    /// The name written into the encoded form and checked when decoding.
    public static let algorithm = "xoshiro256**"

    /// The four state words (never all zero).
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose stream is determined by `seed` alone.
    ///
    /// The state words are four consecutive SplitMix64 outputs starting from `seed`, the
    /// seeding the xoshiro authors recommend; SplitMix64 never yields four zero words in a row,
    /// so every seed (including 0) gives a valid state.
    public init(seed: UInt64) {
        var mixer = seed
        func splitMix() -> UInt64 {
            mixer &+= 0x9E37_79B9_7F4A_7C15
            var z = mixer
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    /// A uniform draw from `range`: `lowerBound + (upperBound - lowerBound) * u` with `u` one
    /// of the 2^53 evenly spaced values in `[0, 1)` (the top 53 bits of one `next()`).
    ///
    /// Every call consumes exactly one `next()`, also when the range is a single value; then the
    /// result is exactly `lowerBound`. The upper bound itself is never returned otherwise.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        let u = Double(next() >> 11) * 0x1p-53
        return range.lowerBound + (range.upperBound - range.lowerBound) * u
    }

    /// A uniform draw from `[0, 1)`, the same as `uniform(0...1)`.
    public mutating func unit() -> Double {
        uniform(0...1)
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    // MARK: Equatable and Codable (tuples get neither for free)

    /// Two generators are equal when their states are, that is when their streams are.
    public static func == (lhs: SeededGenerator, rhs: SeededGenerator) -> Bool {
        lhs.state == rhs.state
    }

    private enum CodingKeys: String, CodingKey {
        case algorithm, state
    }

    /// Restores a generator saved by `encode(to:)`; its stream continues where the saved one
    /// stopped. Fails (naming what to fix) on another algorithm, a word that is not 16 hex
    /// digits, a count other than four, or the all-zero state.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let algorithm = try container.decode(String.self, forKey: .algorithm)
        guard algorithm == Self.algorithm else {
            throw DecodingError.dataCorruptedError(
                forKey: .algorithm, in: container,
                debugDescription: "generator algorithm is '\(algorithm)'; this build restores only '\(Self.algorithm)' (start a new run or use the build that wrote the checkpoint)")
        }
        let words = try container.decode([String].self, forKey: .state)
        guard words.count == 4 else {
            throw DecodingError.dataCorruptedError(
                forKey: .state, in: container,
                debugDescription: "generator state has \(words.count) words; it needs exactly 4 hexadecimal words")
        }
        var values: [UInt64] = []
        for word in words {
            guard word.count == 16, let value = UInt64(word, radix: 16) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .state, in: container,
                    debugDescription: "generator state word '\(word)' is not 16 hexadecimal digits")
            }
            values.append(value)
        }
        guard values.contains(where: { $0 != 0 }) else {
            throw DecodingError.dataCorruptedError(
                forKey: .state, in: container,
                debugDescription: "generator state is all zero, which xoshiro256** cannot leave; the checkpoint is damaged (start from a seed instead)")
        }
        state = (values[0], values[1], values[2], values[3])
    }

    /// Saves the algorithm name and the four state words as 16-digit hexadecimal strings.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.algorithm, forKey: .algorithm)
        let words = [state.0, state.1, state.2, state.3].map { word -> String in
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        try container.encode(words, forKey: .state)
    }
}
