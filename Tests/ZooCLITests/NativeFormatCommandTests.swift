import Foundation
import Testing
import ZooFormats
import ZooModels
import ZooNative

@Suite(.serialized) struct NativeFormatCommandTests {
    func json(_ arguments: [String]) throws -> [String: Any] { try zooJSON(arguments) }

    @Test func kerasToZooAndBackIsBitIdentical() throws {
        let dir = TemporaryDirectory()
        let zoo = dir.file("vgg.zoo")
        #expect(try ZooProcess.run(["convert", vggFile, zoo]).status == 0)
        let reader = try ZooFileReader(path: zoo, verification: .eager)
        #expect(reader.entries.count == 26)
        #expect(reader.entries.first?.layout == .hwio)
        let metadata = try reader.metadata()
        #expect(metadata.architecture == "vgg16")
        #expect(metadata.preprocessing == .caffe)
        #expect(metadata.source?.sha256 == (try SHA256.hexDigest(ofFile: vggFile)))
        #expect(metadata.inputShape == [224, 224, 3])
        #expect(try reader.graph()?.nodes.count == 19)
        let summary = try json(["summary", "--json", zoo])
        #expect(summary["architecture"] as? String == "vgg16")
        #expect((summary["binding"] as? [String: Any])?["matched"] as? Int == 26)
        let inspected = try json(["inspect", "--json", zoo])
        #expect(inspected["format"] as? String == "zoo")
        #expect(inspected["total_params"] as? Int == 14_714_688)
        let back = dir.file("back.h5")
        #expect(try ZooProcess.run(["convert", zoo, back]).status == 0)
        let diff = try ZooProcess.run(["diff", back, vggFile])
        #expect(diff.status == 0, "\(diff.stdout)")
        #expect(diff.stdout.contains("equal: 26 tensors compared, 0 beyond tolerance"))
        let verify = try ZooProcess.run(["verify", zoo])
        #expect(verify.status == 0)
        #expect(verify.stdout.hasPrefix("ok: \(zoo): zoo 1.0, 26 tensors"))
    }

