import Foundation
import Testing
import ZooFormats

@Suite(.serialized) struct ComputeCommandTests {
    struct Expectation: Decodable {
        struct Output: Decodable { let shape: [Int]; let values: [Float] }
        let model: String
        let input_shape: [Int]
        let input: [Float]
        let outputs: [String: Output]
    }

    func expectation(_ name: String) throws -> Expectation {
        try JSONDecoder().decode(Expectation.self, from: Data(contentsOf: Fixtures.directory.appendingPathComponent("compute/\(name).expected.json")))
    }

    func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        let scale = max(b.map { abs(Double($0)) }.max() ?? 0, 1e-12)
        return zip(a, b).map { abs(Double($0) - Double($1)) }.max().map { $0 / scale } ?? 0
    }

    @Test func predictWritesTheRequestedLayers() throws {
        let dir = TemporaryDirectory()
        let e = try expectation("block")
        let input = dir.file("x.npy")
        try NumpyArray(dtype: .float32, shape: e.input_shape, data: TensorData(values: e.input)).write(to: input)
        let model = Fixtures.path("compute/\(e.model)")
        // One layer: a .npy.
        let single = dir.file("y.npy")
        let one = try ZooProcess.run(["predict", model, "--input", input, "--output", single, "--layer", "b_out"])
        #expect(one.status == 0, "\(one.stderr)")
        let y = try NumpyArray.read(single)
        #expect(y.shape == [2, 4, 4, 8])
        #expect(relativeError(y.data.array(of: Float.self), e.outputs["b_out"]?.values ?? []) <= 1e-5)
        // Several layers: a .npz, with --batch 1 splitting the input.
        let many = dir.file("y.npz")
        let result = try ZooProcess.run(["predict", model, "--input", input, "--output", many, "--layer", "b_1_relu", "--layer", "b_add", "--batch", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        let arrays = try NumpyArchive.read(many)
        #expect(arrays.map(\.name) == ["b_1_relu", "b_add"])
        for (name, array) in arrays {
            #expect(relativeError(array.data.array(of: Float.self), e.outputs[name]?.values ?? []) <= 1e-5, "\(name)")
        }
        // A folder of LAYER.npy files.
        let folder = dir.file("out/")
        #expect(try ZooProcess.run(["predict", model, "--input", input, "--output", folder, "--layer", "b_2_bn", "--layer", "b_0_bn"]).status == 0)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder)) == ["b_2_bn.npy", "b_0_bn.npy"])
    }

    @Test func predictRejectsBadInputs() throws {
        let dir = TemporaryDirectory()
        let e = try expectation("block")
        let model = Fixtures.path("compute/\(e.model)")
        let wrongShape = dir.file("bad.npy")
        try NumpyArray(dtype: .float32, shape: [1, 3, 3, 4], data: TensorData(values: [Float](repeating: 0, count: 36))).write(to: wrongShape)
        let shape = try ZooProcess.run(["predict", model, "--input", wrongShape, "--output", dir.file("y.npy")])
        #expect(shape.status != 0)
        #expect(shape.stderr.contains("expected shape [batch] + [8, 8, 4]"))
        let ints = dir.file("ints.npy")
        try NumpyArray(dtype: .int32, shape: [1, 8, 8, 4], data: TensorData(values: [Int32](repeating: 1, count: 256))).write(to: ints)
        #expect(try ZooProcess.run(["predict", model, "--input", ints, "--output", dir.file("y.npy")]).stderr.contains("expected a float32 array"))
        let garbage = dir.file("garbage.npy")
        try Data("not numpy".utf8).write(to: URL(fileURLWithPath: garbage))
        let g = try ZooProcess.run(["predict", model, "--input", garbage, "--output", dir.file("y.npy")])
        #expect(g.status == 1)
        #expect(g.stderr.hasPrefix("zoo: error: \(garbage)"))
        let layer = try ZooProcess.run(["predict", model, "--input", wrongShape, "--output", dir.file("y.npy"), "--layer", "nope"])
        #expect(layer.status != 0)
        #expect(!FileManager.default.fileExists(atPath: dir.file("y.npy")))
    }

    @Test func benchReportsThroughput() throws {
        let result = try ZooProcess.run(["bench", Fixtures.path("compute/block.keras"), "--batch", "2", "--iterations", "3", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["batch"] as? Int == 2)
        #expect((object["images_per_second"] as? Double ?? 0) > 0)
        #expect((object["flops_per_run"] as? Double ?? 0) > 0)
        #expect((object["peak_activation_bytes"] as? Int ?? 0) > 0)
        // The machine: the CPU's name and the kernels it can run, the one used among them.
        #expect(!(object["cpu"] as? String ?? "").isEmpty)
        let supported = object["kernels_supported"] as? [String] ?? []
        #expect(supported.last == "portable" && supported.contains(object["kernel"] as? String ?? "?"))
    }

    @Test func benchProfileTimesEveryStep() throws {
        let result = try ZooProcess.run(["bench", Fixtures.path("compute/block.keras"), "--batch", "1", "--iterations", "3", "--json", "--profile"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let steps = try #require(object["profile"] as? [[String: Any]])
        // The block's convolutions are all there, slowest first, and their FLOPs add up to the run's.
        let names = steps.compactMap { $0["name"] as? String }
        #expect(Set(names).isSuperset(of: ["b_1_conv", "b_2_conv"]))
        let times = steps.compactMap { $0["ms"] as? Double }
        #expect(times == times.sorted(by: >) && times.count == steps.count)
        let flops = steps.compactMap { $0["flops"] as? Double }.reduce(0, +)
        #expect(abs(flops - (object["flops_per_run"] as? Double ?? -1)) < 0.5)
        #expect((object["profile_ms_by_kind"] as? [String: Double])?["conv"] != nil)
    }

    /// `convert --pack`: folded, kernels in the GEMM's panel layout; other readers see the same
    /// values as a plain folded file, and predictions still match Keras.
    @Test func packedZooPredictsLikeKeras() throws {
        let dir = TemporaryDirectory()
        let e = try expectation("block")
        let model = Fixtures.path("compute/\(e.model)")
        let packed = dir.file("packed.zoo"), folded = dir.file("folded.zoo")
        let pack = try ZooProcess.run(["convert", model, packed, "--pack"])
        #expect(pack.status == 0, "\(pack.stderr)")
        #expect(pack.stderr.contains("kernels packed"))
        #expect(try ZooProcess.run(["convert", model, folded, "--fold-bn"]).status == 0)
        let diff = try ZooProcess.run(["diff", packed, folded, "--atol", "0", "--rtol", "0"])
        #expect(diff.status == 0, "\(diff.stdout)")
        #expect(try ZooProcess.run(["verify", packed]).status == 0)
        let input = dir.file("x.npy")
        try NumpyArray(dtype: .float32, shape: e.input_shape, data: TensorData(values: e.input)).write(to: input)
        let out = dir.file("y.npy")
        let run = try ZooProcess.run(["predict", packed, "--input", input, "--output", out, "--layer", "b_out"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(relativeError(try NumpyArray.read(out).data.array(of: Float.self), e.outputs["b_out"]?.values ?? []) <= 1e-5)
        // Only .zoo files hold the packed layout; float16 kernels cannot be packed.
        let wrong = try ZooProcess.run(["convert", model, dir.file("x.safetensors"), "--pack"])
        #expect(wrong.status != 0 && wrong.stderr.contains("--pack"))
        let half = try ZooProcess.run(["convert", model, dir.file("h.zoo"), "--pack", "--dtype", "float16"])
        #expect(half.status != 0 && half.stderr.contains("--pack"))
    }
}
