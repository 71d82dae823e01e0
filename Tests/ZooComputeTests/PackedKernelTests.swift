import CZooKernels
import Testing
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
}
