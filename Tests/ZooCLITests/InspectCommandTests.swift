import Foundation
import Testing
import ZooFormats

@Suite struct InspectCommandTests {
    @Test(arguments: ["tiny.legacy.h5", "tiny.tfera.h5", "tiny.model.h5", "tiny.keras", "tiny.f16.h5", "tiny.split.h5"])
    func jsonMatchesTheFixtureValues(name: String) throws {
        let result = try ZooProcess.run(["inspect", "--json", Fixtures.path(name)])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        let got = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.directory.appendingPathComponent("expected/\(name).json"))) as? [String: Any])
        #expect(Set(got.keys) == ["format", "keras_version", "backend", "layers", "total_params"])
        #expect(got["format"] as? String == expected["format"] as? String)
        #expect(got["total_params"] as? Int == expected["total_params"] as? Int)
        #expect((got["keras_version"] as? String) == (expected["keras_version"] as? String))
        func strip(_ layers: Any?) -> [[String: AnyHashable]] {
            ((layers as? [[String: Any]]) ?? []).map { layer in
                ["name": layer["name"] as? String ?? "",
                 "weights": ((layer["weights"] as? [[String: Any]]) ?? []).map { w in
                     ["name": w["name"] as? String ?? "", "path": w["path"] as? String ?? "",
                      "shape": w["shape"] as? [Int] ?? [], "dtype": w["dtype"] as? String ?? ""] as [String: AnyHashable]
                 }] as [String: AnyHashable]
            }
        }
        #expect(strip(got["layers"]) == strip(expected["layers"]))
        // The text starts with the opening brace and is one object.
        #expect(result.stdout.hasPrefix("{\"format\": "))
        #expect(result.stdout.split(separator: "\n").count == 1)
    }

    /// A 40,000-character layer name prints in full, padded lines trimmed (the table used to trim
    /// with a regular expression that took seconds on such lines; issue 11, item 4).
    @Test func longLayerNamesPrintWithoutTrailingSpace() throws {
        let dir = TemporaryDirectory()
        let long = String(repeating: "n", count: 40_000)
        let weight = Weight(name: "kernel", path: "", storedName: "\(long)/kernel:0", dtype: .float32, shape: [2],
                            data: TensorData(values: [Float(1), 2]))
        let short = Weight(name: "bias", path: "", storedName: "b/bias:0", dtype: .float32, shape: [1], data: TensorData(values: [Float(3)]))
        let file = dir.file("long.h5")
        try CheckpointWriter.write(Checkpoint(format: .kerasH5Weights, kerasVersion: "2.2.4", backend: "tensorflow",
                                              layers: [CheckpointLayer(name: long, weights: [weight]), CheckpointLayer(name: "b", weights: [short])]),
                                   to: file, format: .kerasH5Weights)
        let result = try ZooProcess.run(["inspect", file])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.contains { $0.contains(long) })
        #expect(lines.allSatisfy { $0.last != " " }, "no line ends in padding")
        #expect(lines.contains { $0.hasPrefix("b ") }, "the short layer is listed too")
    }

    @Test func nullsWhereTheFileSaysNothing() throws {
        let result = try ZooProcess.run(["inspect", "--json", Fixtures.path("tiny.weights.h5")])
        #expect(result.stdout.contains("\"keras_version\": null, \"backend\": null"))
    }

    @Test func statsAddValueSums() throws {
        let result = try ZooProcess.run(["inspect", "--json", "--stats", Fixtures.path("tiny.legacy.h5")])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let layers = try #require(object["layers"] as? [[String: Any]])
        let conv1 = try #require(layers.first { $0["name"] as? String == "conv1" })
        let kernel = try #require((conv1["weights"] as? [[String: Any]])?.first)
        #expect(abs((kernel["sum"] as? Double ?? 0) - 11.280287679750472) < 1e-9)
        #expect(kernel["abs_sum"] as? Double ?? 0 > 11.28)
    }

    @Test func tableShowsLayersWeightsAndTotals() throws {
        let result = try ZooProcess.run(["inspect", Fixtures.path("tiny.tfera.h5")])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Format:   keras-h5-weights (legacy Keras weights-only HDF5)"))
        #expect(result.stdout.contains("Keras:    2.2.4    backend: tensorflow"))
        #expect(result.stdout.contains("Layers:   11 (6 with weights), 15 weights"))
        let conv1 = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("conv1 ") })
        #expect(conv1.split(separator: " ", omittingEmptySubsequences: true) == ["conv1", "kernel", "3x3x3x6", "float32", "162"])
        #expect(result.stdout.contains("Total params: 347 (1.4 KiB)"))
    }

    @Test func treeShowsGroupsDatasetsAndAttributes() throws {
        let result = try ZooProcess.run(["inspect", "--tree", Fixtures.path("tiny.tfera.h5")])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "/")
        #expect(lines.contains("  @backend = \"tensorflow\""))
        #expect(lines.contains("  @keras_version = \"2.2.4\""))
        #expect(lines.contains { $0.hasPrefix("  @layer_names = [\"input_layer\", \"conv1\"") && $0.hasSuffix("(11 strings)") })
        #expect(lines.contains("  conv1/"))
        #expect(lines.contains("    @weight_names = [\"conv1/kernel:0\", \"conv1/bias:0\"]"))
        #expect(lines.contains("      kernel:0  dataset float32 [3, 3, 3, 6]"))
        #expect(lines.contains("    @weight_names = []"))
    }

    @Test func treeShortensLongValues() throws {
        let result = try ZooProcess.run(["inspect", "--tree", Fixtures.path("tiny.model.h5")])
        let config = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("  @model_config = ") })
        #expect(config.count < 160)
        #expect(config.hasSuffix("bytes)"))
    }

    /// A group linked inside itself (issue 11: recursed until SIGSEGV after 16-25 s at 1.7 GB).
    @Test func hardLinkCycleIsRefusedNotRecursed() throws {
        let result = try ZooProcess.run(["inspect", "--tree", Fixtures.path("bad_hard_cycle.h5")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("'/conv1/conv1/loop' links back to a group that contains it (a hard-link cycle)"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        // External storage must not reach any output: convert refuses before writing.
        let dir = TemporaryDirectory()
        for output in ["x.zoo", "x.safetensors"] {
            let convert = try ZooProcess.run(["convert", Fixtures.path("bad_external_storage.h5"), dir.file(output)])
            #expect(convert.status == 1)
            #expect(convert.stderr.contains("external storage"), "\(convert.stderr)")
        }
        #expect(dir.contents.isEmpty)
    }

    @Test(arguments: [
        ("bad_not_keras.h5", "not a Keras weight file"),
        ("bad_missing_group.h5", "at HDF5 path 'ghost_layer'"),
        ("bad_dtype.h5", "conv1/conv1/kernel"),
        ("bad_duplicate_member.keras", "the member 'config.json' appears twice"),
        ("bad_external_storage.h5", "'/conv1/conv1/kernel' keeps its bytes in 1 external file(s)"),
        ("bad_external_link.h5", "'/conv1/conv1/kernel' is an external link to another file"),
        ("bad_soft_cycle.h5", "'/conv1/conv1/kernel' is a soft link that does not resolve"),
        ("does_not_exist.h5", "no such file"),
        ("README.md", "not an HDF5 file"),
    ])
    func badFilesGiveOneErrorLine(name: String, fragment: String) throws {
        let path = Fixtures.path(name)
        let result = try ZooProcess.run(["inspect", path])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(result.stderr.hasPrefix("zoo: error: \(path)"))
        #expect(result.stderr.contains(fragment))
    }

    @Test func directoriesAndUsageErrorsAreOneLineToo() throws {
        let result = try ZooProcess.run(["inspect", Fixtures.directory.path])
        #expect(result.status == 1)
        #expect(result.stderr == "zoo: error: \(Fixtures.directory.path): is a directory, expected an HDF5 file\n")
        let usage = try ZooProcess.run(["inspect"])
        #expect(usage.status != 0)
        #expect(usage.stderr.hasPrefix("zoo: error: "))
        #expect(usage.stderr.split(separator: "\n").count == 1)
    }
}
