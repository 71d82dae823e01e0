import Foundation
import Testing
import ZooFormats
import ZooModels
@testable import ZooCompute

/// Layer outputs computed by Keras itself (Fixtures/compute, made by
/// Fixtures/make_compute_fixtures.py) against the executor's.
struct KerasExpectation: Decodable {
    struct Output: Decodable { let shape: [Int]; let values: [Float] }
    let model: String
    let input_shape: [Int]
    let input: [Float]
    let outputs: [String: Output]

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/compute")

    static func load(_ name: String) throws -> KerasExpectation {
        try JSONDecoder().decode(KerasExpectation.self, from: Data(contentsOf: directory.appendingPathComponent("\(name).expected.json")))
    }
}

/// max |a - b| / max |b|, the measure the interop check uses.
func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    let scale = max(b.map { abs(Double($0)) }.max() ?? 0, 1e-12)
    return zip(a, b).map { abs(Double($0) - Double($1)) }.max().map { $0 / scale } ?? 0
}

@Suite struct KerasParityTests {
    static let cases: [(String, String)] = {
        var all: [(String, String)] = []
        for model in ["ops", "block", "stem", "ops2"] {
            if let expectation = try? KerasExpectation.load(model) { all += expectation.outputs.keys.sorted().map { (model, $0) } }
        }
        return all
    }()

    @Test(arguments: cases)
    func layerMatchesKeras(model: String, layer: String) throws {
        let expectation = try KerasExpectation.load(model)
        let compiled = try Zoo.load(KerasExpectation.directory.appendingPathComponent(expectation.model).path, threads: 2)
        let input = Tensor(shape: expectation.input_shape, values: expectation.input)
        let result = try compiled.run(input, outputs: [layer])
        let expected = try #require(expectation.outputs[layer])
        let got = try #require(result[layer])
        #expect(got.shape == expected.shape)
        let error = relativeError(got.values, expected.values)
        #expect(error <= 1e-5, "\(model)/\(layer): relative error \(error)")
    }

    @Test func allOutputsAtOnceEqualOneAtATime() throws {
        let expectation = try KerasExpectation.load("block")
        let compiled = try Zoo.load(KerasExpectation.directory.appendingPathComponent(expectation.model).path)
        let input = Tensor(shape: expectation.input_shape, values: expectation.input)
        let names = expectation.outputs.keys.sorted()
        let together = try compiled.run(input, outputs: names)
        for name in names {
            let alone = try compiled.run(input, outputs: [name])
            // Requesting a convolution keeps its BatchNormalization unfolded, so values agree to
            // float32 rounding rather than bit for bit.
            #expect(together[name]?.shape == alone[name]?.shape)
            #expect(relativeError(together[name]?.values ?? [], alone[name]?.values ?? []) <= 1e-6, "\(name)")
            #expect(relativeError(together[name]?.values ?? [], expectation.outputs[name]?.values ?? []) <= 1e-5, "\(name)")
        }
    }

    @Test func concurrentRunsGiveIdenticalResults() async throws {
        let expectation = try KerasExpectation.load("ops")
        let compiled = try Zoo.load(KerasExpectation.directory.appendingPathComponent(expectation.model).path)
        let input = Tensor(shape: expectation.input_shape, values: expectation.input)
        let reference = try compiled.run(input)
        let same = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let result = try compiled.run(input)
                    return result.count == reference.count && reference.allSatisfy { sameValues($0.value, result[$0.key]) }
                }
            }
            var all = true
            for try await ok in group { all = all && ok }
            return all
        }
        #expect(same)
    }

    @Test func badRequestsAreErrors() throws {
        let expectation = try KerasExpectation.load("block")
        let compiled = try Zoo.load(KerasExpectation.directory.appendingPathComponent(expectation.model).path)
        #expect(throws: ComputeError.self) { try compiled.run(Tensor(shape: [1, 4, 4, 4], values: [Float](repeating: 0, count: 64))) }
        #expect(throws: ComputeError.self) { try compiled.run(Tensor(shape: expectation.input_shape, values: expectation.input), outputs: ["nope"]) }
    }
}
