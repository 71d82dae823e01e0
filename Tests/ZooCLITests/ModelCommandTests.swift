import Foundation
import Testing
import ZooFormats
import ZooGraph
import ZooModels

/// A VGG16 (no top) weights file in Keras naming with distinct values, written once per run.
let vggFile: String = {
    // Cached across runs under the temporary folder; written atomically, so parallel runs are safe.
    let path = NSTemporaryDirectory() + "swiftzoo-cli-vgg16-notop-v1.h5"
    if !FileManager.default.fileExists(atPath: path) {
        let graph = try! Architecture.vgg16.build(ArchitectureOptions(includeTop: false))
        var counter: Float = 0
        let layers = graph.nodes.map { node in
            CheckpointLayer(name: node.name, weights: node.weights.map { spec in
                let start = counter
                counter += 1
                let data = TensorData(byteCount: spec.elementCount * 4) { raw in
                    let floats = raw.bindMemory(to: Float.self)
                    for i in 0..<floats.count { floats[i] = start + Float(i % 1000) * 1e-3 }
                }
                return Weight(name: spec.name, path: "", storedName: "\(node.name)/\(spec.name):0", dtype: .float32, shape: spec.shape, data: data)
            })
        }
        try! CheckpointWriter.write(Checkpoint(format: .kerasH5Weights, kerasVersion: "2.2.4", backend: "tensorflow", layers: layers), to: path, format: .kerasH5Weights)
    }
    return path
}()

@Suite(.serialized) struct ModelCommandTests {
    /// `zoo bench` builds a detected backbone like `zoo predict`: at another input size and
    /// with pooling (VGG16's notop weights at 64x48, pooled to 512 features).
    @Test func benchBuildsAtAnInputShapeWithPooling() throws {
        let result = try ZooProcess.run(["bench", vggFile, "--input-shape", "64", "48", "3", "--pooling", "avg", "--iterations", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["input_shape"] as? [Int] == [64, 48, 3])
        // 13 convs at 64x48 and below: about 1/16 of VGG16's 15.3 GMACs at 224x224.
        let flops = object["flops_per_run"] as? Double ?? 0
        #expect(flops > 1.5e9 && flops < 2.5e9, "\(flops)")
        let bad = try ZooProcess.run(["bench", vggFile, "--pooling", "mean", "--iterations", "1"])
        #expect(bad.status != 0 && bad.stderr.contains("--pooling"))
    }

    func json(_ arguments: [String]) throws -> [String: Any] { try zooJSON(arguments) }

    @Test func modelsListsArchitecturesWithTransferPoints() throws {
        let object = try json(["models", "--json"])
        let entries = try #require(object["architectures"] as? [[String: Any]])
        #expect(entries.map { $0["name"] as? String } == Architecture.allCases.map(\.rawValue))
        let byName = Dictionary(uniqueKeysWithValues: entries.compactMap { entry in (entry["name"] as? String).map { ($0, entry) } })
        let inception = try #require(byName["inceptionv3"])
        #expect(inception["input_shape"] as? [Int] == [299, 299, 3])
        #expect(inception["preprocessing"] as? String == "tf")
        #expect(inception["params_top"] as? Int == 23_851_784)
        #expect(byName["densenet121"]?["preprocessing"] as? String == "torch")
        #expect(byName["efficientnetb0"]?["preprocessing"] as? String == "none")
        #expect(byName["efficientnetb3"]?["input_shape"] as? [Int] == [300, 300, 3])
        #expect(byName["efficientnetb3"]?["params_top"] as? Int == 12_320_535)
        #expect(byName["resnet50"]?["preprocessing"] as? String == "caffe")
        #expect(byName["resnet50"]?["params_top"] as? Int == 25_636_712)
        #expect(byName["vgg16"]?["params_notop"] as? Int == 14_714_688)
        #expect((byName["resnet50"]?["transfer_points"] as? [String])?.contains("conv4_block6_out") == true)
        let text = try ZooProcess.run(["models"])
        // The selection table: one row per architecture, then the transfer points.
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.split(separator: " ").map(String.init) == ["architecture", "Keras", "name", "params", "no", "top", "GMACs", "input", "preprocessing", "features", "layers"])
        #expect(lines.filter { $0.hasSuffix(" ") }.isEmpty)
        func row(_ name: String) -> [String] { lines.first { $0.hasPrefix(name + " ") }?.split(separator: " ").map(String.init) ?? [] }
        #expect(row("vgg16") == ["vgg16", "VGG16", "138.4M", "14.7M", "15.5", "224x224", "caffe", "512", "23"])
        #expect(row("inceptionv3") == ["inceptionv3", "InceptionV3", "23.9M", "21.8M", "5.71", "299x299", "tf", "2048", "313"])
        #expect(row("efficientnetb0") == ["efficientnetb0", "EfficientNetB0", "5.3M", "4.0M", "0.39", "224x224", "none", "1280", "240"])
        #expect(row("mobilenetv2") == ["mobilenetv2", "MobileNetV2", "3.5M", "2.3M", "0.30", "224x224", "tf", "1280", "156"])
        #expect(lines.contains("  vgg16: block1_pool, block2_pool, block3_pool, block4_pool, block5_pool, fc1, fc2"))
        // Multiply-adds per image as the literature counts them (VGG16 15.47 G, ResNet50 3.86 G,
        // EfficientNetB0 0.39 G at 224x224).
        #expect(byName["vgg16"]?["multiply_adds"] as? Int == 15_470_264_320)
        #expect(byName["resnet50"]?["multiply_adds"] as? Int == 3_857_973_248)
        #expect(byName["efficientnetb0"]?["multiply_adds"] as? Int == 385_814_752)
        #expect(byName["efficientnetb0"]?["flops"] as? Int == 2 * 385_814_752)
        #expect(byName["densenet121"]?["features"] as? Int == 1024)
    }

