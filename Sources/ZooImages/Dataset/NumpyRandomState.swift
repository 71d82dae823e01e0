/// NumPy's legacy `np.random.RandomState(seed)`: the MT19937 generator seeded as NumPy seeds an
/// integer, and the `shuffle` Keras uses to order a dataset before its validation split
/// (`index_directory` shuffles the file list with `RandomState(seed).shuffle`). Reproducing it
/// is what makes `subset="validation"` pick the same files as Keras for the same seed.
public struct NumpyRandomState: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    /// `np.random.RandomState(seed)` for a seed in `0...2^32-1` (NumPy's `init_genrand`).
    public init(seed: UInt32) {
        state[0] = seed
        for position in 1..<624 {
            let previous = state[position - 1]
            state[position] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(position)
        }
    }

    /// The next 32 random bits (MT19937's `genrand_int32`).
    public mutating func nextUInt32() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// A uniform integer in `0...max` by NumPy's masked rejection (`random_interval`).
    public mutating func interval(_ max: UInt64) -> UInt64 {
        if max == 0 { return 0 }
        var mask = max
        for shift in [1, 2, 4, 8, 16, 32] as [UInt64] { mask |= mask >> shift }
        if max <= 0xFFFF_FFFF {
            while true {
                let value = UInt64(nextUInt32()) & mask
                if value <= max { return value }
            }
        }
        while true {
            let value = ((UInt64(nextUInt32()) << 32) | UInt64(nextUInt32())) & mask
            if value <= max { return value }
        }
    }

    /// Shuffles `elements` in place exactly as `RandomState.shuffle` shuffles a Python list.
    public mutating func shuffle<T>(_ elements: inout [T]) {
        guard elements.count > 1 else { return }
        for i in stride(from: elements.count - 1, through: 1, by: -1) {
            let j = Int(interval(UInt64(i)))
            elements.swapAt(i, j)
        }
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
            var next = state[(i + 397) % 624] ^ (y >> 1)
            if y & 1 != 0 { next ^= 0x9908_B0DF }
            state[i] = next
        }
        index = 0
    }
}
