import Dispatch
import Foundation
import ZooCompute
import ZooFormats
import ZooGraph
import ZooModels

/// Trains a bound model step for step like Keras's `model.fit`: the frozen prefix runs on the
/// inference core (its features computed once when nothing changes them), the rest forward in
/// training mode and backward, then the optimiser's update and BatchNormalization's moving
/// statistics, batch after batch.
///
/// A `Trainer` holds the parameters being trained; `fit`, `evaluate` and `valueAndGradient` are
/// not meant to run concurrently on one trainer (use one trainer per thread; they may share a
/// `TrainingGraph`, which is immutable).
public final class Trainer: @unchecked Sendable {
    /// The planned model.
    public let graph: TrainingGraph
    /// The configuration, with the optimiser's current state.
    public private(set) var configuration: TrainingConfiguration
    /// The current values of the trainable variables and the layers' state.
    public private(set) var parameters: TrainingGraph.Parameters
    private var learningRateMultipliers: [Float]
    private var l2: [Float?]

    /// Plans `model` for training (trainable flags from its graph) with `configuration`.
    /// With `evaluationOnly`, a model with nothing to train is accepted (for `evaluate` and
    /// `predict`; `fit` then has nothing to update).
    public init(model: BoundModel, configuration: TrainingConfiguration, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                evaluationOnly: Bool = false) throws {
        try configuration.validate()
        graph = try TrainingGraph(model: model, threads: threads, requireTrainable: !evaluationOnly)
        self.configuration = configuration
        parameters = graph.initialParameters
        learningRateMultipliers = graph.variables.map { Float(configuration.learningRateMultipliers[$0.layer] ?? 1) }
        l2 = graph.variables.map { variable in
            guard variable.name == "kernel" || variable.name == "depthwise_kernel" else { return nil }
            return (configuration.l2 ?? variable.l2).map(Float.init)
        }
        for name in configuration.learningRateMultipliers.keys where model.graph.node(name) == nil {
            throw TrainingError.configuration("a learning-rate multiplier names '\(name)', which is not a layer of the model")
        }
    }

    /// The model with the trained weights (and updated BatchNormalization statistics).
    public func trainedModel() throws -> BoundModel { try graph.model(with: parameters) }

    // MARK: - Loss and gradient

    /// The regularisation term: sum over regularised kernels of l2 * sum(w^2).
    private func regularization(_ parameters: TrainingGraph.Parameters) -> Double {
        var total = 0.0
        for (i, factor) in l2.enumerated() {
            guard let factor else { continue }
            var sum: Float = 0
            parameters.trainable[i].withUnsafeBufferPointer { w in for v in w { sum += v * v } }
            total += Double(factor * sum)
        }
        return total
    }

    /// Sample weights of a batch from the class weights.
    private func sampleWeights(_ labels: Labels) -> [Float]? {
        guard let classWeights = configuration.classWeights else { return nil }
        return labels.classIndices.map { Float(classWeights[$0] ?? 1) }
    }

    /// One forward and backward pass in training mode on a batch of frontier values.
    private func lossAndGradient(frontier: [FloatTensor], labels: Labels, seed: UInt64)
        throws -> (loss: Double, gradients: [[Float]], output: FloatTensor, updates: [String: [String: [Float]]]) {
        let pass = try graph.forward(frontier: frontier, parameters: parameters, training: true, seed: seed)
        let value = try configuration.loss.evaluate(output: pass.output, labels: labels, sampleWeights: sampleWeights(labels),
                                                    activation: graph.outputActivation)
        var gradients = try graph.backward(pass, gradient: value.gradient, at: value.point)
        for (i, factor) in l2.enumerated() {
            guard let factor else { continue }
            let twice = 2 * factor
            parameters.trainable[i].withUnsafeBufferPointer { w in
                gradients[i].withUnsafeMutableBufferPointer { g in for j in g.indices { g[j] += twice * w[j] } }
            }
        }
        return (value.loss + regularization(parameters), gradients, pass.output, pass.stateUpdates)
    }

