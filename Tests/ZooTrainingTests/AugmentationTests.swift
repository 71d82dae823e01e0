import Foundation
import Testing
@testable import ZooTraining

/// Inputs, Keras reference outputs and helpers of the augmentation tests.
enum AugmentationFixture {
    /// One Keras reference output: `spec` parsed to one step, the per-image values that step
    /// would draw, and what Keras 3 produced for `input()` (see make_augmentation_expectations.py).
    struct KerasCase: Sendable, CustomTestStringConvertible {
        let spec: String
        let values: [[Double]]
        let expected: [Float]
        var testDescription: String { spec }
    }

    /// The shape of the Keras cases' batch.
    static let shape = (2, 5, 7, 3)

    /// The 2x5x7x3 batch of the Keras cases: v[b, y, x, c] = ((37 b + 11 y + 5 x + 3 c) mod 17) / 16.
    static func input() -> [Float] {
        var values: [Float] = []
        for b in 0..<2 { for y in 0..<5 { for x in 0..<7 { for c in 0..<3 {
            values.append(Float((37 * b + 11 * y + 5 * x + 3 * c) % 17) / 16)
        } } } }
        return values
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    /// A batch with a smooth pattern, for the determinism tests.
    static func pattern(_ shape: (Int, Int, Int, Int)) -> [Float] {
        let count = shape.0 * shape.1 * shape.2 * shape.3
        return (0..<count).map { i in Float(sin(Double(i) * 0.37) * 0.5 + 0.5) }
    }

    /// `step` with every range narrowed to the single value in `values` (so `draw` returns them).
    static func pinned(_ step: Augmentation.Step, _ values: [Double]) -> Augmentation.Step {
        switch step {
        case .flip: return step
        case .translate(_, _, let sampling):
            return .translate(height: values[0]...values[0], width: values[1]...values[1], sampling: sampling)
        case .rotate(_, let sampling):
            return .rotate(values[0]...values[0], sampling: sampling)
        case .zoom(_, let width, let sampling):
            return .zoom(height: values[0]...values[0], width: width == nil ? nil : values[1]...values[1], sampling: sampling)
        case .contrast(_, let clip):
            return .contrast(values[0]...values[0], clip: clip)
        }
    }
}

typealias Fixture = AugmentationFixture

@Suite struct AugmentationKerasParityTests {
    /// Each layer's transform for fixed values, against Keras 3 (JAX backend), within 1e-5;
    /// every fill mode with both interpolations, and on one and on two threads.
    @Test(arguments: Fixture.kerasCases)
    func matchesKeras(_ c: Fixture.KerasCase) throws {
        let augmentation = try Augmentation.parse(c.spec)
        let step = try #require(augmentation.steps.first)
        let operations = try c.values.map { values throws(AugmentationError) in
            [try step.operation(for: values, height: 5, width: 7)]
        }
        for threads in [1, 2] {
            var batch = Fixture.input()
            try Augmentation.apply(operations, to: &batch, shape: Fixture.shape, threads: threads)
            #expect(Fixture.maxDifference(batch, c.expected) < 1e-5, "\(c.spec) on \(threads) thread(s): max difference \(Fixture.maxDifference(batch, c.expected))")
        }
    }

    /// The random path: a step whose ranges hold one value draws exactly it, so `apply` with any
    /// generator reproduces Keras's first image.
    @Test(arguments: Fixture.kerasCases)
    func randomPathWithOneValueRanges(_ c: Fixture.KerasCase) throws {
        let step = try #require(try Augmentation.parse(c.spec).steps.first)
        if case .flip = step { return }
        let augmentation = try Augmentation([Fixture.pinned(step, c.values[0])])
        var batch = Fixture.input()
        var generator = SeededGenerator(seed: 7)
        try augmentation.apply(to: &batch, shape: Fixture.shape, generator: &generator)
        let imageSize = 5 * 7 * 3
        #expect(Fixture.maxDifference(Array(batch[0..<imageSize]), Array(c.expected[0..<imageSize])) < 1e-5, "\(c.spec)")
    }

    /// Keras's matrices, written out.
    @Test func transformFormulas() {
        #expect(ImageTransform.translation(x: 2, y: -3).parameters == [1, 0, -2, 0, 1, 3, 0, 0])
        let zoom = ImageTransform.zoom(x: 1.5, y: 0.5, height: 5, width: 7)
        let expectedZoom: [Double] = [1.5, 0, -1.5, 0, 0.5, 1, 0, 0]  // offsets (w-1)/2 (1-zx), (h-1)/2 (1-zy)
        #expect(zoom.parameters == expectedZoom)
        // A quarter turn about the centre (3, 2) of a 5x7 image.
        let quarter = ImageTransform.rotation(radians: .pi / 2, height: 5, width: 7)
        let p = quarter.sourcePoint(x: 3, y: 2)
        #expect(abs(p.x - 3) < 1e-12 && abs(p.y - 2) < 1e-12)
        let q = quarter.sourcePoint(x: 4, y: 2)
        #expect(abs(q.x - 3) < 1e-12 && abs(q.y - 3) < 1e-12)
        #expect(ImageTransform(quarter.parameters) == quarter)
        #expect(ImageTransform([1, 2, 3]) == nil)
        // Identity warp, any fill mode: unchanged.
        let image = Fixture.pattern((1, 4, 6, 2))
        for mode in ImageTransform.FillMode.allCases {
            for interpolation in ImageTransform.Interpolation.allCases {
                let out = ImageTransform.identity.warp(image, height: 4, width: 6, channels: 2,
                                                       sampling: .init(fillMode: mode, interpolation: interpolation))
                #expect(out == image, "\(mode) \(interpolation)")
            }
        }
    }

    /// Fill modes by hand on a 1x4 row shifted far to the right (x' = x - 6).
    @Test func fillModesOnARow() {
        let row: [Float] = [1, 2, 3, 4]
        let shift = ImageTransform.translation(x: 6, y: 0)
        func run(_ mode: ImageTransform.FillMode) -> [Float] {
            shift.warp(row, height: 1, width: 4, channels: 1,
                       sampling: .init(fillMode: mode, interpolation: .nearest, fillValue: 9))
        }
        // x' = -6, -5, -4, -3.
        #expect(run(.reflect) == [3, 4, 4, 3])      // (d c b a | a b c d | d c b a)
        #expect(run(.wrap) == [3, 4, 1, 2])
        #expect(run(.nearest) == [1, 1, 1, 1])
        #expect(run(.constant) == [9, 9, 9, 9])
    }
}

@Suite struct SeededGeneratorTests {
    /// The stream matches an independent Python rendering of SplitMix64 + xoshiro256**.
    @Test func referenceValues() {
        var g = SeededGenerator(seed: 42)
        #expect([g.next(), g.next(), g.next()] == [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1])
        var zero = SeededGenerator(seed: 0)
        #expect([zero.next(), zero.next(), zero.next()] == [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0])
    }

    @Test func sameSeedSameStreamOtherSeedOther() {
        var a = SeededGenerator(seed: 2024), b = SeededGenerator(seed: 2024), c = SeededGenerator(seed: 2025)
        let sa = (0..<100).map { _ in a.next() }
        let sb = (0..<100).map { _ in b.next() }
        let sc = (0..<100).map { _ in c.next() }
        #expect(sa == sb)
        #expect(sa != sc)
        #expect(zip(sa, sc).filter { $0 == $1 }.isEmpty)
    }

