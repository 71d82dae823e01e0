import Foundation
import Testing
import ZooCompute
import ZooFormats
import ZooGraph
import ZooModels
@testable import ZooTraining

/// The fit loop's guarantees beyond matching Keras: determinism, thread safety, the custom-loop
/// API, checked weights, and the transfer experiment's result on real data.
@Suite struct TrainerTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func path(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// train_ops.keras cut at `concat_vec` with a new head behind Dropout(0.3), backbone frozen
    /// through `bn_dw`.
    static func model() throws -> BoundModel {
        let loaded = try ModelLoader(mode: .strict).load(path("train/train_ops.keras"))
        return try Transfer.slice(loaded.model, at: "concat_vec", freezeThrough: "bn_dw", head: Transfer.Head(classes: 4, seed: 5, dropout: 0.3))
    }

    static func configuration(epochs: Int = 3) -> TrainingConfiguration {
        TrainingConfiguration(epochs: epochs, batchSize: 4, optimizer: Optimizer(.adam, learningRate: .constant(0.01)), shuffle: true, seed: 11,
                              augmentation: (try? Augmentation.parse("flip,translate=0.1,rotate=0.05")) ?? .none)
    }

    static func data() throws -> Dataset { try Dataset.load(path("train/train_ops.data.npz")) }

    @Test func fitIsDeterministicForASeedAndChangesWithIt() throws {
        let a = try Trainer(model: try Self.model(), configuration: Self.configuration(), threads: 2)
        let b = try Trainer(model: try Self.model(), configuration: Self.configuration(), threads: 2)
        var other = Self.configuration()
        other.seed = 12
        let c = try Trainer(model: try Self.model(), configuration: other, threads: 2)
        let ha = try a.fit(try Self.data()), hb = try b.fit(try Self.data()), hc = try c.fit(try Self.data())
        #expect(a.parameters == b.parameters)
        #expect(ha.epochs.map(\.loss) == hb.epochs.map(\.loss))
        #expect(a.parameters.trainable != c.parameters.trainable)
        #expect(ha.epochs.map(\.loss) != hc.epochs.map(\.loss))
        // Training changed the trainable weights and left the frozen prefix as it was.
        #expect(a.parameters.trainable != a.graph.initialParameters.trainable)
        let trained = try a.trainedModel(), original = try Self.model()
        for name in ["conv_s2_nobias", "bn1", "bn_dw"] {
            for (key, weight) in original.weights[name] ?? [:] {
                #expect(trained.weights[name]?[key]?.data.array(of: Float.self) == weight.data.array(of: Float.self), "\(name)/\(key)")
            }
        }
    }

    /// In feature-cache mode the validation set's frozen features are cached too; its numbers
    /// must equal a plain evaluation through the frozen prefix.
    @Test func cachedValidationEqualsEvaluate() throws {
        var configuration = Self.configuration(epochs: 2)
        configuration.augmentation = .none
        let (train, validation) = try Self.data().split(validationFraction: 0.25)
        let trainer = try Trainer(model: try Self.model(), configuration: configuration, threads: 2)
        let history = try trainer.fit(train, validation: validation)
        let last = try #require(history.epochs.last)
        let direct = try trainer.evaluate(validation)
        #expect(last.validationLoss == direct.loss)
        #expect(last.validationAccuracy == direct.accuracy)
    }

    @Test func concurrentFitsMatchASoloFit() throws {
        let solo = try Trainer(model: try Self.model(), configuration: Self.configuration(epochs: 2), threads: 1)
        _ = try solo.fit(try Self.data())
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                let trainer = try Trainer(model: try Self.model(), configuration: Self.configuration(epochs: 2), threads: 1)
                _ = try trainer.fit(try Self.data())
                results.add(trainer.parameters)
            } catch {
                results.fail("\(error)")
            }
        }
        #expect(results.errors.isEmpty, "\(results.errors)")
        #expect(results.values.count == 4)
        for value in results.values { #expect(value == solo.parameters) }
    }

    @Test func oneGraphServesManyThreads() throws {
        let graph = try TrainingGraph(model: try Self.model(), threads: 1)
        let data = try Self.data()
        let loss = Loss()
        @Sendable func gradients(_ start: Int) throws -> [[Float]] {
            let batch = data.subset(Array(start..<(start + 4)))
            let pass = try graph.forward(frontier: try graph.frontierValues(batch.x), parameters: graph.initialParameters, training: true, seed: 7)
            let value = try loss.evaluate(output: pass.output, labels: batch.labels, activation: graph.outputActivation)
            return try graph.backward(pass, gradient: value.gradient, at: value.point)
        }
        let expected = try [0, 4, 8].map(gradients)
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 12) { i in
            do { results.add(TrainingGraph.Parameters(trainable: try gradients((i % 3) * 4), state: ["batch": ["start": [Float(i % 3)]]])) } catch { results.fail("\(error)") }
        }
        #expect(results.errors.isEmpty)
        for value in results.values {
            let start = Int(value.state["batch"]?["start"]?.first ?? -1)
            #expect(value.trainable == expected[start])
        }
    }

    @Test func customLoopEqualsFit() throws {
        var configuration = Self.configuration(epochs: 1)
        configuration.augmentation = .none
        configuration.shuffle = false
        let fitted = try Trainer(model: try Self.model(), configuration: configuration, threads: 2)
        _ = try fitted.fit(try Self.data())
        // Dropout draws from the step's seed in fit; without Dropout a custom loop is the same.
        let noDropout = try Transfer.slice(try ModelLoader(mode: .strict).load(Self.path("train/train_ops.keras")).model,
                                           at: "concat_vec", freezeThrough: "bn_dw", head: Transfer.Head(classes: 4, seed: 5))
        let a = try Trainer(model: noDropout, configuration: configuration, threads: 2)
        _ = try a.fit(try Self.data())
        let b = try Trainer(model: noDropout, configuration: configuration, threads: 2)
        let data = try Self.data()
        for start in stride(from: 0, to: data.count, by: 4) {
            let batch = data.subset(Array(start..<min(start + 4, data.count)))
            let (loss, gradients) = try b.valueAndGradient(x: batch.x, labels: batch.labels)
            #expect(loss.isFinite && loss > 0)
            try b.apply(gradients: gradients)
        }
        #expect(a.parameters.trainable == b.parameters.trainable)
        #expect(fitted.parameters.trainable != a.parameters.trainable)  // Dropout 0.3 made a difference
    }

    @Test func weightsOfTheWrongSizeAreRefusedBeforeAnyKernelReadsThem() throws {
        var model = try Self.model()
        let good = try #require(model.weights["head_predictions"]?["kernel"])
        // Assigned directly, past the checked API: planning and training refuse it.
        model.weights["head_predictions"]?["kernel"]?.data = TensorData(values: [Float](repeating: 1, count: 3))
        #expect(throws: WeightError.self) { try TrainingGraph(model: model) }
        let compiled = CompiledModel(model: model, threads: 1)
        #expect(throws: WeightError.self) { try compiled.run(Tensor(shape: [1, 8, 8, 3], values: [Float](repeating: 0, count: 192))) }
        // The checked API says what was wrong and leaves the weight alone.
        var checked = try Self.model()
        #expect(throws: WeightError.self) { try checked.setWeight(layer: "head_predictions", name: "kernel", values: [1, 2, 3]) }
        #expect(throws: WeightError.self) { try checked.setWeight(layer: "nope", name: "kernel", values: []) }
        #expect(checked.weights["head_predictions"]?["kernel"]?.data == good.data)
        let error = WeightError.wrongSize(layer: "head_predictions", weight: "kernel", expectedBytes: 16, foundBytes: 12)
        #expect(error.description.contains("head_predictions/kernel"))
    }

    @Test func badConfigurationsAreRefusedWithTheirReason() throws {
        var configuration = Self.configuration()
        configuration.batchSize = 0
        #expect(throws: TrainingError.self) { try Trainer(model: try Self.model(), configuration: configuration) }
        configuration = Self.configuration()
        configuration.earlyStopping = .init(monitor: "val_loss", patience: 1)
        let trainer = try Trainer(model: try Self.model(), configuration: configuration)
        do {
            _ = try trainer.fit(try Self.data())
            Issue.record("early stopping on val_loss without validation data was accepted")
        } catch let error as TrainingError {
            #expect(error.description.contains("needs validation data"))
        }
        // Everything frozen: nothing to train, said as such.
        var frozen = try Self.model()
        for node in frozen.graph.nodes { try frozen.graph.setTrainable(node.name, false) }
        do {
            _ = try TrainingGraph(model: frozen)
            Issue.record("a fully frozen model was accepted for training")
        } catch let error as ComputeError {
            #expect(error.description.contains("nothing to train"))
        }
    }

    /// The demo's transfer experiment (Fixtures/transfer): zoo's feature extraction and
    /// fine-tuning reach Keras's test accuracy on the held-out digits, and both beat scratch.
    @Test func transferOnDigitsMatchesKeras() throws {
        struct Results: Decodable {
            struct Run: Decodable { let name: String; let test_accuracy: Double; let epochs: Int; let batch: Int; let learning_rate: Double }
            let runs: [Run]
        }
        let directory = Self.fixtures.appendingPathComponent("transfer")
        let results = try JSONDecoder().decode(Results.self, from: Data(contentsOf: directory.appendingPathComponent("keras_results.json")))
        let train = try Dataset.load(directory.appendingPathComponent("digits_target_train.npz").path)
        let test = try Dataset.load(directory.appendingPathComponent("digits_target_test.npz").path)
        let backbone = try ModelLoader(mode: .strict).load(directory.appendingPathComponent("digits_backbone.keras").path).model
        var head: [String: [Float]] = [:]
        for (name, array) in try NumpyArchive.read(directory.appendingPathComponent("digits_head_init.npz").path) { head[name] = array.data.array(of: Float.self) }
        for (name, frozenThrough) in [("feature_extraction", "avg_pool"), ("fine_tune", "block2_pool")] {
            let reference = try #require(results.runs.first { $0.name == name })
            var model = try Transfer.slice(backbone, at: "avg_pool", freezeThrough: frozenThrough, head: Transfer.Head(classes: 5))
            for (weight, values) in head { try model.setWeight(layer: Transfer.headDenseName, name: weight, values: values) }
            let trainer = try Trainer(model: model, configuration: TrainingConfiguration(
                epochs: reference.epochs, batchSize: reference.batch, optimizer: Optimizer(.adam, learningRate: .constant(reference.learning_rate)), seed: 0))
            _ = try trainer.fit(train)
            let accuracy = try trainer.evaluate(test).accuracy
            #expect(abs(accuracy - reference.test_accuracy) <= 0.03, "\(name): zoo \(accuracy), Keras \(reference.test_accuracy)")
            let scratch = try #require(results.runs.first { $0.name == "scratch" })
            #expect(accuracy > scratch.test_accuracy, "\(name) must beat scratch")
        }
    }
}

/// Results collected from several threads.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [TrainingGraph.Parameters] = []
    private(set) var errors: [String] = []
    func add(_ value: TrainingGraph.Parameters) { lock.lock(); values.append(value); lock.unlock() }
    func fail(_ message: String) { lock.lock(); errors.append(message); lock.unlock() }
}