    /// The loss on a batch of images and its gradient with respect to every trainable variable
    /// (`graph.variables` order), in training mode, without changing anything: for people who
    /// write their own loop.
    public func valueAndGradient(x: FloatTensor, labels: Labels) throws -> (loss: Double, gradients: [[Float]]) {
        let result = try lossAndGradient(frontier: try graph.frontierValues(x), labels: labels, seed: configuration.seed)
        return (result.loss, result.gradients)
    }

    /// Applies gradients (from `valueAndGradient`, `graph.variables` order) with the optimiser.
    public func apply(gradients: [[Float]]) throws {
        try configuration.optimizer.apply(gradients: gradients, to: &parameters.trainable, learningRateMultipliers: learningRateMultipliers)
    }

    // MARK: - Evaluate

    /// Loss and accuracy on `data` in inference mode (moving statistics, no Dropout, no
    /// augmentation), in batches of `batchSize` (default: the configuration's).
    public func evaluate(_ data: Dataset, batchSize: Int? = nil) throws -> Evaluation {
        try checkData(data)
        return try evaluate(data, batchSize: batchSize) { try self.graph.frontierValues(data.images(Array($0))) }
    }

    /// Evaluation over batches whose frontier values `frontier(rows)` gives (computed, or
    /// gathered from a feature cache).
    private func evaluate(_ data: Dataset, batchSize: Int?, frontier: (Range<Int>) throws -> [FloatTensor]) throws -> Evaluation {
        let size = max(1, batchSize ?? configuration.batchSize)
        var lossSum = 0.0, correct = 0, topK = 0
        var start = 0
        let penalty = regularization(parameters)
        while start < data.count {
            let end = min(start + size, data.count)
            let labels = data.labels(Array(start..<end))
            let output = try graph.forward(frontier: try frontier(start..<end), parameters: parameters, training: false).output
            let value = try configuration.loss.evaluate(output: output, labels: labels, activation: graph.outputActivation)
            lossSum += (value.loss + penalty) * Double(end - start)
            correct += Metrics.correct(output, labels: labels)
            if let k = configuration.topK { topK += Metrics.correct(output, labels: labels, k: k) }
            start = end
        }
        let n = Double(data.count)
        return Evaluation(loss: lossSum / n, accuracy: Double(correct) / n, topKAccuracy: configuration.topK.map { _ in Double(topK) / n },
                          samples: data.count)
    }

    /// Predictions (the model's output) for `x` in inference mode.
    public func predict(_ x: FloatTensor) throws -> FloatTensor { try graph.predict(x, parameters: parameters) }

    /// Checks that `data` fits the model (image shape) and the loss (labels in range), with an
    /// error that says what to change.
    public func validate(_ data: Dataset) throws { try checkData(data) }

    private func checkData(_ data: Dataset) throws {
        let expected = graph.model.graph.inputNodes.first?.outputShape ?? []
        guard data.sampleShape == expected else {
            throw TrainingError.data("the images have shape \(data.sampleShape), the model takes \(expected) (resize them or pick another model)")
        }
        let outputShape = graph.model.graph.node(graph.output)?.outputShape ?? []
        try configuration.loss.validate(data.labels, outputShape: [data.count] + outputShape)
    }

    // MARK: - Fit

    /// Where a fit keeps its per-epoch checkpoint.
    public struct CheckpointOptions: Sendable {
        /// The directory (made if missing); the checkpoint is `DIR/checkpoint.npz`.
        public var directory: String
        /// Whether to continue from the checkpoint there.
        public var resume: Bool

        /// Checkpoint options.
        public init(directory: String, resume: Bool = false) {
            self.directory = directory
            self.resume = resume
        }
    }

