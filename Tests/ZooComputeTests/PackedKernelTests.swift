import CZooKernels
import Foundation
import Testing
import ZooGraph
import ZooModels
import ZooFormats
import ZooNative
@testable import ZooCompute

/// The `.zoo` `packed` layout is exactly what the GEMM's packer writes, and unpacks losslessly.
@Suite struct PackedKernelTests {
    @Test(arguments: [[3, 3, 5, 7], [1, 1, 64, 32], [2048, 1000], [7, 33], [3, 3, 2, 65]])
    func packedLayoutIsTheKernelsOwn(shape: [Int]) throws {
        let count = shape.reduce(1, *)
        let values = (0..<count).map { Float($0 % 251) - 125.5 }
        let plain = TensorData(values: values)
        let packed = try #require(PackedKernel.pack(plain, shape: shape))
        let (rows, columns) = try #require(PackedKernel.matrix(shape))
        #expect(packed.count == zoo_pack_b_size(Int32(rows), Int32(columns)))
        #expect(PackedKernel.byteCount(shape: shape) == packed.count)
        var reference = [Float](repeating: .nan, count: packed.count / 4)
        values.withUnsafeBufferPointer { src in
            reference.withUnsafeMutableBufferPointer { zoo_pack_b(Int32(rows), Int32(columns), src.baseAddress!, Int32(columns), $0.baseAddress!) }
        }
        #expect(packed.array(of: Float.self) == reference)
        // The plain view is made from the panels on first read and equals the original.
        let back = try #require(PackedKernel.deferredPlain(packed, shape: shape))
        #expect(back.count == count * 4)
        #expect(back == plain)
        // And the GEMM takes the panels in place.
        let inPlace = try #require(MatrixMultiply.PreparedMatrix(k: rows, n: columns, panels: packed))
        #expect(inPlace.isBorrowed)
        #expect(MatrixMultiply.PreparedMatrix(k: rows + 1, n: columns, panels: packed) == nil)
    }

    @Test func unpackableShapesAreRefused() {
        #expect(PackedKernel.byteCount(shape: [5]) == nil)
        #expect(PackedKernel.byteCount(shape: [3, 0]) == nil)
        #expect(PackedKernel.byteCount(shape: [Int.max / 2, 64]) == nil)
        #expect(PackedKernel.pack(TensorData(values: [Float](repeating: 1, count: 5)), shape: [2, 3]) == nil)
    }

    /// A model written with packed kernels runs on the file's panels in place (no packing at
    /// load) and gives the same outputs as the plain file.
    @Test func packedZooRunsOnTheMappedPanels() throws {
        let path = KerasExpectation.directory.appendingPathComponent("block.keras").path
        let loaded = try ModelLoader(mode: .strict).load(path)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-packed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let packed = dir.appendingPathComponent("p.zoo").path, plain = dir.appendingPathComponent("f.zoo").path
        let usesPanels: @Sendable (Node, Graph) -> Bool = { CompiledModel.usesKernelPanels($0, in: $1) }
        try ZooExport.write(loaded, sourceFile: "block.keras", sourceSHA256: "", to: packed,
                            options: .init(foldBatchNorm: true, packKernel: usesPanels))
        try ZooExport.write(loaded, sourceFile: "block.keras", sourceSHA256: "", to: plain, options: .init(foldBatchNorm: true))
        let a = try Zoo.load(packed), b = try Zoo.load(plain)
        let shape = [2] + a.inputShape
        let input = Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { Float($0 % 19) / 5 - 1.7 })
        let names = a.model.graph.nodes.map(\.name).filter { $0 != "input_layer" }
        #expect(sameValues(try a.run(input, outputs: names)[names.last!], try b.run(input, outputs: names)[names.last!]))
        let plan = try a.plan(batch: 2, outputs: [], threads: 1)
        let borrowed = plan.steps.compactMap { step -> Bool? in
            if case .convolution(let kernel, _) = step.kind { return kernel.weights.isBorrowed }
            return nil
        }
        #expect(!borrowed.isEmpty && borrowed.allSatisfy { $0 }, "every convolution multiplies by the file's panels")
        let plainPlan = try b.plan(batch: 2, outputs: [], threads: 1)
        #expect(plainPlan.steps.allSatisfy { if case .convolution(let k, _) = $0.kind { return !k.weights.isBorrowed } else { return true } })
    }
}
