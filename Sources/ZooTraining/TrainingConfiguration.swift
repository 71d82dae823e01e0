import Foundation

/// Everything `Trainer.fit` needs besides the model and the data, with Keras's defaults.
public struct TrainingConfiguration: Codable, Sendable {
    /// Early stopping (Keras's `EarlyStopping` callback).
    public struct EarlyStopping: Codable, Sendable, Equatable {
        /// What is watched: `val_loss`, `val_accuracy`, `loss` or `accuracy`.
        public var monitor: String
        /// Epochs without improvement before stopping.
        public var patience: Int
        /// Smallest change that counts as an improvement.
        public var minDelta: Double
        /// Whether the best epoch's weights are restored when training ends.
        public var restoreBestWeights: Bool

        /// Early stopping on `monitor` (Keras's default `val_loss`).
        public init(monitor: String = "val_loss", patience: Int, minDelta: Double = 0, restoreBestWeights: Bool = true) {
            self.monitor = monitor
            self.patience = patience
            self.minDelta = minDelta
            self.restoreBestWeights = restoreBestWeights
        }

        /// Whether larger values are better (accuracies), as Keras's `mode="auto"` decides.
        public var maximizes: Bool { monitor.hasSuffix("accuracy") }
    }

    /// Passes over the training data.
    public var epochs: Int
    /// Samples per step (the last step of an epoch takes the rest, as in Keras).
    public var batchSize: Int
    /// The optimiser, with its state (fresh unless resuming).
    public var optimizer: Optimizer
    /// The loss.
    public var loss: Loss
    /// Whether each epoch visits the samples in a new seeded order (Keras's `shuffle=True`);
    /// false visits them in order, so a run reproduces Keras's `fit(shuffle=False)` step for step.
    public var shuffle: Bool
    /// Seed of the shuffling, augmentation and Dropout streams.
    public var seed: UInt64
    /// Early stopping, if any.
    public var earlyStopping: EarlyStopping?
    /// Keras's `class_weight`: the loss of a sample of class c is multiplied by `classWeights[c]`.
    public var classWeights: [Int: Double]?
    /// Augmentation applied to each training batch (never to validation or evaluation).
    public var augmentation: Augmentation
    /// An L2 factor for every trainable kernel, replacing the layers' own `kernel_regularizer`
    /// (nil: each layer's own).
    public var l2: Double?
    /// k of the top-k accuracy reported besides accuracy (nil: not reported).
    public var topK: Int?
    /// Learning-rate multipliers by layer name (discriminative fine-tuning), default 1.
    public var learningRateMultipliers: [String: Double]
    /// Whether the frozen prefix's outputs may be computed once and reused every epoch (only
    /// when there is no augmentation, since augmented images change every epoch).
    public var cacheFeatures: Bool

    /// A configuration with Keras's defaults where Keras has them.
    public init(epochs: Int, batchSize: Int = 32, optimizer: Optimizer, loss: Loss = Loss(), shuffle: Bool = true, seed: UInt64 = 0,
                earlyStopping: EarlyStopping? = nil, classWeights: [Int: Double]? = nil, augmentation: Augmentation = .none,
                l2: Double? = nil, topK: Int? = nil, learningRateMultipliers: [String: Double] = [:], cacheFeatures: Bool = true) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.loss = loss
        self.shuffle = shuffle
        self.seed = seed
        self.earlyStopping = earlyStopping
        self.classWeights = classWeights
        self.augmentation = augmentation
        self.l2 = l2
        self.topK = topK
        self.learningRateMultipliers = learningRateMultipliers
        self.cacheFeatures = cacheFeatures
    }

    /// Checks every value a caller may have set.
    public func validate() throws {
        guard epochs > 0 else { throw TrainingError.configuration("epochs must be at least 1, got \(epochs)") }
        guard batchSize > 0 else { throw TrainingError.configuration("the batch size must be at least 1, got \(batchSize)") }
        try optimizer.configuration.validate()
        guard loss.labelSmoothing >= 0, loss.labelSmoothing < 1 else {
            throw TrainingError.configuration("label smoothing must be in [0, 1), got \(loss.labelSmoothing)")
        }
        if let l2, !(l2 >= 0 && l2.isFinite) { throw TrainingError.configuration("--l2 must be a finite number >= 0, got \(l2)") }
        if let topK, topK < 1 { throw TrainingError.configuration("top-k must be at least 1, got \(topK)") }
        if let stopping = earlyStopping {
            guard stopping.patience >= 0 else { throw TrainingError.configuration("early-stopping patience must be >= 0, got \(stopping.patience)") }
            guard ["loss", "accuracy", "val_loss", "val_accuracy"].contains(stopping.monitor) else {
                throw TrainingError.configuration("early stopping monitors loss, accuracy, val_loss or val_accuracy, not '\(stopping.monitor)'")
            }
        }
        for (layer, multiplier) in learningRateMultipliers where !(multiplier >= 0 && multiplier.isFinite) {
            throw TrainingError.configuration("the learning-rate multiplier of '\(layer)' must be a finite number >= 0, got \(multiplier)")
        }
        if let weights = classWeights, let bad = weights.first(where: { !($0.value >= 0 && $0.value.isFinite) }) {
            throw TrainingError.configuration("class weight \(bad.value) of class \(bad.key) must be a finite number >= 0")
        }
    }
}
