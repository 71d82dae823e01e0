import Foundation
import ZooCompute
import ZooGraph

/// The labels of a batch.
public enum Labels: Sendable, Equatable {
    /// One class index per sample (sparse categorical).
    case sparse([Int32])
    /// One row of class probabilities per sample (`[batch, classes]`, one-hot or soft).
    case dense([Float], classes: Int)
    /// One target in [0, 1] per output value (binary cross-entropy), `[batch * outputs]`.
    case binary([Float])

    /// The class index of each sample: the label itself, the argmax of a label row (ties to
    /// the lower index), or a binary target rounded at 0.5.
    public var classIndices: [Int] {
        switch self {
        case .sparse(let y): return y.map(Int.init)
        case .dense(let y, let classes):
            return (0..<count).map { i in
                var best = 0
                for c in 0..<classes where y[i * classes + c] > y[i * classes + best] { best = c }
                return best
            }
        case .binary(let y): return y.map { $0 >= 0.5 ? 1 : 0 }
        }
    }

    /// Samples.
    public var count: Int {
        switch self {
        case .sparse(let y): return y.count
        case .dense(let y, let classes): return classes > 0 ? y.count / classes : 0
        case .binary(let y): return y.count
        }
    }
}

/// A training loss with Keras's semantics and the `sum_over_batch_size` reduction: the mean of
/// the per-sample losses (times their sample weights) over the batch size.
///
/// - `sparseCategoricalCrossentropy` / `categoricalCrossentropy` on probabilities: Keras
///   normalises each row, clips it to [1e-7, 1 - 1e-7] and takes -sum(y log p). After a softmax
///   the gradient is fused: d loss / d logits = (p - y) * w / N, which is Keras's gradient
///   wherever no probability is clipped, and numerically stable.
/// - `binaryCrossentropy`: clip to [1e-7, 1 - 1e-7], -(y log p + (1 - y) log(1 - p)), averaged
///   over the last axis; after a sigmoid the gradient is fused the same way.
/// - Label smoothing: categorical targets become y (1 - s) + s / classes (Keras's
///   CategoricalCrossentropy); binary targets y (1 - s) + s / 2 (Keras's BinaryCrossentropy).
///   Sparse labels are smoothed as their one-hot rows (Keras's sparse loss has no smoothing).
public struct Loss: Codable, Sendable, Equatable {
    /// The kinds of loss.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case sparseCategoricalCrossentropy = "sparse_categorical_crossentropy"
        case categoricalCrossentropy = "categorical_crossentropy"
        case binaryCrossentropy = "binary_crossentropy"
    }

    /// Which loss.
    public var kind: Kind
    /// Label smoothing in [0, 1).
    public var labelSmoothing: Double

    /// Keras's clipping epsilon for probabilities.
    public static let epsilon: Float = 1e-7

    /// A loss; `labelSmoothing` must lie in [0, 1).
    public init(_ kind: Kind = .sparseCategoricalCrossentropy, labelSmoothing: Double = 0) {
        self.kind = kind
        self.labelSmoothing = labelSmoothing
    }

    /// The value of the loss on a batch and its gradient.
    public struct Value: Sendable {
        /// Mean loss over the batch (with sample weights).
        public var loss: Double
        /// Gradient with respect to the output, or to the logits when `point` is `.preActivation`.
        public var gradient: FloatTensor
        /// Where the gradient is taken.
        public var point: TrainingGraph.GradientPoint
    }

    /// Checks the labels against the model's output before a batch runs.
    public func validate(_ labels: Labels, outputShape: [Int]) throws {
        let classes = outputShape.last ?? 0
        let batch = outputShape.first ?? 0
        switch (kind, labels) {
        case (.sparseCategoricalCrossentropy, .sparse(let y)):
            guard y.count == batch else { throw TrainingError.labels("\(y.count) labels for \(batch) samples") }
            if let bad = y.first(where: { $0 < 0 || Int($0) >= classes }) {
                throw TrainingError.labels("label \(bad) is out of range for a head of \(classes) classes (expected 0...\(classes - 1))")
            }
        case (.categoricalCrossentropy, .dense(let y, let c)), (.sparseCategoricalCrossentropy, .dense(let y, let c)):
            guard c == classes, y.count == batch * classes else {
                throw TrainingError.labels("labels of shape [\(c > 0 ? y.count / c : 0), \(c)] for an output of shape \(outputShape)")
            }
        case (.categoricalCrossentropy, .sparse(let y)):
            if let bad = y.first(where: { $0 < 0 || Int($0) >= classes }) {
                throw TrainingError.labels("label \(bad) is out of range for a head of \(classes) classes (expected 0...\(classes - 1))")
            }
        case (.binaryCrossentropy, .binary(let y)):
            guard y.count == outputShape.reduce(1, *) else { throw TrainingError.labels("\(y.count) binary targets for an output of shape \(outputShape)") }
            if let bad = y.first(where: { !($0 >= 0 && $0 <= 1) }) { throw TrainingError.labels("binary target \(bad) is outside [0, 1]") }
        case (.binaryCrossentropy, .sparse(let y)):
            guard y.count == outputShape.reduce(1, *) else { throw TrainingError.labels("\(y.count) binary targets for an output of shape \(outputShape)") }
            if let bad = y.first(where: { $0 != 0 && $0 != 1 }) { throw TrainingError.labels("binary label \(bad) is not 0 or 1") }
        default:
            throw TrainingError.labels("\(kind.rawValue) does not take these labels")
        }
    }

    /// Rows of target probabilities (smoothed) for categorical losses.
    private func targets(_ labels: Labels, batch: Int, classes: Int) -> [Float] {
        var rows = [Float](repeating: 0, count: batch * classes)
        switch labels {
        case .sparse(let y): for (i, label) in y.enumerated() where Int(label) < classes && label >= 0 { rows[i * classes + Int(label)] = 1 }
        case .dense(let y, _): rows = Array(y.prefix(batch * classes))
        case .binary(let y): rows = Array(y.prefix(batch * classes))
        }
        if labelSmoothing > 0 {
            let s = Float(labelSmoothing)
            let spread = kind == .binaryCrossentropy ? s / 2 : s / Float(classes)
            for i in rows.indices { rows[i] = rows[i] * (1 - s) + spread }
        }
        return rows
    }

    /// Loss and gradient for `output` (the model's probabilities) against `labels`, with
    /// optional per-sample weights (class weights). `activation` is the output layer's
    /// activation: softmax (categorical) or sigmoid (binary) fuse the gradient.
    public func evaluate(output: FloatTensor, labels: Labels, sampleWeights: [Float]? = nil, activation: Activation) throws -> Value {
        try validate(labels, outputShape: output.shape)
        let batch = output.shape.first ?? 0
        let classes = batch > 0 ? output.values.count / batch : 0
        let y = targets(labels, batch: batch, classes: classes)
        let weights = sampleWeights ?? [Float](repeating: 1, count: batch)
        guard weights.count == batch else { throw TrainingError.labels("\(weights.count) sample weights for \(batch) samples") }
        let eps = Self.epsilon
        var total: Double = 0
        var gradient = FloatTensor(zeros: output.shape)
        let n = Float(batch)
        let p = output.values
        // A NaN output (weights blown up) is a NaN loss, as in Keras; clipping must not hide it.
        if p.contains(where: { !$0.isFinite }) {
            return Value(loss: .nan, gradient: gradient, point: .output)
        }
        if kind == .binaryCrossentropy {
            let fused = activation == .sigmoid
            for i in 0..<batch {
                var sample: Double = 0
                for j in 0..<classes {
                    let k = i * classes + j
                    let q = min(max(p[k], eps), 1 - eps)
                    sample -= Double(y[k]) * Double(Foundation.log(q)) + Double(1 - y[k]) * Double(Foundation.log(1 - q))
                    let scale = weights[i] / (n * Float(classes))
                    if fused {
                        gradient.values[k] = (p[k] - y[k]) * scale
                    } else if p[k] > eps && p[k] < 1 - eps {
                        gradient.values[k] = (-y[k] / q + (1 - y[k]) / (1 - q)) * scale
                    }
                }
                total += sample / Double(classes) * Double(weights[i])
            }
            return Value(loss: total / Double(batch), gradient: gradient, point: fused ? .preActivation : .output)
        }
        let fused = activation == .softmax
        for i in 0..<batch {
            var sum: Float = 0
            for j in 0..<classes { sum += p[i * classes + j] }
            var sample: Double = 0
            var targetSum: Float = 0
            for j in 0..<classes {
                let k = i * classes + j
                let q = min(max(p[k] / sum, eps), 1 - eps)
                sample -= Double(y[k]) * Double(Foundation.log(q))
                targetSum += y[k]
            }
            total += sample * Double(weights[i])
            let scale = weights[i] / n
            for j in 0..<classes {
                let k = i * classes + j
                if fused {
                    gradient.values[k] = (p[k] * targetSum - y[k]) * scale
                } else {
                    let q = p[k] / sum
                    // d/dp_k of -sum_j y_j log(p_j / S) = -y_k / p_k + sum(y) / S; zero where clipped.
                    gradient.values[k] = q > eps && q < 1 - eps ? (-y[k] / p[k] + targetSum / sum) * scale : targetSum / sum * scale
                }
            }
        }
        return Value(loss: total / Double(batch), gradient: gradient, point: fused ? .preActivation : .output)
    }
}