    /// A seed for one epoch's stream of one kind (shuffle 1, augmentation 2, dropout 3), so an
    /// epoch is the same whether the run started at epoch 1 or resumed before it.
    private func streamSeed(epoch: Int, kind: UInt64) -> UInt64 {
        var z = configuration.seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15 &+ kind &* 0xD1B5_4A32_D192_ED03
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The frozen prefix's outputs for every sample of `data`, computed once.
    private func cachedFrontier(_ data: Dataset, progress: ((TrainingEvent) -> Void)?) throws -> [FloatTensor] {
        var parts: [[Float]] = graph.frontier.map { _ in [] }
        let chunk = max(configuration.batchSize, 32)
        var start = 0
        while start < data.count {
            let end = min(start + chunk, data.count)
            let values = try graph.frontierValues(data.subset(Array(start..<end)).x)
            for (i, v) in values.enumerated() { parts[i] += v.values }
            start = end
            progress?(.caching(done: end, total: data.count))
        }
        return zip(parts, graph.frontierShapes).map { FloatTensor(shape: [data.count] + $1, values: $0) }
    }

    private static func gather(_ tensors: [FloatTensor], _ indices: [Int]) -> [FloatTensor] {
        tensors.map { tensor in
            let per = tensor.itemCount
            var values = [Float](repeating: 0, count: indices.count * per)
            tensor.values.withUnsafeBufferPointer { s in
                values.withUnsafeMutableBufferPointer { t in
                    guard let sb = s.baseAddress, let tb = t.baseAddress else { return }
                    for (row, i) in indices.enumerated() { (tb + row * per).update(from: sb + i * per, count: per) }
                }
            }
            return FloatTensor(shape: [indices.count] + tensor.shape.dropFirst(), values: values)
        }
    }

    /// Trains on `train` for the configured epochs, validating on `validation` after each epoch,
    /// with early stopping, a checkpoint per epoch and resuming when asked. Returns the history.
    /// A NaN or infinite loss stops the run with `TrainingError.nonFiniteLoss`; the last
    /// checkpoint (from the previous epoch) stays as it was.
    public func fit(_ train: Dataset, validation: Dataset? = nil, checkpoint: CheckpointOptions? = nil,
                    progress: ((TrainingEvent) -> Void)? = nil) throws -> History {
        try checkData(train)
        if let validation { try checkData(validation) }
        if let stopping = configuration.earlyStopping, stopping.monitor.hasPrefix("val_"), validation == nil {
            throw TrainingError.configuration("early stopping monitors \(stopping.monitor), which needs validation data (--validation or --validation-split)")
        }
        var state = FitState()
        if let checkpoint, checkpoint.resume {
            if let restored = try TrainingCheckpoint.load(directory: checkpoint.directory, graph: graph) {
                parameters = restored.parameters
                configuration.optimizer = restored.optimizer
                state = restored.state
            }
        }
        // Only a real prefix is worth caching: with the input as the frontier there is nothing to save.
        let useCache = configuration.cacheFeatures && configuration.augmentation.isEmpty && graph.hasFrozenPrefix
            && train.count * graph.frontierShapes.reduce(0) { $0 + $1.reduce(1, *) } <= 1 << 30
        let cache = useCache ? try cachedFrontier(train, progress: progress) : nil
        // The validation set's frozen features do not change between epochs either.
        let validationCache = useCache ? try validation.map { try cachedFrontier($0, progress: nil) } : nil
        let steps = (train.count + configuration.batchSize - 1) / configuration.batchSize
        var epoch = state.completedEpochs
        while epoch < configuration.epochs, !state.stopped {
            let started = DispatchTime.now().uptimeNanoseconds
            var order = Array(0..<train.count)
            if configuration.shuffle {
                var generator = SeededGenerator(seed: streamSeed(epoch: epoch, kind: 1))
                order.shuffle(using: &generator)
            }
            var augmentation = SeededGenerator(seed: streamSeed(epoch: epoch, kind: 2))
            var lossSum = 0.0, correct = 0, topK = 0, seen = 0
            for step in 0..<steps {
                let indices = Array(order[(step * configuration.batchSize)..<min((step + 1) * configuration.batchSize, train.count)])
                let labels = train.labels(indices)
                let frontier: [FloatTensor]
                if let cache {
                    frontier = Self.gather(cache, indices)
                } else {
                    var x = train.images(indices)
                    if !configuration.augmentation.isEmpty, x.shape.count == 4 {
                        try configuration.augmentation.apply(to: &x.values, shape: (x.shape[0], x.shape[1], x.shape[2], x.shape[3]), generator: &augmentation)
                    }
                    frontier = try graph.frontierValues(x)
                }
                let result = try lossAndGradient(frontier: frontier, labels: labels, seed: streamSeed(epoch: epoch, kind: 3) &+ UInt64(step))
                guard result.loss.isFinite else {
                    throw TrainingError.nonFiniteLoss(epoch: epoch, step: step, value: result.loss)
                }
                try configuration.optimizer.apply(gradients: result.gradients, to: &parameters.trainable, learningRateMultipliers: learningRateMultipliers)
                graph.commit(result.updates, to: &parameters)
                lossSum += result.loss * Double(indices.count)
                correct += Metrics.correct(result.output, labels: labels)
                if let k = configuration.topK { topK += Metrics.correct(result.output, labels: labels, k: k) }
                seen += indices.count
                if let progress {
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                    let rate = Double(seen) / max(elapsed, 1e-9)
                    progress(.step(epoch: epoch + 1, epochs: configuration.epochs, step: step + 1, steps: steps, loss: lossSum / Double(seen),
                                   accuracy: Double(correct) / Double(seen), imagesPerSecond: rate, eta: Double(train.count - seen) / max(rate, 1e-9)))
                }
            }
            let trainSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            var log = EpochLog(epoch: epoch + 1, loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen),
                               topKAccuracy: configuration.topK.map { _ in Double(topK) / Double(seen) },
                               learningRate: configuration.optimizer.configuration.learningRate.rate(at: max(configuration.optimizer.iterations - 1, 0)),
                               seconds: 0, imagesPerSecond: Double(seen) / max(trainSeconds, 1e-9))
            if let validation {
                let result = try validationCache.map { cached in
                    try evaluate(validation, batchSize: nil) { Self.gather(cached, Array($0)) }
                } ?? evaluate(validation)
                log.validationLoss = result.loss
                log.validationAccuracy = result.accuracy
                log.validationTopKAccuracy = result.topKAccuracy
            }
            log.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            state.history.epochs.append(log)
            state.completedEpochs = epoch + 1
            if let stopping = configuration.earlyStopping, let current = log.value(of: stopping.monitor) {
                state.observe(current, epoch: epoch, stopping: stopping, parameters: parameters)
                if state.stopped {
                    state.history.stoppedEpoch = epoch + 1
                    if stopping.restoreBestWeights, let best = state.bestParameters {
                        parameters = best
                        state.history.restoredEpoch = state.bestEpoch + 1
                    }
                }
            }
            if let checkpoint {
                try TrainingCheckpoint.save(directory: checkpoint.directory, graph: graph, parameters: parameters,
                                            optimizer: configuration.optimizer, state: state)
            }
            progress?(.epoch(log))
            epoch += 1
        }
        return state.history
    }
}

/// What a fit carries from epoch to epoch (and a checkpoint saves).
struct FitState: Codable, Sendable {
    var completedEpochs = 0
    var history = History()
    /// Early stopping.
    var best: Double?
    var bestEpoch = 0
    var wait = 0
    var stopped = false
    var bestParameters: TrainingGraph.Parameters?

    private enum CodingKeys: String, CodingKey { case completedEpochs, history, best, bestEpoch, wait, stopped }

    /// Keras's EarlyStopping.on_epoch_end: an improvement by more than min_delta resets the
    /// wait; `patience` epochs without one stop training (never after the first epoch).
    mutating func observe(_ current: Double, epoch: Int, stopping: TrainingConfiguration.EarlyStopping, parameters: TrainingGraph.Parameters) {
        wait += 1
        let improved: Bool
        if let best {
            improved = stopping.maximizes ? current - stopping.minDelta > best : current + stopping.minDelta < best
        } else {
            improved = true
        }
        if improved {
            best = current
            bestEpoch = epoch
            if stopping.restoreBestWeights { bestParameters = parameters }
            wait = 0
            return
        }
        if wait >= stopping.patience && epoch > 0 { stopped = true }
    }
}
