import Testing
@testable import ZooImages

@Suite struct NumpyRandomStateTests {
    @Test func matchesMT19937() {
        var random = NumpyRandomState(seed: 5489)
        #expect((0..<3).map { _ in random.nextUInt32() } == [3_499_211_612, 581_869_302, 3_890_346_734])
    }

    /// `x = list(range(n)); np.random.RandomState(seed).shuffle(x)` (NumPy 2.4).
    @Test func shufflesAsNumPy() {
        for (seed, expected) in [(UInt32(0), [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]), (1337, [6, 3, 0, 4, 5, 2, 1, 9, 8, 7]),
                                 (4_294_967_295, [6, 9, 5, 1, 8, 0, 7, 4, 2, 3])] {
            var values = Array(0..<10)
            var random = NumpyRandomState(seed: seed)
            random.shuffle(&values)
            #expect(values == expected, "seed \(seed)")
        }
        var values = Array(0..<1000)
        var random = NumpyRandomState(seed: 42)
        random.shuffle(&values)
        #expect(Array(values.prefix(8)) == [521, 737, 740, 660, 411, 678, 626, 513])
        #expect(Array(values.suffix(4)) == [270, 860, 435, 102])
    }
}