    @Test func summaryDetectsTheArchitectureAndBindsEverything() throws {
        let object = try json(["summary", "--json", vggFile])
        #expect(Array(object.keys).sorted() == ["architecture", "binding", "layers", "naming", "non_trainable_params", "total_params", "trainable_params"])
        #expect(object["architecture"] as? String == "vgg16")
        #expect(object["naming"] as? String == "keras")
        #expect(object["total_params"] as? Int == 14_714_688)
        let layers = try #require(object["layers"] as? [[String: Any]])
        #expect(layers.count == 19)
        let conv = try #require(layers.first { $0["name"] as? String == "block1_conv1" })
        #expect(conv["type"] as? String == "Conv2D")
        #expect(conv["params"] as? Int == 1792)
        #expect(conv["trainable"] as? Bool == true)
        #expect(conv["inputs"] as? [String] == ["input_layer"])
        #expect((conv["output_shape"] as? [Any])?.count == 4)
        let binding = try #require(object["binding"] as? [String: Any])
        #expect(binding["matched"] as? Int == 26)
        #expect((binding["missing"] as? [Any])?.isEmpty == true)
        let text = try ZooProcess.run(["summary", vggFile])
        #expect(text.stdout.contains("block1_conv1 (Conv2D)"))
        #expect(text.stdout.contains("(None, 224, 224, 64)"))
        #expect(text.stdout.contains("Total params: 14,714,688"))
        #expect(text.stdout.contains("Binding: 26 matched, 0 missing, 0 unexpected, 0 mismatched"))
    }

    @Test func forcingTheWrongArchitectureReportsEveryProblem() throws {
        let object = try json(["summary", "--json", "--arch", "vgg19", vggFile])
        let binding = try #require(object["binding"] as? [String: Any])
        let missing = try #require(binding["missing"] as? [String])
        #expect(missing == ["block3_conv4/kernel", "block3_conv4/bias", "block4_conv4/kernel", "block4_conv4/bias", "block5_conv4/kernel", "block5_conv4/bias"])
        #expect(binding["matched"] as? Int == 26)
        let bad = try ZooProcess.run(["summary", "--arch", "alexnet", vggFile])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("unknown --arch 'alexnet'"))
    }

    @Test func convertRenamesToTorchvisionAndBack() throws {
        let dir = TemporaryDirectory()
        let torch = dir.file("torch.h5")
        let result = try ZooProcess.run(["convert", vggFile, torch, "--naming", "torchvision"])
        #expect(result.status == 0, "\(result.stderr)")
        let inspected = try json(["inspect", "--json", torch])
        let layers = try #require(inspected["layers"] as? [[String: Any]])
        #expect(layers.first?["name"] as? String == "features.0")
        let first = try #require((layers.first?["weights"] as? [[String: Any]])?.first)
        #expect(first["shape"] as? [Int] == [64, 3, 3, 3])
        #expect(try json(["summary", "--json", torch])["naming"] as? String == "torchvision")
        let back = dir.file("back.h5")
        #expect(try ZooProcess.run(["convert", torch, back, "--naming", "keras"]).status == 0)
        let a = try json(["inspect", "--json", "--stats", back])
        let b = try json(["inspect", "--json", "--stats", vggFile])
        #expect(weightSums(a) == weightSums(b))
    }

    @Test func sliceWritesTheKeptWeightsWithProvenance() throws {
        let dir = TemporaryDirectory()
        let out = dir.file("cut.h5")
        let result = try ZooProcess.run(["slice", vggFile, out, "--at", "block3_pool", "--freeze-through", "block2_pool", "--head-classes", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        let inspected = try json(["inspect", "--json", out])
        let names = (inspected["layers"] as? [[String: Any]] ?? []).filter { !(($0["weights"] as? [Any]) ?? []).isEmpty }.map { $0["name"] as? String ?? "" }
        #expect(names == ["block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2", "block3_conv1", "block3_conv2", "block3_conv3", "head_predictions"])
        #expect(inspected["total_params"] as? Int == 1_735_488 + 256 * 3 + 3)
        let tree = try ZooProcess.run(["inspect", "--tree", out])
        #expect(tree.stdout.contains("@swiftzoo_provenance = \"{"))
        #expect(tree.stdout.contains("cutPoint"))
        let checkpoint = try CheckpointReader.read(out)
        let record = try JSONDecoder().decode(SliceRecord.self, from: Data(try #require(checkpoint.provenance).utf8))
        #expect(record.cutPoint == "block3_pool")
        #expect(record.parentArchitecture == "vgg16")
        #expect(record.frozenThrough == "block2_pool")
        #expect(record.sourceSHA256 == (try SHA256.hexDigest(ofFile: vggFile)))
        let bad = try ZooProcess.run(["slice", vggFile, dir.file("x.h5"), "--at", "conv4_block6_out"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("no layer 'conv4_block6_out'"))
        #expect(bad.stderr.contains("block5_pool"))
        #expect(dir.contents == ["cut.h5"])
    }
}