    @Test func corruptionIsReportedWithTheTensorName() throws {
        let dir = TemporaryDirectory()
        let zoo = dir.file("vgg.zoo")
        #expect(try ZooProcess.run(["convert", vggFile, zoo, "--align", "4096"]).status == 0)
        let reader = try ZooFileReader(path: zoo)
        #expect(reader.entries.allSatisfy { $0.offset % 4096 == 0 })
        let target = try #require(reader.entry("block3_conv2/kernel"))
        let handle = try #require(FileHandle(forUpdatingAtPath: zoo))
        try handle.seek(toOffset: UInt64(target.offset + 1000))
        let byte = try #require(try handle.read(upToCount: 1)).first ?? 0
        try handle.seek(toOffset: UInt64(target.offset + 1000))
        handle.write(Data([byte ^ 0x01]))
        try handle.close()
        let verify = try ZooProcess.run(["verify", zoo])
        #expect(verify.status == 1)
        #expect(verify.stderr == "zoo: error: \(zoo): checksum mismatch in tensor 'block3_conv2/kernel' (the data is corrupt)\n")
        // Every command that reads the tensors refuses the corrupt file too: no silent wrong
        // numbers, and no conversion into a fresh file that would pass verify (issue 11, item 7).
        for arguments in [["convert", zoo, dir.file("laundered.zoo")], ["convert", zoo, dir.file("laundered.h5")],
                          ["summary", zoo], ["inspect", zoo, "--stats"], ["diff", zoo, vggFile]] {
            let result = try ZooProcess.run(arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr.contains("checksum mismatch in tensor 'block3_conv2/kernel'"), "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("laundered.zoo")))
        // The Swift API can still open it unverified, on request.
        #expect(throws: Error.self) { try ZooModels.ModelLoader().load(zoo) }
        #expect((try? ZooModels.ModelLoader(verification: .none).load(zoo)) != nil)
        let bad = try ZooProcess.run(["convert", vggFile, dir.file("x.zoo"), "--align", "48"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("power of two"))
    }

    @Test func dtypeConversionReportsErrorsAndDiffTolerates() throws {
        let dir = TemporaryDirectory()
        let half = dir.file("half.zoo")
        let result = try ZooProcess.run(["convert", vggFile, half, "--dtype", "float16"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 26)
        #expect(lines.allSatisfy { $0.contains("\tmax_abs_error=") })
        let reader = try ZooFileReader(path: half)
        #expect(reader.entries.allSatisfy { $0.dtype == .float16 })
        #expect(try reader.metadata().dtypeConversion?.count == 26)
        // Values up to ~1 round to float16 within 2^-11 relative.
        #expect(try ZooProcess.run(["diff", half, vggFile]).status == 1)
        let close = try ZooProcess.run(["diff", half, vggFile, "--rtol", "0.001"])
        #expect(close.status == 0, "\(close.stdout)")
        let bf16 = dir.file("b.safetensors")
        #expect(try ZooProcess.run(["convert", vggFile, bf16, "--dtype", "bfloat16"]).status == 0)
        #expect(try json(["inspect", "--json", bf16])["format"] as? String == "safetensors")
        #expect(try ZooProcess.run(["diff", bf16, vggFile, "--rtol", "0.004"]).status == 0)
    }

    @Test func torchvisionSafetensorsDiffAgainstKeras() throws {
        let dir = TemporaryDirectory()
        let st = dir.file("tv.safetensors")
        #expect(try ZooProcess.run(["convert", vggFile, st, "--naming", "torchvision"]).status == 0)
        let checkpoint = try SafetensorsFile.read(st)
        #expect(checkpoint.layers.first?.name == "features.0")
        #expect(checkpoint.layers.first?.weights.first?.shape == [64, 3, 3, 3])
        let diff = try ZooProcess.run(["diff", "--json", st, vggFile])
        #expect(diff.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as? [String: Any])
        #expect(object["equal"] as? Bool == true)
        #expect((object["tensors"] as? [Any])?.count == 26)
    }

    @Test func diffFindsMissingExtraAndChangedTensors() throws {
        let a = try ZooProcess.run(["diff", Fixtures.path("tiny.legacy.h5"), Fixtures.path("tiny.model.h5")])
        #expect(a.status == 1)
        #expect(a.stdout.contains("DIFFERS: conv1/kernel"))
        let same = try ZooProcess.run(["diff", Fixtures.path("tiny.legacy.h5"), Fixtures.path("tiny.tfera.h5")])
        #expect(same.status == 1)  // the depthwise kernel is named differently in the two eras
        #expect(same.stdout.contains("only in A:     dw/kernel"))
        #expect(same.stdout.contains("only in B:     dw/depthwise_kernel"))
    }

    /// A tensor reshaped in one file is a shape change, not "only in B" (issue 11, item 8).
    @Test func diffReportsAReshapedTensorAsAShapeChange() throws {
        let dir = TemporaryDirectory()
        var checkpoint = try CheckpointReader.read(vggFile)
        let layer = try #require(checkpoint.layers.firstIndex { $0.name == "block1_conv1" })
        let bias = try #require(checkpoint.layers[layer].weights.firstIndex { $0.name.hasPrefix("bias") })
        checkpoint.layers[layer].weights[bias].shape = [8, 8]
        let reshaped = dir.file("reshaped.h5")
        try CheckpointWriter.write(checkpoint, to: reshaped, format: .kerasH5Weights)
        let result = try ZooProcess.run(["diff", vggFile, reshaped, "--json"])
        #expect(result.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((object["only_in_a"] as? [Any])?.isEmpty == true)
        #expect((object["only_in_b"] as? [Any])?.isEmpty == true)
        let changed = try #require(object["shape_changed"] as? [[String: Any]])
        #expect(changed.count == 1)
        #expect(changed.first?["name"] as? String == "block1_conv1/bias")
        #expect(changed.first?["a"] as? [Int] == [64] && changed.first?["b"] as? [Int] == [8, 8])
        let text = try ZooProcess.run(["diff", vggFile, reshaped])
        #expect(text.stdout.contains("shape changed: block1_conv1/bias [64] -> [8, 8]"))
        #expect(text.stdout.contains("1 shape changes"))
    }
}
