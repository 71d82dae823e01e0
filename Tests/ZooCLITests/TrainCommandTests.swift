import Foundation
import Testing
import ZooFormats
import ZooModels

/// `zoo train`, `zoo evaluate`, `zoo gradients` and `zoo predict` on .npz data, end to end,
/// against the Keras fit results in Fixtures/train.
@Suite(.serialized) struct TrainCommandTests {
    static let model = Fixtures.path("train/train_ops.keras")
    static let data = Fixtures.path("train/train_ops.data.npz")

    func arrays(_ path: String) throws -> [String: NumpyArray] {
        var result: [String: NumpyArray] = [:]
        for (name, array) in try NumpyArchive.read(path) { result[name] = array }
        return result
    }

    func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        let scale = max(b.map { abs(Double($0)) }.max() ?? 0, 1e-6)
        return zip(a, b).map { abs(Double($0) - Double($1)) }.max().map { $0 / scale } ?? 0
    }

    /// Every weight of a trained model file against Keras's weights after the same fit.
    func expectMatchesKeras(_ path: String, expected name: String) throws {
        let trained = try ModelLoader(mode: .strict).load(path).model
        let expected = try arrays(Fixtures.path("train/\(name)"))
        var compared = 0
        for (key, keras) in expected where key != "history_loss" {
            let parts = key.split(separator: "/").map(String.init)
            let weight = try #require(trained.weights[parts[0]]?[parts[1]], "\(path) lacks \(key)")
            let error = relativeError(DTypeConversion.floats(weight), keras.data.array(of: Float.self))
            #expect(error <= 1e-4, "\(key): relative error \(error)")
            compared += 1
        }
        #expect(compared >= 20)
    }

    func writeData(_ path: String, x: [Float], shape: [Int], y: [Int32]) throws {
        try NumpyArchive.write([("x", NumpyArray(float32: x, shape: shape)),
                                ("y", NumpyArray(dtype: .int32, shape: [y.count], data: TensorData(values: y)))], to: path)
    }

    @Test func trainMatchesKerasFitAndWritesEveryFormat() throws {
        let dir = TemporaryDirectory()
        for output in ["sgd.keras", "sgd.model.h5", "sgd.zoo", "sgd.h5"] {
            let result = try ZooProcess.run(["train", Self.model, "--data", Self.data, "--epochs", "2", "--batch", "4", "--optimizer", "sgd",
                                             "--learning-rate", "0.05", "--momentum", "0.9", "--no-shuffle", "--json", "-o", dir.file(output)])
            #expect(result.status == 0, "\(result.stderr)")
            try expectMatchesKeras(dir.file(output), expected: "train_ops.sgd.after.npz")
            // One JSON line per epoch, then the outcome.
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.count == 3)
            let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
            #expect(first["event"] as? String == "epoch")
            #expect(first["epoch"] as? Int == 1)
            #expect((first["loss"] as? Double ?? -1) > 0)
            #expect((first["accuracy"] as? Double).map { $0 >= 0 && $0 <= 1 } == true)
        }
        // A plain .h5 of a model with a config is a full model (its config and trainable flags kept).
        let inspect = try ZooProcess.run(["inspect", "--json", dir.file("sgd.h5")])
        #expect(inspect.stdout.contains("\"keras-h5-model\""), "\(inspect.stdout.prefix(200))")
    }

    @Test func adamWithFrozenPrefixAndLossHistory() throws {
        let dir = TemporaryDirectory()
        // The frozen model's flags come from the file; --freeze-through gives the same on the unfrozen one.
        for (model, extra) in [(Fixtures.path("train/train_ops_frozen.keras"), [String]()), (Self.model, ["--freeze-through", "bn_dw"])] {
            let out = dir.file("adam.keras")
            let result = try ZooProcess.run(["train", model, "--data", Self.data, "--epochs", "2", "--batch", "4", "--optimizer", "adam",
                                             "--learning-rate", "0.01", "--no-shuffle", "-o", out] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("frozen layers run inference-only up to rescale, relu1, bn_dw, tanh"), "\(result.stderr)")
            try expectMatchesKeras(out, expected: "train_ops.adam_frozen.after.npz")
        }
    }

    @Test func evaluateAndPredictAgree() throws {
        let dir = TemporaryDirectory()
        let evaluation = try zooJSON(["evaluate", Self.model, "--data", Self.data, "--json"])
        let predicted = dir.file("p.npy")
        let run = try ZooProcess.run(["predict", Self.model, "--input", Self.data, "--output", predicted])
        #expect(run.status == 0, "\(run.stderr)")
        let probs = try NumpyArray.read(predicted).data.array(of: Float.self)
        let labels = try arrays(Self.data)["y"].map { $0.data.array(of: Int32.self) } ?? []
        #expect(probs.count == labels.count * 4)
        var loss = 0.0, correct = 0
        for (i, label) in labels.enumerated() {
            let row = Array(probs[(i * 4)..<(i * 4 + 4)])
            loss -= log(Double(min(max(row[Int(label)], 1e-7), 1 - 1e-7)))
            if row.firstIndex(of: row.max() ?? 0) == Int(label) { correct += 1 }
        }
        #expect(abs((evaluation["loss"] as? Double ?? 0) - loss / Double(labels.count)) < 1e-5)
        #expect(abs((evaluation["accuracy"] as? Double ?? -1) - Double(correct) / Double(labels.count)) < 1e-9)
        #expect(evaluation["samples"] as? Int == 12)
    }

    @Test func gradientsMatchJAX() throws {
        let dir = TemporaryDirectory()
        let batch = dir.file("batch.npz")
        let all = try arrays(Self.data)
        let x = try #require(all["x"]).data.array(of: Float.self)
        let y = try #require(all["y"]).data.array(of: Int32.self)
        try writeData(batch, x: Array(x.prefix(4 * 8 * 8 * 3)), shape: [4, 8, 8, 3], y: Array(y.prefix(4)))
        let out = dir.file("g.npz")
        let result = try ZooProcess.run(["gradients", Self.model, "--data", batch, "-o", out])
        #expect(result.status == 0, "\(result.stderr)")
        let ours = try arrays(out)
        let keras = try arrays(Fixtures.path("train/train_ops.grads.npz"))
        var compared = 0
        for (key, expected) in keras where key.contains("/") && !key.hasSuffix("moving_mean") && !key.hasSuffix("moving_variance") {
            let mine = try #require(ours[key], "no gradient \(key)")
            #expect(relativeError(mine.data.array(of: Float.self), expected.data.array(of: Float.self)) <= 1e-4, "\(key)")
            compared += 1
        }
        #expect(compared >= 15)
    }

    @Test func checkpointResumeEqualsOneRun() throws {
        let dir = TemporaryDirectory()
        let common = ["--data", Self.data, "--batch", "4", "--optimizer", "adam", "--learning-rate", "0.01", "--seed", "3",
                      "--augment", "flip,translate=0.1", "--validation-split", "0.25"]
        let straight = try ZooProcess.run(["train", Self.model, "--epochs", "3", "-o", dir.file("straight.keras")] + common)
        #expect(straight.status == 0, "\(straight.stderr)")
        let first = try ZooProcess.run(["train", Self.model, "--epochs", "1", "--checkpoint", dir.file("ckpt"), "-o", dir.file("one.keras")] + common)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.file("ckpt/checkpoint.npz")))
        let resumed = try ZooProcess.run(["train", Self.model, "--epochs", "3", "--checkpoint", dir.file("ckpt"), "--resume", "--json",
                                          "-o", dir.file("resumed.keras")] + common)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        // The resumed run did epochs 2 and 3 only.
        #expect(resumed.stdout.split(separator: "\n").filter { $0.contains("\"epoch\"") }.map { String($0) }.first?.contains("\"epoch\": 2") == true)
        let a = try ModelLoader(mode: .strict).load(dir.file("straight.keras")).model
        let b = try ModelLoader(mode: .strict).load(dir.file("resumed.keras")).model
        for node in a.graph.nodes {
            for spec in node.weights {
                let left = try #require(a.weights[node.name]?[spec.name]).data.array(of: Float.self)
                let right = try #require(b.weights[node.name]?[spec.name]).data.array(of: Float.self)
                #expect(left == right, "\(node.name)/\(spec.name) differs after resume")
            }
        }
    }

    @Test func killedRunResumesFromItsLastCheckpoint() throws {
        let dir = TemporaryDirectory()
        let checkpoint = dir.file("ckpt")
        let process = Process()
        process.executableURL = ZooProcess.executable
        process.arguments = ["train", Self.model, "--data", Self.data, "--epochs", "100000", "--batch", "4", "--optimizer", "sgd",
                             "--learning-rate", "0.01", "--checkpoint", checkpoint, "-o", dir.file("never.keras")]
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: checkpoint + "/checkpoint.npz") && Date() < deadline { usleep(20_000) }
        usleep(150_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(!FileManager.default.fileExists(atPath: dir.file("never.keras")))
        // Whatever moment the kill hit, the checkpoint is whole and the run goes on from it.
        let resumed = try ZooProcess.run(["train", Self.model, "--data", Self.data, "--epochs", "100000", "--batch", "4", "--optimizer", "sgd",
                                          "--learning-rate", "0.01", "--checkpoint", checkpoint, "--resume", "--epochs", "1", "-o", dir.file("after.keras")])
        // --epochs 1 is already done by the checkpoint: the resumed run writes the checkpointed weights at once.
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let checkpointed = try arrays(checkpoint + "/checkpoint.npz")
        #expect(checkpointed["meta"]?.dtype == .uint8)
        // Those are trained weights (the checkpoint's), not the source's.
        let after = try ModelLoader(mode: .strict).load(dir.file("after.keras")).model
        let source = try ModelLoader(mode: .strict).load(Self.model).model
        let moved = after.graph.nodes.flatMap { node in node.weights.map { (node.name, $0.name) } }.filter { layer, weight in
            after.weights[layer]?[weight]?.data.array(of: Float.self) != source.weights[layer]?[weight]?.data.array(of: Float.self)
        }
        #expect(moved.count > 10, "only \(moved.count) weights differ from the source")
    }

    @Test func badInputFailsWithOneLineAndWritesNothing() throws {
        let dir = TemporaryDirectory()
        let out = dir.file("out.keras")
        let outOfRange = dir.file("labels.npz")
        let all = try arrays(Self.data)
        let x = try #require(all["x"]).data.array(of: Float.self)
        try writeData(outOfRange, x: x, shape: [12, 8, 8, 3], y: Array(repeating: 9, count: 12))
        let wrongShape = dir.file("shape.npz")
        try writeData(wrongShape, x: Array(x.prefix(12 * 4 * 4 * 3)), shape: [12, 4, 4, 3], y: Array(repeating: 0, count: 12))
        let base = ["train", Self.model, "--epochs", "1", "--batch", "4", "--optimizer", "sgd", "-o", out]
        let cases: [([String], String)] = [
            (base + ["--data", outOfRange, "--learning-rate", "0.1"], "label 9 is out of range for a head of 4 classes"),
            (base + ["--data", wrongShape, "--learning-rate", "0.1"], "the images have shape [4, 4, 3], the model takes [8, 8, 3]"),
            (base + ["--data", Self.data, "--learning-rate", "0"], "--learning-rate must be > 0"),
            (base + ["--data", Self.data, "--learning-rate=-1"], "--learning-rate must be > 0"),
            (base + ["--data", Self.data, "--learning-rate", "0.1", "--train-from", "conv_dilatd"], "--train-from: no layer 'conv_dilatd' in the model; nearest: conv_dilated"),
            (base + ["--data", Self.data, "--learning-rate", "0.1", "--optimizer", "adagrad"], "unknown --optimizer 'adagrad'"),
            (base + ["--data", Self.data, "--learning-rate", "0.1", "--augment", "blur=2"], "unknown augmentation step 'blur=2'"),
            (base + ["--data", dir.file("missing.npz"), "--learning-rate", "0.1"], "missing.npz"),
        ]
        for (arguments, message) in cases {
            let result = try ZooProcess.run(arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr.hasPrefix("zoo: error: "), "\(result.stderr)")
            #expect(result.stderr.contains(message), "expected '\(message)' in: \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        #expect(dir.contents.filter { $0.hasPrefix(".") }.isEmpty, "temporary files left: \(dir.contents)")
    }

    /// Names reach error lines escaped and capped (issue 11): an ESC sequence or a newline in a
    /// layer name cannot clear the screen or forge a second `zoo: error:` line.
    @Test func errorLinesEscapeControlCharactersAndCapLength() throws {
        let hostile = "bn\u{1B}[2J\nzoo: error: forged" + String(repeating: "x", count: 20_000)
        let result = try ZooProcess.run(["train", Self.model, "--data", Self.data, "--epochs", "1", "--batch", "4", "--optimizer", "sgd",
                                         "--learning-rate", "0.1", "--train-from", hostile, "-o", TemporaryDirectory().file("o.keras")])
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr.prefix(300))")
        #expect(!result.stderr.contains("\u{1B}"))
        #expect(result.stderr.contains("bn\\x1B[2J\\x0Azoo: error: forged"), "\(result.stderr.prefix(300))")
        #expect(result.stderr.utf8.count < 4300)
        // An empty batch is an error, not an empty output.
        let dir = TemporaryDirectory()
        try writeData(dir.file("empty.npz"), x: [], shape: [0, 8, 8, 3], y: [])
        let predict = try ZooProcess.run(["predict", Self.model, "--input", dir.file("empty.npz"), "--output", dir.file("out/")])
        #expect(predict.status == 1)
        #expect(predict.stderr.contains("holds no images"), "\(predict.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("out")))
    }

    @Test func nonFiniteLossStopsAndKeepsTheLastCheckpoint() throws {
        let dir = TemporaryDirectory()
        let checkpoint = dir.file("ckpt")
        // One good epoch leaves a checkpoint.
        let good = try ZooProcess.run(["train", Self.model, "--data", Self.data, "--epochs", "1", "--batch", "4", "--optimizer", "sgd",
                                       "--learning-rate", "0.01", "--checkpoint", checkpoint, "-o", dir.file("good.keras")])
        #expect(good.status == 0, "\(good.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: checkpoint + "/checkpoint.npz"))
        // Data with an infinite pixel then makes the loss NaN in epoch 2.
        let all = try arrays(Self.data)
        var x = try #require(all["x"]).data.array(of: Float.self)
        x[5] = .infinity
        let poisoned = dir.file("inf.npz")
        try writeData(poisoned, x: x, shape: [12, 8, 8, 3], y: try #require(all["y"]).data.array(of: Int32.self))
        let bad = try ZooProcess.run(["train", Self.model, "--data", poisoned, "--epochs", "5", "--batch", "4", "--optimizer", "sgd",
                                      "--learning-rate", "0.01", "--checkpoint", checkpoint, "--resume", "-o", dir.file("bad.keras")])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("the loss became"), "\(bad.stderr)")
        #expect(bad.stderr.contains("epoch 2, step"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("bad.keras")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: checkpoint + "/checkpoint.npz")) == before)
    }

    @Test func featureExtractionWithNewHeadAndEarlyStopping() throws {
        let dir = TemporaryDirectory()
        let out = dir.file("head.keras")
        let result = try ZooProcess.run(["train", Self.model, "--data", Self.data, "--at", "concat_vec", "--head-classes", "4", "--dropout", "0.2",
                                         "--epochs", "40", "--batch", "4", "--optimizer", "adam", "--learning-rate", "0.05", "--seed", "1",
                                         "--validation-split", "0.25", "--early-stopping", "2", "--json", "-o", out,
                                         "--freeze-through", "concat_vec"])
        #expect(result.status == 0, "\(result.stderr)")
        let model = try ModelLoader(mode: .strict).load(out).model
        #expect(model.graph.node("head_dropout") != nil)
        #expect(model.graph.node("head_predictions")?.trainable == true)
        #expect(model.graph.node("dense_relu")?.trainable == false)
        // Only the head moved: the backbone's weights are the source's, bit for bit.
        let source = try ModelLoader(mode: .strict).load(Self.model).model
        for name in ["conv_s2_nobias", "bn1", "dense_relu"] {
            for (key, weight) in source.weights[name] ?? [:] {
                #expect(model.weights[name]?[key]?.data.array(of: Float.self) == weight.data.array(of: Float.self), "\(name)/\(key)")
            }
        }
        let done = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(done.contains("\"event\": \"done\""), "\(done)")
        #expect(result.stdout.split(separator: "\n").count < 42)
    }

    @Test func sliceKeepsTheHeadInAFullModel() throws {
        let dir = TemporaryDirectory()
        let out = dir.file("cut.h5")
        let result = try ZooProcess.run(["slice", Fixtures.path("tiny.model.h5"), out, "--at", "add", "--freeze-through", "add", "--head-classes", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        let loaded = try ModelLoader(mode: .strict).load(out)
        #expect(loaded.checkpoint.format == .kerasH5Model)
        #expect(loaded.model.graph.node("head_predictions") != nil)
        #expect(loaded.model.graph.node("add")?.trainable == false)
        let refused = try ZooProcess.run(["slice", Fixtures.path("tiny.model.h5"), dir.file("w.h5"), "--at", "add", "--head-classes", "3",
                                          "--layout", "keras-h5-weights"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--layout keras-h5-model"), "\(refused.stderr)")
    }
}
