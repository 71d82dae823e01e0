/// One epoch's results, as Keras's `History` records them (plus timing).
public struct EpochLog: Codable, Sendable, Equatable {
    /// The epoch, counted from 1.
    public var epoch: Int
    /// Mean training loss over the epoch's steps, weighted by batch size (regularisation included).
    public var loss: Double
    /// Training accuracy over the epoch (on the training-mode outputs, as Keras reports it).
    public var accuracy: Double
    /// Top-k training accuracy, when asked for.
    public var topKAccuracy: Double?
    /// Validation loss and accuracy, when there is validation data.
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var validationTopKAccuracy: Double?
    /// The learning rate of the epoch's last step.
    public var learningRate: Double
    /// Wall time of the epoch in seconds (training steps and validation).
    public var seconds: Double
    /// Training images per second.
    public var imagesPerSecond: Double

    /// The value of a monitored metric (`loss`, `accuracy`, `val_loss`, `val_accuracy`).
    public func value(of metric: String) -> Double? {
        switch metric {
        case "loss": return loss
        case "accuracy": return accuracy
        case "val_loss": return validationLoss
        case "val_accuracy": return validationAccuracy
        default: return nil
        }
    }
}

/// What `fit` returns: every epoch's log and how training ended.
public struct History: Codable, Sendable, Equatable {
    /// One entry per epoch run (including those run before a resume).
    public var epochs: [EpochLog] = []
    /// The epoch (from 1) whose weights the model holds at the end, when early stopping
    /// restored the best ones; nil otherwise.
    public var restoredEpoch: Int?
    /// The epoch (from 1) at which early stopping ended training, if it did.
    public var stoppedEpoch: Int?

    /// A history with no epochs.
    public init() {}
}

/// The result of `Trainer.evaluate`.
public struct Evaluation: Codable, Sendable, Equatable {
    /// Mean loss (regularisation included, as Keras's `evaluate` reports it).
    public var loss: Double
    /// Accuracy.
    public var accuracy: Double
    /// Top-k accuracy, when asked for.
    public var topKAccuracy: Double?
    /// Samples evaluated.
    public var samples: Int
}

/// What `fit` reports while it runs.
public enum TrainingEvent: Sendable {
    /// A step finished: epoch (from 1), step (from 1) of `steps`, running loss and accuracy,
    /// images per second so far in the epoch, and the estimated seconds left in the epoch.
    case step(epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double, accuracy: Double, imagesPerSecond: Double, eta: Double)
    /// An epoch finished.
    case epoch(EpochLog)
    /// Features of the frozen prefix are being computed once: done of total samples.
    case caching(done: Int, total: Int)
}
