/// An error setting up or running training; each message says what to change.
public enum TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Labels that do not fit the model's output.
    case labels(String)
    /// Data whose images do not fit the model's input, or that is empty.
    case data(String)
    /// A hyper-parameter out of range.
    case configuration(String)
    /// The loss became NaN or infinite.
    case nonFiniteLoss(epoch: Int, step: Int, value: Double)
    /// A training checkpoint that cannot be used.
    case checkpoint(path: String, reason: String)

    public var description: String {
        switch self {
        case .labels(let reason): return "bad labels: \(reason)"
        case .data(let reason): return "bad data: \(reason)"
        case .configuration(let reason): return reason
        case .nonFiniteLoss(let epoch, let step, let value):
            return "the loss became \(value) at epoch \(epoch + 1), step \(step + 1); lower the learning rate (the last good checkpoint is kept)"
        case .checkpoint(let path, let reason): return "\(path): \(reason)"
        }
    }
}