    /// Saving mid-stream and decoding continues exactly where the original goes on.
    @Test func codableRoundTripContinuesTheStream() throws {
        var g = SeededGenerator(seed: 99)
        for _ in 0..<37 { _ = g.next() }
        let data = try JSONEncoder().encode(g)
        var restored = try JSONDecoder().decode(SeededGenerator.self, from: data)
        #expect(restored == g)
        let original = (0..<50).map { _ in g.uniform(-1...1) }
        let resumed = (0..<50).map { _ in restored.uniform(-1...1) }
        #expect(original == resumed)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("xoshiro256**"))
    }

    @Test func decodingRejectsBadState() {
        let bad = [
            #"{"algorithm":"pcg","state":["0000000000000001","0","0","0"]}"#,
            #"{"algorithm":"xoshiro256**","state":["0000000000000001"]}"#,
            #"{"algorithm":"xoshiro256**","state":["zz00000000000001","0000000000000000","0000000000000000","0000000000000000"]}"#,
            #"{"algorithm":"xoshiro256**","state":["0000000000000000","0000000000000000","0000000000000000","0000000000000000"]}"#,
        ]
        for json in bad {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(SeededGenerator.self, from: Data(json.utf8)) }
        }
    }

    @Test func uniformStaysInRangeAndPinsSingleValues() {
        var g = SeededGenerator(seed: 5)
        let draws = (0..<10_000).map { _ in g.uniform(-0.2...0.3) }
        #expect(draws.allSatisfy { $0 >= -0.2 && $0 < 0.3 })
        let mean = draws.reduce(0, +) / Double(draws.count)
        #expect(abs(mean - 0.05) < 0.01)
        #expect(g.uniform(0.37...0.37) == 0.37)
        #expect(g.unit() < 1)
    }
}

@Suite struct AugmentationTests {
    @Test func flipTwiceIsIdentity() throws {
        let shape = (3, 5, 6, 2)
        let original = Fixture.pattern(shape)
        for (h, v) in [(true, false), (false, true), (true, true)] {
            var batch = original
            let once = Array(repeating: [Augmentation.Operation.flip(horizontal: h, vertical: v)], count: 3)
            try Augmentation.apply(once, to: &batch, shape: shape)
            #expect(batch != original)
            try Augmentation.apply(once, to: &batch, shape: shape)
            #expect(batch == original, "flip(\(h), \(v)) twice")
        }
        // A horizontal flip mirrors each row exactly.
        var row: [Float] = [1, 10, 2, 20, 3, 30]
        try Augmentation.apply([[.flip(horizontal: true, vertical: false)]], to: &row, shape: (1, 1, 3, 2))
        #expect(row == [3, 30, 2, 20, 1, 10])
    }

    @Test func parseExamples() throws {
        let a = try Augmentation.parse("flip,translate=0.1,rotate=0.05,zoom=0.1,contrast=0.2")
        #expect(a.steps == [
            .flip(horizontal: true, vertical: false),
            .translate(height: -0.1...0.1, width: -0.1...0.1),
            .rotate(-0.05...0.05),
            .zoom(height: -0.1...0.1, width: nil),
            .contrast(-0.2...0.2),
        ])
        #expect(a.drawsPerImage == 1 + 2 + 1 + 1 + 1)
        let b = try Augmentation.parse(" flip=both , translate=-0.1..0.2/0.05:fill=constant:fill_value=0.5 , zoom=0.2/-0.1..0.3:interpolation=nearest:fill=wrap, contrast=0..0.4:clip=0..255, flip=VERTICAL")
        #expect(b.steps == [
            .flip(horizontal: true, vertical: true),
            .translate(height: -0.1...0.2, width: -0.05...0.05, sampling: .init(fillMode: .constant, fillValue: 0.5)),
            .zoom(height: -0.2...0.2, width: -0.1...0.3, sampling: .init(fillMode: .wrap, interpolation: .nearest)),
            .contrast(0...0.4, clip: 0...255),
            .flip(horizontal: false, vertical: true),
        ])
        #expect(try Augmentation.parse("").isEmpty)
        #expect(try Augmentation.parse("none") == .none)
        // The description reads back to the same augmentation.
        for spec in [a, b] {
            #expect(try Augmentation.parse(spec.description) == spec, "\(spec.description)")
        }
        #expect(a.description == "flip=horizontal,translate=0.1/0.1,rotate=0.05,zoom=0.1,contrast=0.2")
    }

    @Test func parseErrorsNameTheTokenAndTheChoices() {
        func message(_ spec: String) -> String {
            do {
                _ = try Augmentation.parse(spec)
                return ""
            } catch {
                return error.description
            }
        }
        let unknown = message("flip,blur=2")
        #expect(unknown.contains("'blur=2'") && unknown.contains("flip, translate, rotate, zoom, contrast"), "\(unknown)")
        let option = message("rotate=0.1:fil=wrap")
        #expect(option.contains("'fil=wrap'") && option.contains("fill, interpolation, fill_value"), "\(option)")
        let mode = message("zoom=0.1:fill=mirror")
        #expect(mode.contains("'mirror'") && mode.contains("reflect, wrap, constant, nearest"), "\(mode)")
        let interpolation = message("zoom=0.1:interpolation=bicubic")
        #expect(interpolation.contains("'bicubic'") && interpolation.contains("bilinear, nearest"), "\(interpolation)")
        let flip = message("flip=diagonal")
        #expect(flip.contains("'diagonal'") && flip.contains("horizontal, vertical, both"), "\(flip)")
        #expect(message("translate=2").contains("[-1.0, 1.0]"))
        #expect(message("zoom=-1..0.5").contains("(-1.0, 1.0]"))
        #expect(message("rotate=0.2..0.1").contains("write 0.1..0.2"))
        #expect(message("translate=abc").contains("'abc' is not a finite number"))
        #expect(message("rotate").contains("needs a factor"))
        #expect(message("translate=0.1/0.1/0.1").contains("more than two factors"))
        #expect(message("flip,,rotate=0.1").contains("empty step"))
        #expect(message("flip:fill=wrap").contains("takes no options"))
        #expect(message("contrast=0.2:clip=5").contains("not a range"))
        #expect(message("rotate=nan").contains("not a finite number"))
        #expect(message("rotate=0.1:fill=wrap:fill=constant").contains("given twice"))
        #expect(throws: AugmentationError.emptyFlip) { try Augmentation([.flip(horizontal: false, vertical: false)]) }
    }

    @Test func codableRoundTripAndValidation() throws {
        let a = try Augmentation.parse("flip=both,translate=0.1/0.2:fill=constant,rotate=0.05:interpolation=nearest,zoom=0.1,contrast=0.3:clip=0..1")
        let data = try JSONEncoder().encode(a)
        #expect(try JSONDecoder().decode(Augmentation.self, from: data) == a)
        let invalid = #"{"steps":[{"rotate":{"_0":[-3,3],"sampling":{"fillMode":"reflect","interpolation":"bilinear","fillValue":0}}}]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Augmentation.self, from: Data(invalid.utf8)) }
    }

    /// Same seed, same batch; another seed, another batch; the generator advances by exactly
    /// images x drawsPerImage values.
    @Test func sameSeedSameResult() throws {
        let augmentation = try Augmentation.parse("flip,translate=0.1,rotate=0.05,zoom=0.1,contrast=0.2")
        let shape = (6, 9, 11, 3)
        let original = Fixture.pattern(shape)
        func run(seed: UInt64) throws -> ([Float], SeededGenerator) {
            var batch = original
            var generator = SeededGenerator(seed: seed)
            try augmentation.apply(to: &batch, shape: shape, generator: &generator)
            return (batch, generator)
        }
        let (first, after) = try run(seed: 11)
        let (second, _) = try run(seed: 11)
        let (other, _) = try run(seed: 12)
        #expect(first == second)
        #expect(first != other)
        #expect(first != original)
        var expected = SeededGenerator(seed: 11)
        for _ in 0..<(6 * augmentation.drawsPerImage) { _ = expected.next() }
        #expect(after == expected)
    }

    /// One thread, several, and the automatic choice on a batch above the parallel threshold
    /// give identical bytes.
    @Test func threadCountDoesNotChangeTheResult() throws {
        let augmentation = try Augmentation.parse("flip=both,translate=0.2:fill=wrap,rotate=0.1:fill=constant,zoom=0.2/0.3:interpolation=nearest,contrast=0.3")
        let shape = (16, 48, 48, 3)
        #expect(shape.0 * shape.1 * shape.2 * shape.3 >= Augmentation.parallelThreshold)
        let original = Fixture.pattern(shape)
        var results: [[Float]] = []
        for threads in [1, 3, 16, 0] {
            var batch = original
            var generator = SeededGenerator(seed: 3)
            try augmentation.apply(to: &batch, shape: shape, generator: &generator, threads: threads)
            results.append(batch)
        }
        #expect(results.allSatisfy { $0 == results[0] })
        #expect(results[0] != original)
    }

    /// Without clipping, contrast keeps each channel's mean; with it, values stay in range.
    @Test func contrastKeepsTheMeanAndClips() throws {
        let shape = (1, 4, 5, 2)
        var batch = Fixture.pattern(shape).map { $0 * 4 - 2 }
        let before = batch
        try Augmentation.apply([[.contrast(factor: 1.8, clip: nil)]], to: &batch, shape: shape)
        for c in 0..<2 {
            let meanBefore = stride(from: c, to: before.count, by: 2).map { Double(before[$0]) }.reduce(0, +)
            let meanAfter = stride(from: c, to: batch.count, by: 2).map { Double(batch[$0]) }.reduce(0, +)
            #expect(abs(meanBefore - meanAfter) < 1e-4)
        }
        #expect(batch.contains { $0 < -2 })
        var clipped = before
        try Augmentation.apply([[.contrast(factor: 1.8, clip: -1...1)]], to: &clipped, shape: shape)
        #expect(clipped.allSatisfy { $0 >= -1 && $0 <= 1 })
    }

    @Test func shapeAndCountErrors() throws {
        let augmentation = try Augmentation.parse("flip")
        var batch = [Float](repeating: 0, count: 10)
        var generator = SeededGenerator(seed: 1)
        let before = generator
        #expect(throws: AugmentationError.shapeMismatch(count: 10, shape: [1, 2, 2, 3])) {
            try augmentation.apply(to: &batch, shape: (1, 2, 2, 3), generator: &generator)
        }
        #expect(generator == before)
        #expect(throws: AugmentationError.operationCount(images: 1, received: 2)) {
            try Augmentation.apply([[], []], to: &batch, shape: (1, 1, 10, 1))
        }
        #expect(throws: AugmentationError.parameterCount(step: "translate", expected: 2, received: 1)) {
            try Augmentation.Step.translate(height: 0...0, width: 0...0).operation(for: [0.1], height: 2, width: 2)
        }
        // An empty batch is fine and draws nothing.
        var empty: [Float] = []
        try augmentation.apply(to: &empty, shape: (0, 5, 5, 3), generator: &generator)
        #expect(generator == before)
    }
}

