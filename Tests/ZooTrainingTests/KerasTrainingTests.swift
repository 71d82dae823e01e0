import Foundation
import Testing
import ZooCompute
import ZooFormats
import ZooModels
@testable import ZooTraining

/// Training against Keras itself (Fixtures/train, made by Fixtures/make_train_fixtures.py with
/// Keras 3 on JAX): gradients of the loss on a fixed batch (`jax.grad` of the stateless call),
/// and every weight and BatchNormalization statistic after `model.fit(shuffle=False)` with each
/// optimiser, schedule, clipping, regularisation, label smoothing, class weights and a frozen
/// prefix.
@Suite struct KerasTrainingTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/train")

    struct Manifest: Decodable {
        struct OptimizerSpec: Decodable {
            let name: String
            let learning_rate: Double?
            let momentum: Double?
            let nesterov: Bool?
            let global_clipnorm: Double?
            let clipnorm: Double?
            let clipvalue: Double?
            let weight_decay: Double?
            let beta_1: Double?
            let beta_2: Double?
            let epsilon: Double?
            let amsgrad: Bool?
            let rho: Double?
            let centered: Bool?
            let schedule: Schedule?
        }
        struct Schedule: Decodable {
            let name: String
            let initial_learning_rate: Double
            let decay_steps: Int
            let alpha: Double
            let warmup_target: Double?
            let warmup_steps: Int
        }
        struct L2: Decodable { let value: Double; let layers: [String] }
        struct FitCase: Decodable, CustomStringConvertible, Sendable {
            let name: String
            let model: String
            let data: String
            let expected: String
            let loss: String
            let label_smoothing: Double
            let one_hot_labels: Bool
            let optimizer: OptimizerSpec
            let batch_size: Int
            let epochs: Int
            let class_weight: [String: Double]?
            var description: String { name }
        }
        struct GradientCase: Decodable, CustomStringConvertible, Sendable {
            let name: String
            let model: String
            let data: String
            let batch: [Int]
            let expected: String
            let loss: String
            var description: String { name }
        }
        let cases: [FitCase]
        let gradients: [GradientCase]
    }

    static let manifest: Manifest? = {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("cases.json")) else { return nil }
        return try? JSONDecoder().decode(Manifest.self, from: data)
    }()

    /// The manifest must decode and list the cases (a silent nil would skip every case).
    @Test func manifestLists() throws {
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: Self.directory.appendingPathComponent("cases.json")))
        #expect(manifest.cases.count >= 10)
        #expect(manifest.gradients.count >= 3)
    }

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static func arrays(_ name: String) throws -> [String: NumpyArray] {
        var result: [String: NumpyArray] = [:]
        for (key, array) in try NumpyArchive.read(path(name)) { result[key] = array }
        return result
    }

    static func floats(_ array: NumpyArray) -> [Float] {
        array.dtype == .float64 ? array.data.array(of: Double.self).map(Float.init) : array.data.array(of: Float.self)
    }

    /// max |a - b| / max |b|, with a floor so all-zero tensors compare absolutely.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        let scale = max(b.map { abs(Double($0)) }.max() ?? 0, 1e-6)
        return zip(a, b).map { abs(Double($0) - Double($1)) }.max().map { $0 / scale } ?? 0
    }

    static func optimizer(_ spec: Manifest.OptimizerSpec) throws -> Optimizer {
        let kind = try #require(Optimizer.Kind(rawValue: spec.name))
        var rate: LearningRateSchedule? = spec.learning_rate.map { .constant($0) }
        if let schedule = spec.schedule {
            rate = .cosine(initial: schedule.initial_learning_rate, decaySteps: schedule.decay_steps, alpha: schedule.alpha,
                           warmupTarget: schedule.warmup_target, warmupSteps: schedule.warmup_steps)
        }
        return Optimizer(kind, learningRate: rate, momentum: spec.momentum, nesterov: spec.nesterov ?? false, beta1: spec.beta_1, beta2: spec.beta_2,
                         epsilon: spec.epsilon, amsgrad: spec.amsgrad ?? false, rho: spec.rho, centered: spec.centered ?? false,
                         weightDecay: spec.weight_decay,
                         clipping: GradientClipping(clipNorm: spec.clipnorm, globalClipNorm: spec.global_clipnorm, clipValue: spec.clipvalue))
    }

    static func dataset(_ name: String, binary: Bool, oneHot: Bool = false, classes: Int = 4) throws -> Dataset {
        let data = try Dataset.load(path(name), binary: binary)
        guard oneHot, case .sparse(let y) = data.labels else { return data }
        var rows = [Float](repeating: 0, count: y.count * classes)
        for (i, label) in y.enumerated() { rows[i * classes + Int(label)] = 1 }
        return try Dataset(x: data.x, labels: .dense(rows, classes: classes))
    }

    @Test(arguments: manifest?.gradients ?? [])
    func gradientsMatchJAX(_ c: Manifest.GradientCase) throws {
        let loaded = try ModelLoader(mode: .strict).load(Self.path(c.model))
        let kind = try #require(Loss.Kind(rawValue: c.loss))
        let data = try Self.dataset(c.data, binary: kind == .binaryCrossentropy).subset(Array(c.batch[0]..<c.batch[1]))
        let trainer = try Trainer(model: loaded.model, configuration: TrainingConfiguration(epochs: 1, batchSize: 4, optimizer: Optimizer(.sgd), loss: Loss(kind)), threads: 2)
        let expected = try Self.arrays(c.expected)
        let (loss, gradients) = try trainer.valueAndGradient(x: data.x, labels: data.labels)
        let kerasLoss = Double(Self.floats(try #require(expected["loss"]))[0])
        #expect(abs(loss - kerasLoss) <= 1e-5 * max(1, abs(kerasLoss)), "\(c.name): loss \(loss) vs Keras \(kerasLoss)")
        var compared = 0
        for (variable, gradient) in zip(trainer.graph.variables, gradients) {
            let key = "\(variable.layer)/\(variable.name)"
            let keras = try #require(expected[key], "\(c.name): Keras has no gradient for \(key)")
            let error = Self.relativeError(gradient, Self.floats(keras))
            #expect(error <= 1e-4, "\(c.name): \(key) relative error \(error)")
            compared += 1
        }
        // Every trainable weight Keras differentiated is one of ours, and no more.
        let kerasKeys = expected.keys.filter { !["loss", "probs"].contains($0) && !$0.hasSuffix("moving_mean") && !$0.hasSuffix("moving_variance") }
        #expect(compared == kerasKeys.count, "\(c.name): \(compared) gradients, Keras has \(kerasKeys.count)")
        // The training-mode forward pass and the moving statistics it produces.
        let pass = try trainer.graph.forward(frontier: try trainer.graph.frontierValues(data.x), parameters: trainer.parameters, training: true)
        if let probs = expected["probs"] {
            #expect(Self.relativeError(pass.output.values, Self.floats(probs)) <= 1e-5, "\(c.name): training-mode output")
        }
        for (key, array) in expected where key.hasSuffix("moving_mean") || key.hasSuffix("moving_variance") {
            let parts = key.split(separator: "/").map(String.init)
            let ours = try #require(pass.stateUpdates[parts[0]]?[parts[1]], "\(c.name): no update of \(key)")
            #expect(Self.relativeError(ours, Self.floats(array)) <= 1e-5, "\(c.name): \(key)")
        }
    }

    @Test(arguments: manifest?.cases ?? [])
    func fitMatchesKerasStepForStep(_ c: Manifest.FitCase) throws {
        let loaded = try ModelLoader(mode: .strict).load(Self.path(c.model))
        let kind = try #require(Loss.Kind(rawValue: c.loss))
        let data = try Self.dataset(c.data, binary: kind == .binaryCrossentropy, oneHot: c.one_hot_labels)
        var classWeights: [Int: Double]?
        if let weights = c.class_weight { classWeights = Dictionary(uniqueKeysWithValues: weights.compactMap { k, v in Int(k).map { ($0, v) } }) }
        let configuration = TrainingConfiguration(epochs: c.epochs, batchSize: c.batch_size, optimizer: try Self.optimizer(c.optimizer),
                                                  loss: Loss(kind, labelSmoothing: c.label_smoothing), shuffle: false, classWeights: classWeights)
        let before = loaded.model
        let trainer = try Trainer(model: loaded.model, configuration: configuration, threads: 2)
        let history = try trainer.fit(data)
        let trained = try trainer.trainedModel()
        let expected = try Self.arrays(c.expected)
        var compared = 0
        for node in trained.graph.nodes {
            for spec in node.weights {
                let key = "\(node.name)/\(spec.name)"
                guard let keras = expected[key] else { continue }
                let ours = try #require(trained.weights[node.name]?[spec.name])
                let values = DTypeConversion.floats(ours)
                let error = Self.relativeError(values, Self.floats(keras))
                #expect(error <= 1e-4, "\(c.name): \(key) relative error \(error) after \(c.epochs) epochs")
                // Frozen layers and frozen BatchNormalization stay bit-identical.
                if !node.trainable, let original = before.weights[node.name]?[spec.name] {
                    #expect(values == DTypeConversion.floats(original), "\(c.name): frozen \(key) changed")
                }
                compared += 1
            }
        }
        #expect(compared == expected.keys.filter { $0 != "history_loss" }.count, "\(c.name): compared \(compared) of \(expected.count - 1) weights")
        if let losses = expected["history_loss"] {
            let keras = Self.floats(losses)
            #expect(history.epochs.count == keras.count)
            for (log, value) in zip(history.epochs, keras) {
                #expect(abs(log.loss - Double(value)) <= 1e-4 * max(1, abs(Double(value))), "\(c.name): epoch \(log.epoch) loss \(log.loss) vs Keras \(value)")
            }
        }
    }
}
