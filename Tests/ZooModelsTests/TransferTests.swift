import Foundation
import Testing
import ZooFormats
import ZooGraph
@testable import ZooModels

@Suite struct TransferTests {
    static let model: BoundModel = {
        let graph = try! Architecture.resnet50.build()
        return try! Binder.bind(syntheticCheckpoint(graph), to: graph, scheme: .keras, mode: .strict, file: "r")
    }()

    @Test func cutKeepsTheLayerItsAncestorsAndTheirWeights() throws {
        let sliced = try Transfer.slice(Self.model, at: "conv4_block6_out")
        #expect(sliced.graph.nodes.last?.name == "conv4_block6_out")
        #expect(sliced.graph.outputs == ["conv4_block6_out"])
        #expect(sliced.graph.node("conv5_block1_1_conv") == nil)
        #expect(sliced.graph.nodes.count == 143)
        #expect(Set(sliced.weights.keys) == Set(sliced.graph.nodes.filter { !$0.weights.isEmpty }.map(\.name)))
        #expect(sliced.graph.node("conv4_block6_out")?.outputShape == [14, 14, 1024])
        #expect(sliced.weights["conv4_block6_3_conv"]?["kernel"]?.data == Self.model.weights["conv4_block6_3_conv"]?["kernel"]?.data)
        let checkpoint = sliced.checkpoint(format: .kerasH5Weights)
        #expect(checkpoint.parameterCount == sliced.graph.totalParameterCount)
    }

    @Test func freezeAndNewHead() throws {
        let head = Transfer.Head(classes: 5, pooling: .avg, seed: 42)
        let sliced = try Transfer.slice(Self.model, at: "conv5_block3_out", freezeThrough: "conv5_block3_out", head: head)
        #expect(sliced.graph.nodes.suffix(2).map(\.name) == [Transfer.headPoolName, Transfer.headDenseName])
        #expect(sliced.graph.trainableParameterCount == 2048 * 5 + 5)
        #expect(sliced.graph.totalParameterCount == 23_587_712 + 2048 * 5 + 5)
        let kernel = try #require(sliced.weights[Transfer.headDenseName]?["kernel"]).data.array(of: Float.self)
        let limit = Float((6.0 / Double(2048 + 5)).squareRoot())
        #expect(kernel.allSatisfy { abs($0) <= limit })
        #expect(Set(kernel).count > 10_000)
        #expect(try #require(sliced.weights[Transfer.headDenseName]?["bias"]).data.array(of: Float.self) == [Float](repeating: 0, count: 5))
        // Same seed, same head; another seed, another head.
        let again = try Transfer.slice(Self.model, at: "conv5_block3_out", head: head)
        #expect(again.weights[Transfer.headDenseName]?["kernel"]?.data == sliced.weights[Transfer.headDenseName]?["kernel"]?.data)
        let other = try Transfer.slice(Self.model, at: "conv5_block3_out", head: Transfer.Head(classes: 5, seed: 7))
        #expect(other.weights[Transfer.headDenseName]?["kernel"]?.data != sliced.weights[Transfer.headDenseName]?["kernel"]?.data)
    }

    @Test func badSliceRequestsAreErrors() throws {
        #expect(throws: GraphError.unknownNode("nope")) { try Transfer.slice(Self.model, at: "nope") }
        #expect(throws: GraphError.self) { try Transfer.slice(Self.model, at: "conv3_block4_out", freezeThrough: "conv5_block1_out") }
        #expect(throws: GraphError.self) { try Transfer.slice(Self.model, at: "conv3_block4_out", head: Transfer.Head(classes: 3, pooling: .none)) }
    }

    @Test func recordsItsParent() throws {
        let record = SliceRecord(parentArchitecture: "resnet50", sourceFile: "r.h5", sourceSHA256: String(repeating: "a", count: 64), cutPoint: "conv4_block6_out")
        let decoded = try JSONDecoder().decode(SliceRecord.self, from: Data(record.json.utf8))
        #expect(decoded == record)
        #expect(record.json.contains("\"cutPoint\":\"conv4_block6_out\""))
    }

    @Test func sha256MatchesKnownVectors() throws {
        let empty = SHA256()
        #expect(empty.finalizeHex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let abc = SHA256()
        Array("abc".utf8).withUnsafeBytes { abc.update($0) }
        #expect(abc.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = SHA256()
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        million.withUnsafeBytes { long.update(UnsafeRawBufferPointer(rebasing: $0.prefix(333))); long.update(UnsafeRawBufferPointer(rebasing: $0.dropFirst(333))) }
        #expect(long.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