// BEGIN GENERATED by make_augmentation_expectations.py (Keras 3.15.1, JAX 0.10.2); do not edit by hand.
extension AugmentationFixture {
    /// Keras outputs for `input()` with fixed per-image values (what `Step.draw` returns).
    static let kerasCases: [KerasCase] = [
        KerasCase(spec: "translate=1:fill=reflect", values: [[0.62, -0.93], [-0.37, 0.41]], expected: [
            0.1312499, 0.3187499, 0.4, 0.4595626, 0.6470627, 0.2948124, 0.615625, 0.803125, 0.5220627, 0.3573124,
            0.490625, 0.678125, 0.5845627, 0.2323124, 0.4198124, 0.740625, 0.4595626, 0.6470627, 0.4823124, 0.615625,
            0.803125, 0.4, 0.5875, 0.775, 0.2948124, 0.4823124, 0.615625, 0.5220627, 0.2218749, 0.3573124, 0.678125,
            0.3970626, 0.5845627, 0.4198124, 0.553125, 0.740625, 0.6470627, 0.2948124, 0.4823124, 0.803125, 0.5220627,
            0.2218749, 0.775, 0.9625, 0.1937499, 0.615625, 0.803125, 0.5220627, 0.3573124, 0.490625, 0.678125,
            0.5845627, 0.2323124, 0.4198124, 0.740625, 0.4595626, 0.6470627, 0.4823124, 0.615625, 0.803125, 0.2218749,
            0.3573124, 0.490625, 0.8125, 1, 0.125, 0.6531249, 0.8406249, 0.5075002, 0.3406249, 0.5281249, 0.7156249,
            0.5700002, 0.2156249, 0.4031249, 0.7781249, 0.4450002, 0.6325002, 0.4656249, 0.6531249, 0.8406249,
            0.1531249, 0.3406249, 0.5281249, 0.475, 0.6625, 0.7437501, 0.3156249, 0.5031249, 0.6385624, 0.4908127,
            0.1906249, 0.3781249, 0.7010624, 0.3658127, 0.5533127, 0.4406249, 0.5760625, 0.7635625, 0.6158127,
            0.3156249, 0.5031249, 0.771875, 0.4908127, 0.1906249, 0.1955313, 0.3830313, 0.453125, 0.6894687, 0.85625,
            0.2580313, 0.55625, 0.584375, 0.771875, 0.5761563, 0.6250001, 0.6950938, 0.6325937, 0.8200937, 0.221875,
            0.159375, 0.346875, 0.5136563, 0.4511563, 0.6386563, 0.5700937, 0.6269687, 0.8144686, 0.1955313, 0.453125,
            0.640625, 0.6894687, 0.18125, 0.36875, 0.55625, 0.2218751, 0.4093751, 0.5761563, 0.5136563, 0.7011563,
            0.6325936, 0.5700936, 0.7575936, 0.1593751, 0.09687506, 0.2843751, 0.4511563, 0.390625, 0.578125,
            0.6269687, 0.1955313, 0.3830314, 0.453125, 0.709375, 0.8968749, 0.18125, 0.6325936, 0.8200936, 0.2218751,
            0.1593751, 0.3468751, 0.5136563, 0.4511563, 0.6386563, 0.5700936, 0.625, 0.6950936, 0.09687506, 0.3343749,
            0.521875, 0.709375, 0.1600001, 0.3475001, 0.396875, 0.8125, 1, 0.125, 0.7149999, 0.9024999, 0.165625,
            0.103125, 0.290625, 0.478125, 0.415625, 0.603125, 0.6524999, 0.728125, 0.7774999, 0.04062504, 0.6531249,
            0.8406249, 0.2424064, 0.3613437, 0.5488437, 0.7156249, 0.2281251, 0.4156251, 0.44375, 0.2480313, 0.4355313,
            0.484375, 0.421875, 0.609375, 0.6794686, 0.6169686, 0.8044686, 0.1855313, 0.1437501, 0.3105313, 0.359375]),
        KerasCase(spec: "translate=1:fill=wrap:interpolation=nearest", values: [[0.62, -0.93], [-0.37, 0.41]], expected: [
            0.3125, 0.5, 0.6875, 0.625, 0.8125, 1, 0.9375, 0.0625, 0.25, 0.1875, 0.375, 0.5625, 0.5, 0.6875, 0.875,
            0.8125, 1, 0.125, 0.0625, 0.25, 0.4375, 1, 0.125, 0.3125, 0.25, 0.4375, 0.625, 0.5625, 0.75, 0.9375, 0.875,
            0, 0.1875, 0.125, 0.3125, 0.5, 0.4375, 0.625, 0.8125, 0.75, 0.9375, 0.0625, 0.625, 0.8125, 1, 0.9375,
            0.0625, 0.25, 0.1875, 0.375, 0.5625, 0.5, 0.6875, 0.875, 0.8125, 1, 0.125, 0.0625, 0.25, 0.4375, 0.375,
            0.5625, 0.75, 0, 0.1875, 0.375, 0.3125, 0.5, 0.6875, 0.625, 0.8125, 1, 0.9375, 0.0625, 0.25, 0.1875, 0.375,
            0.5625, 0.5, 0.6875, 0.875, 0.8125, 1, 0.125, 0.6875, 0.875, 0, 1, 0.125, 0.3125, 0.25, 0.4375, 0.625,
            0.5625, 0.75, 0.9375, 0.875, 0, 0.1875, 0.125, 0.3125, 0.5, 0.4375, 0.625, 0.8125, 0.6875, 0.875, 0, 1,
            0.125, 0.3125, 0.25, 0.4375, 0.625, 0.5, 0.6875, 0.875, 0.8125, 1, 0.125, 0.0625, 0.25, 0.4375, 0.375,
            0.5625, 0.75, 0.3125, 0.5, 0.6875, 0.625, 0.8125, 1, 0.9375, 0.0625, 0.25, 0.125, 0.3125, 0.5, 0.4375,
            0.625, 0.8125, 0.75, 0.9375, 0.0625, 0, 0.1875, 0.375, 1, 0.125, 0.3125, 0.25, 0.4375, 0.625, 0.5625, 0.75,
            0.9375, 0.8125, 1, 0.125, 0.0625, 0.25, 0.4375, 0.375, 0.5625, 0.75, 0.6875, 0.875, 0, 0.375, 0.5625, 0.75,
            0.6875, 0.875, 0, 1, 0.125, 0.3125, 0.1875, 0.375, 0.5625, 0.5, 0.6875, 0.875, 0.8125, 1, 0.125, 0.0625,
            0.25, 0.4375, 0, 0.1875, 0.375, 0.3125, 0.5, 0.6875, 0.625, 0.8125, 1, 0.875, 0, 0.1875, 0.125, 0.3125,
            0.5, 0.4375, 0.625, 0.8125, 0.75, 0.9375, 0.0625]),
        KerasCase(spec: "rotate=0.5:fill=constant:fill_value=0.25", values: [[0.07], [-0.18]], expected: [
            0.25, 0.25, 0.25, 0.3814818, 0.4299204, 0.493443, 0.7629123, 0.1371892, 0.2805455, 0.3996726, 0.2872535,
            0.4747535, 0.3523015, 0.3803236, 0.5678236, 0.3309987, 0.5184987, 0.6909147, 0.255259, 0.3366266,
            0.4179942, 0.2273302, 0.3806742, 0.5340183, 0.513046, 0.6011837, 0.7886837, 0.5367749, 0.5412804,
            0.7287804, 0.6598662, 0.438031, 0.625531, 0.6146826, 0.4614693, 0.4659747, 0.6126282, 0.8001282, 0.2185485,
            0.3089792, 0.4701805, 0.2911028, 0.5860549, 0.5543253, 0.1932263, 0.8315961, 0.2565154, 0.4440154,
            0.6164525, 0.2519087, 0.4394087, 0.1875, 0.3750001, 0.5625001, 0.3536465, 0.4980912, 0.6855912, 0.4336823,
            0.6211823, 0.6809846, 0.5567735, 0.7442735, 0.3831748, 0.4238321, 0.5850333, 0.4059558, 0.5447765,
            0.7189515, 0.9064515, 0.6545427, 0.4715253, 0.6590253, 0.7195679, 0.311969, 0.499469, 0.5600116, 0.3769944,
            0.3962196, 0.4564713, 0.6439713, 0.3363162, 0.1704405, 0.3237846, 0.4771287, 0.4359378, 0.2718635,
            0.3532311, 0.7321842, 0.2465852, 0.4340852, 0.4906812, 0.3696764, 0.5571764, 0.3052676, 0.4627464,
            0.6502464, 0.4538689, 0.5972251, 0.6973085, 0.4361313, 0.4996539, 0.2182991, 0.25, 0.25, 0.25, 0.6775247,
            0.8487138, 0.1828062, 0.2465852, 0.4340851, 0.6065012, 0.7189513, 0.9064513, 0.3248722, 0.2565154,
            0.4440154, 0.5038174, 0.6011836, 0.7886836, 0.4810288, 0.4299204, 0.493443, 0.212088, 0.25, 0.25, 0.25,
            0.2138117, 0.34718, 0.3428767, 0.3696765, 0.5571765, 0.5851983, 0.4715253, 0.6590253, 0.3228173, 0.2519088,
            0.4394088, 0.5838534, 0.5412804, 0.7287804, 0.3774885, 0.1371893, 0.2805456, 0.3806289, 0.25, 0.25, 0.25,
            0.2609445, 0.3144792, 0.368014, 0.4627465, 0.6502464, 0.5378273, 0.3119689, 0.4994689, 0.2776339, 0.375,
            0.5625, 0.75, 0.438031, 0.625531, 0.2179321, 0.2872535, 0.4747535, 0.6322324, 0.3104351, 0.3639698,
            0.3333705, 0.25, 0.25, 0.25, 0.5972251, 0.6973085, 0.07158571, 0.3769943, 0.3962195, 0.4007252, 0.4980913,
            0.6855913, 0.3210475, 0.461469, 0.4659745, 0.2829575, 0.3803236, 0.5678236, 0.4468187, 0.6016845,
            0.5973811, 0.1126672, 0.25, 0.25, 0.25, 0.4996542, 0.218299, 0.2667378, 0.6439711, 0.3363164, 0.5238164,
            0.6211826, 0.6809844, 0.8384632, 0.8001276, 0.2185488, 0.4060488, 0.5184987, 0.6909148, 0.8784148,
            0.8878239, 0.2219163, 0.3931054]),
        KerasCase(spec: "rotate=0.5:fill=nearest:interpolation=nearest", values: [[0.07], [-0.18]], expected: [
            0.3125, 0.5, 0.6875, 0.625, 0.8125, 1, 0.9375, 0.0625, 0.25, 0.1875, 0.375, 0.5625, 0.125, 0.3125, 0.5,
            0.4375, 0.625, 0.8125, 0.4375, 0.625, 0.8125, 0.3125, 0.5, 0.6875, 0.625, 0.8125, 1, 0.5625, 0.75, 0.9375,
            0.5625, 0.75, 0.9375, 0.5, 0.6875, 0.875, 0.8125, 1, 0.125, 0.0625, 0.25, 0.4375, 0.6875, 0.875, 0, 1,
            0.125, 0.3125, 0.9375, 0.0625, 0.25, 0.1875, 0.375, 0.5625, 0.5, 0.6875, 0.875, 0.4375, 0.625, 0.8125,
            0.75, 0.9375, 0.0625, 0.3125, 0.5, 0.6875, 0.625, 0.8125, 1, 0.9375, 0.0625, 0.25, 0.875, 0, 0.1875, 0.875,
            0, 0.1875, 0.8125, 1, 0.125, 0.0625, 0.25, 0.4375, 1, 0.125, 0.3125, 1, 0.125, 0.3125, 0.25, 0.4375, 0.625,
            0.1875, 0.375, 0.5625, 0.5, 0.6875, 0.875, 0.8125, 1, 0.125, 0.0625, 0.25, 0.4375, 0.8125, 1, 0.125, 0.125,
            0.3125, 0.5, 0.8125, 1, 0.125, 0.125, 0.3125, 0.5, 0.8125, 1, 0.125, 0.8125, 1, 0.125, 0.8125, 1, 0.125,
            0.0625, 0.25, 0.4375, 0.4375, 0.625, 0.8125, 0.0625, 0.25, 0.4375, 0.0625, 0.25, 0.4375, 0.75, 0.9375,
            0.0625, 0.0625, 0.25, 0.4375, 0.0625, 0.25, 0.4375, 0.375, 0.5625, 0.75, 0.375, 0.5625, 0.75, 0, 0.1875,
            0.375, 0.375, 0.5625, 0.75, 0.75, 0.9375, 0.0625, 0.375, 0.5625, 0.75, 0.375, 0.5625, 0.75, 0.6875, 0.875,
            0, 0.6875, 0.875, 0, 0, 0.1875, 0.375, 0.6875, 0.875, 0, 0.6875, 0.875, 0, 0.3125, 0.5, 0.6875, 0.6875,
            0.875, 0, 1, 0.125, 0.3125, 1, 0.125, 0.3125, 1, 0.125, 0.3125, 0.625, 0.8125, 1, 1, 0.125, 0.3125, 0.625,
            0.8125, 1, 1, 0.125, 0.3125]),
        KerasCase(spec: "rotate=0.5:interpolation=nearest", values: [[0.07], [-0.18]], expected: [
            0.3125, 0.5, 0.6875, 0.625, 0.8125, 1, 0.9375, 0.0625, 0.25, 0.1875, 0.375, 0.5625, 0.125, 0.3125, 0.5,
            0.4375, 0.625, 0.8125, 0.4375, 0.625, 0.8125, 0.3125, 0.5, 0.6875, 0.625, 0.8125, 1, 0.5625, 0.75, 0.9375,
            0.5625, 0.75, 0.9375, 0.5, 0.6875, 0.875, 0.8125, 1, 0.125, 0.0625, 0.25, 0.4375, 0.6875, 0.875, 0, 1,
            0.125, 0.3125, 0.9375, 0.0625, 0.25, 0.1875, 0.375, 0.5625, 0.5, 0.6875, 0.875, 0.4375, 0.625, 0.8125,
            0.75, 0.9375, 0.0625, 0.3125, 0.5, 0.6875, 0.625, 0.8125, 1, 0.9375, 0.0625, 0.25, 0.875, 0, 0.1875, 0.875,
            0, 0.1875, 0.8125, 1, 0.125, 0.0625, 0.25, 0.4375, 1, 0.125, 0.3125, 1, 0.125, 0.3125, 0.25, 0.4375, 0.625,
            0.1875, 0.375, 0.5625, 0.5, 0.6875, 0.875, 0.8125, 1, 0.125, 0.0625, 0.25, 0.4375, 0.8125, 1, 0.125, 0.125,
            0.3125, 0.5, 0.8125, 1, 0.125, 0.125, 0.3125, 0.5, 0.8125, 1, 0.125, 0.8125, 1, 0.125, 0.4375, 0.625,
            0.8125, 0.0625, 0.25, 0.4375, 0.4375, 0.625, 0.8125, 0.0625, 0.25, 0.4375, 0.0625, 0.25, 0.4375, 0.75,
            0.9375, 0.0625, 0.0625, 0.25, 0.4375, 0.0625, 0.25, 0.4375, 0.375, 0.5625, 0.75, 0.375, 0.5625, 0.75, 0,
            0.1875, 0.375, 0.375, 0.5625, 0.75, 0.75, 0.9375, 0.0625, 0.375, 0.5625, 0.75, 0.375, 0.5625, 0.75, 0.6875,
            0.875, 0, 0.6875, 0.875, 0, 0, 0.1875, 0.375, 0.6875, 0.875, 0, 0.6875, 0.875, 0, 0.3125, 0.5, 0.6875,
            0.6875, 0.875, 0, 0.3125, 0.5, 0.6875, 1, 0.125, 0.3125, 1, 0.125, 0.3125, 0.625, 0.8125, 1, 1, 0.125,
            0.3125, 0.625, 0.8125, 1, 1, 0.125, 0.3125]),
        KerasCase(spec: "rotate=0.5:fill=wrap", values: [[0.07], [-0.18]], expected: [
            0.7875549, 0.1379587, 0.3254586, 0.3488146, 0.5212306, 0.7087306, 0.8178515, 0.2362722, 0.4237722,
            0.3996726, 0.2872535, 0.4747535, 0.3523015, 0.3803236, 0.5678236, 0.3309987, 0.5184987, 0.6909147,
            0.4036285, 0.5911285, 0.4584844, 0.3361337, 0.3859618, 0.5734618, 0.513046, 0.6011837, 0.7886837,
            0.5367749, 0.5412804, 0.7287804, 0.6598662, 0.438031, 0.625531, 0.6146826, 0.4614693, 0.4659747, 0.6126282,
            0.8001282, 0.2185485, 0.3536663, 0.4856523, 0.3328735, 0.5860549, 0.5543253, 0.1932263, 0.8315961,
            0.2565154, 0.4440154, 0.6164525, 0.2519087, 0.4394087, 0.1875, 0.3750001, 0.5625001, 0.3536465, 0.4980912,
            0.6855912, 0.4336823, 0.6211823, 0.6809846, 0.5567735, 0.7442735, 0.3831748, 0.4171265, 0.6046265,
            0.4518478, 0.5447765, 0.7189515, 0.9064515, 0.6545427, 0.4715253, 0.6590253, 0.7195679, 0.311969, 0.499469,
            0.5600116, 0.3769944, 0.3962196, 0.4564713, 0.6439713, 0.3363162, 0.2324164, 0.4199164, 0.5515382,
            0.5369574, 0.4790156, 0.3463715, 0.7321842, 0.2465852, 0.4340852, 0.4906812, 0.3696764, 0.5571764,
            0.3052676, 0.4627464, 0.6502464, 0.6063235, 0.5570004, 0.7012276, 0.4155863, 0.5736468, 0.4162695,
            0.4372113, 0.6120414, 0.7995415, 0.7091814, 0.8840115, 0.2344149, 0.2465852, 0.4340851, 0.6065012,
            0.7189513, 0.9064513, 0.3248722, 0.2565154, 0.4440154, 0.5038174, 0.6011836, 0.7886836, 0.4810288,
            0.5212306, 0.7087306, 0.5219137, 0.4521431, 0.6396431, 0.291358, 0.2695524, 0.4570524, 0.5068807,
            0.3696765, 0.5571765, 0.5851983, 0.4715253, 0.6590253, 0.3228173, 0.2519088, 0.4394088, 0.5838534,
            0.5412804, 0.7287804, 0.3774885, 0.2362723, 0.4237723, 0.3311765, 0.7074804, 0.5547021, 0.1690072,
            0.6009176, 0.7884176, 0.4273182, 0.4627465, 0.6502464, 0.5378273, 0.3119689, 0.4994689, 0.2776339, 0.375,
            0.5625, 0.75, 0.438031, 0.625531, 0.2179321, 0.2872535, 0.4747535, 0.6322324, 0.6976818, 0.3365823,
            0.4399483, 0.382798, 0.570298, 0.3240069, 0.5570005, 0.7012276, 0.1196487, 0.3769943, 0.3962195, 0.4007252,
            0.4980913, 0.6855913, 0.3210475, 0.461469, 0.4659745, 0.2829575, 0.3803236, 0.5678236, 0.4468187,
            0.6181192, 0.6679475, 0.2373654, 0.2978568, 0.4853568, 0.3915841, 0.5736472, 0.4162693, 0.5886855,
            0.6439711, 0.3363164, 0.5238164, 0.6211826, 0.6809844, 0.8384632, 0.8001276, 0.2185488, 0.4060488,
            0.5184987, 0.6909148, 0.8784148, 0.8905851, 0.2283186, 0.4158186]),
        KerasCase(spec: "zoom=0.9/0.9:fill=nearest", values: [[0.45, -0.3], [-0.4, 0.8]], expected: [
            0.28125, 0.46875, 0.6562499, 0.5, 0.6875001, 0.875, 0.71875, 0.5875, 0.775, 0.9375, 0.0625, 0.25, 0.4125,
            0.28125, 0.46875, 0.3125, 0.5000001, 0.6875, 0.53125, 0.7187499, 0.8000001, 0.659375, 0.3209375, 0.45,
            0.5275, 0.48125, 0.66875, 0.5125, 0.5565625, 0.7440625, 0.73125, 0.440625, 0.628125, 0.6153125, 0.2503125,
            0.4378125, 0.456875, 0.29375, 0.48125, 0.325, 0.5125, 0.6521875, 0.59375, 0.78125, 0.96875, 0.8125, 0.3625,
            0.55, 0.7125, 0.15625, 0.34375, 0.1875, 0.375, 0.5625, 0.40625, 0.59375, 0.78125, 0.625, 0.8125, 0.5749999,
            0.7375001, 0.9250001, 0.15625, 0.5865626, 0.2853124, 0.4728124, 0.46, 0.4562499, 0.6437499, 0.4874999,
            0.4996875, 0.6871876, 0.7062499, 0.3093752, 0.4968752, 0.5159376, 0.5281252, 0.3809375, 0.3681251,
            0.555625, 0.45625, 0.2999999, 0.4874999, 0.6165625, 0.90625, 0.1375, 0.325, 0.4875, 0.25, 0.4375, 0.28125,
            0.46875, 0.65625, 0.5, 0.6875, 0.875, 0.71875, 0.90625, 0.35, 0.5124999, 0.6999999, 0.25, 0.09374997,
            0.28125, 0.46875, 0.7375, 0.07500002, 0.2625, 0.7375, 0.07500002, 0.2625, 0.2625, 0.45, 0.595, 0.6125, 0.8,
            0.1375002, 0.3250001, 0.5125, 0.53, 0.7, 0.675, 0.8625, 0.7, 0.675, 0.8625, 0.725, 0.275, 0.4625, 0.725,
            0.275, 0.4625, 0.3775, 0.5649999, 0.4125, 0.6, 0.7875, 0.3375001, 0.525, 0.3725, 0.4750001, 0.475, 0.6625,
            0.85, 0.475, 0.6625, 0.85, 0.5, 0.6875, 0.875, 0.5, 0.6875, 0.875, 0.6625, 0.85, 0.1875, 0.3749999,
            0.5624999, 0.7499999, 0.9375001, 0.2749999, 0.2500001, 0.25, 0.4375, 0.625, 0.25, 0.4375, 0.625, 0.275,
            0.4625, 0.65, 0.275, 0.4625001, 0.65, 0.565, 0.7525, 0.4724999, 0.1500001, 0.3375001, 0.525, 0.7125001,
            0.5599999, 0.6625, 0.6624999, 0.2125, 0.4, 0.6624999, 0.2125, 0.4, 0.2625, 0.45, 0.425, 0.2625, 0.45,
            0.425, 0.425, 0.6125, 0.6299999, 0.1375002, 0.3250002, 0.3, 0.53, 0.6750001, 0.8625, 0.8625, 0.2, 0.3875,
            0.8625, 0.2, 0.3875]),
        KerasCase(spec: "zoom=0.9/0.9:fill=constant:interpolation=nearest:fill_value=-1", values: [[0.45, -0.3], [-0.4, 0.8]], expected: [
            -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 0.125, 0.3125, 0.25,
            0.4375, 0.625, 0.25, 0.4375, 0.625, 0.5625, 0.75, 0.9375, 0.875, 0, 0.1875, 0.875, 0, 0.1875, 0.125,
            0.3125, 0.5, 0.625, 0.8125, 1, 0.9375, 0.0625, 0.25, 0.9375, 0.0625, 0.25, 0.1875, 0.375, 0.5625, 0.5,
            0.6875, 0.875, 0.5, 0.6875, 0.875, 0.8125, 1, 0.125, 0.25, 0.4375, 0.625, 0.5625, 0.75, 0.9375, 0.5625,
            0.75, 0.9375, 0.875, 0, 0.1875, 0.125, 0.3125, 0.5, 0.125, 0.3125, 0.5, 0.4375, 0.625, 0.8125, -1, -1, -1,
            -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0.125,
            0.3125, 0.5, 0.75, 0.9375, 0.0625, 0.3125, 0.5, 0.6875, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
            0.125, 0.3125, 0.5, 0.75, 0.9375, 0.0625, 0.3125, 0.5, 0.6875, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
            -1, 0.8125, 1, 0.125, 0.375, 0.5625, 0.75, 1, 0.125, 0.3125, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
            -1, 0.4375, 0.625, 0.8125, 0, 0.1875, 0.375, 0.625, 0.8125, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
            -1, 0.4375, 0.625, 0.8125, 0, 0.1875, 0.375, 0.625, 0.8125, 1, -1, -1, -1, -1, -1, -1]),
        KerasCase(spec: "zoom=0.5", values: [[0.45], [-0.4]], expected: [
            0.1093751, 0.296875, 0.484375, 0.03124997, 0.21875, 0.40625, 0.484375, 0.671875, 0.859375, 0.9374998,
            0.06250007, 0.2500001, 0.3281249, 0.5156249, 0.7031249, 0.7812499, 0.9687499, 0.2000003, 0.7031249,
            0.8906249, 0.3875003, 0.4875, 0.4704687, 0.278125, 0.409375, 0.5384375, 0.2, 0.5410938, 0.465625, 0.653125,
            0.73125, 0.4406249, 0.6281249, 0.4432813, 0.309375, 0.496875, 0.5749999, 0.7624999, 0.5196875, 0.4968749,
            0.6843749, 0.5610938, 0.4218751, 0.6093751, 0.7968751, 0.34375, 0.53125, 0.71875, 0.796875, 0.4, 0.5875,
            0.1875001, 0.3750001, 0.5625001, 0.6406249, 0.8281249, 0.5375001, 0.1375003, 0.3250003, 0.4062499,
            0.3250003, 0.5125003, 0.3281249, 0.7360937, 0.3764063, 0.5639063, 0.8040625, 0.4178127, 0.6053127,
            0.4682813, 0.4406249, 0.6281249, 0.7062498, 0.3093753, 0.4968751, 0.3598438, 0.5473439, 0.4718748,
            0.5499998, 0.7374998, 0.3990628, 0.4718748, 0.6593748, 0.4670314, 0.7343751, 0.5499999, 0.7374999,
            0.6562499, 0.7375001, 0.9250001, 0.525, 0.234375, 0.421875, 0.5000001, 0.6875001, 0.8749998, 0.4750001,
            0.6625001, 0.2656249, 0.3437499, 0.5312499, 0.7187499, 0.2656249, 0.4531249, 0.6406249, 0.2625, 0.45,
            0.595, 0.45, 0.6375, 0.655, 0.5525, 0.74, 0.4599999, 0.6125, 0.8, 0.1375, 0.2900001, 0.4775, 0.325, 0.1375,
            0.325, 0.47, 0.3250001, 0.5125, 0.53, 0.3775, 0.565, 0.4125, 0.31, 0.4975, 0.6, 0.4125, 0.6, 0.5325, 0.6,
            0.7875, 0.3375, 0.405, 0.5925, 0.27, 0.3374999, 0.44, 0.2875, 0.525, 0.3725, 0.4750001, 0.6625, 0.85,
            0.1875, 0.2125, 0.4, 0.375, 0.1875, 0.375, 0.5625, 0.375, 0.5625, 0.75, 0.5625, 0.75, 0.3000001, 0.7499999,
            0.7250001, 0.06249994, 0.9375001, 0.2749999, 0.2500001, 0.565, 0.7525001, 0.4725, 0.4974999, 0.6849999,
            0.2775, 0.3449999, 0.5325, 0.3375001, 0.15, 0.3375, 0.525, 0.3375, 0.525, 0.4575, 0.525, 0.6275001,
            0.4749999, 0.7125001, 0.5599999, 0.6625, 0.425, 0.6125, 0.6300001, 0.6125, 0.8, 0.3075001, 0.46, 0.6475,
            0.24, 0.1375, 0.325, 0.3, 0.325, 0.385, 0.4875, 0.47, 0.4874999, 0.6749999, 0.53, 0.6750001, 0.8625]),
        KerasCase(spec: "contrast=0.5:clip=0..1", values: [[0.4], [-0.3]], expected: [
            0, 0.06392857, 0.3121428, 0.2289286, 0.5014285, 0.7496428, 0.6664286, 0.9389286, 1, 1, 0, 0.1371429,
            0.05392858, 0.3264286, 0.5746428, 0.4914286, 0.7639285, 1, 0.9289286, 1, 0, 0.7539285, 1, 0, 1, 0,
            0.2246428, 0.1414286, 0.4139286, 0.6621429, 0.5789286, 0.8514286, 1, 1, 0, 0.04964286, 0, 0.2389286,
            0.4871429, 0.4039286, 0.6764286, 0.9246428, 0.2289286, 0.5014285, 0.7496428, 0.6664286, 0.9389286, 1, 1, 0,
            0.1371429, 0.05392858, 0.3264286, 0.5746428, 0.4914286, 0.7639285, 1, 0.9289286, 1, 0, 0, 0.1514286,
            0.3996429, 1, 0, 0.2246428, 0.1414286, 0.4139286, 0.6621429, 0.5789286, 0.8514286, 1, 1, 0, 0.04964286, 0,
            0.2389286, 0.4871429, 0.4039286, 0.6764286, 0.9246428, 0.8414285, 1, 0, 0.6664286, 0.9389286, 1, 1, 0,
            0.1371429, 0.05392858, 0.3264286, 0.5746428, 0.4914286, 0.7639285, 1, 0.9289286, 1, 0, 0, 0.1514286,
            0.3996429, 0.3164286, 0.5889286, 0.8371428, 0.2801786, 0.4221429, 0.5367857, 0.4989286, 0.6408929,
            0.7555357, 0.7176785, 0.8596429, 0.2305357, 0.1926786, 0.3346429, 0.4492857, 0.4114286, 0.5533929,
            0.6680357, 0.6301786, 0.7721429, 0.1430357, 0.8489286, 0.2471429, 0.3617857, 0.7614286, 0.1596429,
            0.2742857, 0.2364286, 0.3783929, 0.4930357, 0.4551786, 0.5971429, 0.7117857, 0.6739286, 0.8158928,
            0.1867857, 0.1489286, 0.2908929, 0.4055357, 0.3676786, 0.5096428, 0.6242857, 0.5864286, 0.7283928,
            0.8430357, 0.4989286, 0.6408929, 0.7555357, 0.7176785, 0.8596429, 0.2305357, 0.1926786, 0.3346429,
            0.4492857, 0.4114286, 0.5533929, 0.6680357, 0.6301786, 0.7721429, 0.1430357, 0.8489286, 0.2471429,
            0.3617857, 0.3239286, 0.4658929, 0.5805357, 0.2364286, 0.3783929, 0.4930357, 0.4551786, 0.5971429,
            0.7117857, 0.6739286, 0.8158928, 0.1867857, 0.1489286, 0.2908929, 0.4055357, 0.3676786, 0.5096428,
            0.6242857, 0.5864286, 0.7283928, 0.8430357, 0.8051786, 0.2033929, 0.3180357, 0.7176785, 0.8596429,
            0.2305357, 0.1926786, 0.3346429, 0.4492857, 0.4114286, 0.5533929, 0.6680357, 0.6301786, 0.7721429,
            0.1430357, 0.8489286, 0.2471429, 0.3617857, 0.3239286, 0.4658929, 0.5805357, 0.5426786, 0.6846429,
            0.7992857]),
        KerasCase(spec: "contrast=0.5", values: [[0.4], [-0.3]], expected: [
            -0.2085714, 0.06392857, 0.3121428, 0.2289286, 0.5014285, 0.7496428, 0.6664286, 0.9389286, 1.187143,
            1.103929, -0.1110714, 0.1371429, 0.05392858, 0.3264286, 0.5746428, 0.4914286, 0.7639285, 1.012143,
            0.9289286, 1.201429, -0.03785712, 0.7539285, 1.026429, -0.2128571, 1.191429, -0.0235714, 0.2246428,
            0.1414286, 0.4139286, 0.6621429, 0.5789286, 0.8514286, 1.099643, 1.016429, -0.1985714, 0.04964286,
            -0.03357142, 0.2389286, 0.4871429, 0.4039286, 0.6764286, 0.9246428, 0.2289286, 0.5014285, 0.7496428,
            0.6664286, 0.9389286, 1.187143, 1.103929, -0.1110714, 0.1371429, 0.05392858, 0.3264286, 0.5746428,
            0.4914286, 0.7639285, 1.012143, 0.9289286, 1.201429, -0.03785712, -0.1210714, 0.1514286, 0.3996429,
            1.191429, -0.0235714, 0.2246428, 0.1414286, 0.4139286, 0.6621429, 0.5789286, 0.8514286, 1.099643, 1.016429,
            -0.1985714, 0.04964286, -0.03357142, 0.2389286, 0.4871429, 0.4039286, 0.6764286, 0.9246428, 0.8414285,
            1.113929, -0.1253572, 0.6664286, 0.9389286, 1.187143, 1.103929, -0.1110714, 0.1371429, 0.05392858,
            0.3264286, 0.5746428, 0.4914286, 0.7639285, 1.012143, 0.9289286, 1.201429, -0.03785712, -0.1210714,
            0.1514286, 0.3996429, 0.3164286, 0.5889286, 0.8371428, 0.2801786, 0.4221429, 0.5367857, 0.4989286,
            0.6408929, 0.7555357, 0.7176785, 0.8596429, 0.2305357, 0.1926786, 0.3346429, 0.4492857, 0.4114286,
            0.5533929, 0.6680357, 0.6301786, 0.7721429, 0.1430357, 0.8489286, 0.2471429, 0.3617857, 0.7614286,
            0.1596429, 0.2742857, 0.2364286, 0.3783929, 0.4930357, 0.4551786, 0.5971429, 0.7117857, 0.6739286,
            0.8158928, 0.1867857, 0.1489286, 0.2908929, 0.4055357, 0.3676786, 0.5096428, 0.6242857, 0.5864286,
            0.7283928, 0.8430357, 0.4989286, 0.6408929, 0.7555357, 0.7176785, 0.8596429, 0.2305357, 0.1926786,
            0.3346429, 0.4492857, 0.4114286, 0.5533929, 0.6680357, 0.6301786, 0.7721429, 0.1430357, 0.8489286,
            0.2471429, 0.3617857, 0.3239286, 0.4658929, 0.5805357, 0.2364286, 0.3783929, 0.4930357, 0.4551786,
            0.5971429, 0.7117857, 0.6739286, 0.8158928, 0.1867857, 0.1489286, 0.2908929, 0.4055357, 0.3676786,
            0.5096428, 0.6242857, 0.5864286, 0.7283928, 0.8430357, 0.8051786, 0.2033929, 0.3180357, 0.7176785,
            0.8596429, 0.2305357, 0.1926786, 0.3346429, 0.4492857, 0.4114286, 0.5533929, 0.6680357, 0.6301786,
            0.7721429, 0.1430357, 0.8489286, 0.2471429, 0.3617857, 0.3239286, 0.4658929, 0.5805357, 0.5426786,
            0.6846429, 0.7992857]),
        KerasCase(spec: "flip=both", values: [[0.25], [0.75]], expected: [
            0.375, 0.5625, 0.75, 0.0625, 0.25, 0.4375, 0.8125, 1, 0.125, 0.5, 0.6875, 0.875, 0.1875, 0.375, 0.5625,
            0.9375, 0.0625, 0.25, 0.625, 0.8125, 1, 0.75, 0.9375, 0.0625, 0.4375, 0.625, 0.8125, 0.125, 0.3125, 0.5,
            0.875, 0, 0.1875, 0.5625, 0.75, 0.9375, 0.25, 0.4375, 0.625, 1, 0.125, 0.3125, 0.0625, 0.25, 0.4375,
            0.8125, 1, 0.125, 0.5, 0.6875, 0.875, 0.1875, 0.375, 0.5625, 0.9375, 0.0625, 0.25, 0.625, 0.8125, 1,
            0.3125, 0.5, 0.6875, 0.4375, 0.625, 0.8125, 0.125, 0.3125, 0.5, 0.875, 0, 0.1875, 0.5625, 0.75, 0.9375,
            0.25, 0.4375, 0.625, 1, 0.125, 0.3125, 0.6875, 0.875, 0, 0.8125, 1, 0.125, 0.5, 0.6875, 0.875, 0.1875,
            0.375, 0.5625, 0.9375, 0.0625, 0.25, 0.625, 0.8125, 1, 0.3125, 0.5, 0.6875, 0, 0.1875, 0.375, 0.1875,
            0.375, 0.5625, 0.5, 0.6875, 0.875, 0.8125, 1, 0.125, 0.0625, 0.25, 0.4375, 0.375, 0.5625, 0.75, 0.6875,
            0.875, 0, 1, 0.125, 0.3125, 0.875, 0, 0.1875, 0.125, 0.3125, 0.5, 0.4375, 0.625, 0.8125, 0.75, 0.9375,
            0.0625, 0, 0.1875, 0.375, 0.3125, 0.5, 0.6875, 0.625, 0.8125, 1, 0.5, 0.6875, 0.875, 0.8125, 1, 0.125,
            0.0625, 0.25, 0.4375, 0.375, 0.5625, 0.75, 0.6875, 0.875, 0, 1, 0.125, 0.3125, 0.25, 0.4375, 0.625, 0.125,
            0.3125, 0.5, 0.4375, 0.625, 0.8125, 0.75, 0.9375, 0.0625, 0, 0.1875, 0.375, 0.3125, 0.5, 0.6875, 0.625,
            0.8125, 1, 0.9375, 0.0625, 0.25, 0.8125, 1, 0.125, 0.0625, 0.25, 0.4375, 0.375, 0.5625, 0.75, 0.6875,
            0.875, 0, 1, 0.125, 0.3125, 0.25, 0.4375, 0.625, 0.5625, 0.75, 0.9375]),
        KerasCase(spec: "flip", values: [[0.75], [0.25]], expected: [
            0, 0.1875, 0.375, 0.3125, 0.5, 0.6875, 0.625, 0.8125, 1, 0.9375, 0.0625, 0.25, 0.1875, 0.375, 0.5625, 0.5,
            0.6875, 0.875, 0.8125, 1, 0.125, 0.6875, 0.875, 0, 1, 0.125, 0.3125, 0.25, 0.4375, 0.625, 0.5625, 0.75,
            0.9375, 0.875, 0, 0.1875, 0.125, 0.3125, 0.5, 0.4375, 0.625, 0.8125, 0.3125, 0.5, 0.6875, 0.625, 0.8125, 1,
            0.9375, 0.0625, 0.25, 0.1875, 0.375, 0.5625, 0.5, 0.6875, 0.875, 0.8125, 1, 0.125, 0.0625, 0.25, 0.4375, 1,
            0.125, 0.3125, 0.25, 0.4375, 0.625, 0.5625, 0.75, 0.9375, 0.875, 0, 0.1875, 0.125, 0.3125, 0.5, 0.4375,
            0.625, 0.8125, 0.75, 0.9375, 0.0625, 0.625, 0.8125, 1, 0.9375, 0.0625, 0.25, 0.1875, 0.375, 0.5625, 0.5,
            0.6875, 0.875, 0.8125, 1, 0.125, 0.0625, 0.25, 0.4375, 0.375, 0.5625, 0.75, 1, 0.125, 0.3125, 0.6875,
            0.875, 0, 0.375, 0.5625, 0.75, 0.0625, 0.25, 0.4375, 0.8125, 1, 0.125, 0.5, 0.6875, 0.875, 0.1875, 0.375,
            0.5625, 0.625, 0.8125, 1, 0.3125, 0.5, 0.6875, 0, 0.1875, 0.375, 0.75, 0.9375, 0.0625, 0.4375, 0.625,
            0.8125, 0.125, 0.3125, 0.5, 0.875, 0, 0.1875, 0.25, 0.4375, 0.625, 1, 0.125, 0.3125, 0.6875, 0.875, 0,
            0.375, 0.5625, 0.75, 0.0625, 0.25, 0.4375, 0.8125, 1, 0.125, 0.5, 0.6875, 0.875, 0.9375, 0.0625, 0.25,
            0.625, 0.8125, 1, 0.3125, 0.5, 0.6875, 0, 0.1875, 0.375, 0.75, 0.9375, 0.0625, 0.4375, 0.625, 0.8125,
            0.125, 0.3125, 0.5, 0.5625, 0.75, 0.9375, 0.25, 0.4375, 0.625, 1, 0.125, 0.3125, 0.6875, 0.875, 0, 0.375,
            0.5625, 0.75, 0.0625, 0.25, 0.4375, 0.8125, 1, 0.125]),
    ]
}
// END GENERATED
