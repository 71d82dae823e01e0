import Foundation
import Testing
import ZooFormats
@testable import ZooNative

/// Kernels stored in the compute core's panel layout (`packed`): written and read back with their
/// logical shape, the panels kept for in-place use and the plain values derived on demand.
@Suite struct PackedLayoutTests {
    @Test func packedKernelsRoundTrip() throws {
        let scratch = Scratch()
        let path = scratch.file("packed.zoo")
        let plainValues: [Float] = (0..<1080).map { (i: Int) -> Float in Float(i) * 0.5 - 300 }
        let plain = TensorData(values: plainValues)
        let panels = try #require(PackedKernel.pack(plain, shape: [3, 3, 3, 40]))
        #expect(panels.count == 2 * 32 * 27 * 4)  // 40 columns -> 2 panels of 32, 27 rows
        var tensors = sampleTensors()
        tensors[0] = .init(name: "conv/kernel", dtype: .float32, shape: [3, 3, 3, 40], layout: .packed, data: panels)
        tensors[1] = .init(name: "conv/bias", dtype: .float32, shape: [40], layout: .plain, data: TensorData(values: [Float](repeating: 1, count: 40)))
        try ZooFileWriter.write(tensors, metadata: ZooMetadata(), graph: nil, to: path)

        let reader = try ZooFileReader(path: path, verification: .eager)
        let entry = try #require(reader.entry("conv/kernel"))
        #expect(entry.layout == .packed && entry.shape == [3, 3, 3, 40] && entry.length == panels.count)
        try reader.verify()
        let weight = try #require(try reader.checkpoint().layers.first { $0.name == "conv" }?.weights.first { $0.name == "kernel" })
        #expect(weight.shape == [3, 3, 3, 40])
        #expect(weight.kernelPanels == panels)
        #expect(weight.kernelPanels?.isView == true, "the panels are used from the mapping")
        #expect(weight.data.array(of: Float.self) == plainValues)
        // Replacing the values drops the panels, which would no longer match.
        var changed = weight
        changed.data = plain
        #expect(changed.kernelPanels == nil)
    }

    @Test func writerRefusesPanelsThatDoNotFit() throws {
        let scratch = Scratch()
        var tensors = sampleTensors()
        // Plain-sized data tagged packed.
        tensors[0].layout = .packed
        #expect(throws: ZooFileError.self) { try ZooFileWriter.write(tensors, metadata: ZooMetadata(), graph: nil, to: scratch.file("a.zoo")) }
        // float16 cannot be packed.
        tensors = sampleTensors()
        tensors[2].layout = .packed
        tensors[2].shape = [3, 1]
        #expect(throws: ZooFileError.self) { try ZooFileWriter.write(tensors, metadata: ZooMetadata(), graph: nil, to: scratch.file("b.zoo")) }
        #expect(!FileManager.default.fileExists(atPath: scratch.file("a.zoo")) && !FileManager.default.fileExists(atPath: scratch.file("b.zoo")))
    }
}
