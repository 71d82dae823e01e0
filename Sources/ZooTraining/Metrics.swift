import ZooCompute

/// Accuracy metrics as Keras computes them for a classifier's probabilities.
public enum Metrics {
    /// Fraction of samples whose top `k` predictions contain the label (k = 1: Keras's
    /// `sparse_categorical_accuracy` / `categorical_accuracy`; binary outputs: `p > 0.5`
    /// equals the target, Keras's `binary_accuracy`). Ties go to the lower class index.
    public static func correct(_ output: FloatTensor, labels: Labels, k: Int = 1) -> Int {
        let batch = output.shape.first ?? 0
        guard batch > 0 else { return 0 }
        let classes = output.values.count / batch
        if case .binary(let y) = labels {
            return zip(output.values, y).filter { ($0 > 0.5) == ($1 > 0.5) }.count / max(classes, 1)
        }
        let truth = labels.classIndices
        var hits = 0
        output.values.withUnsafeBufferPointer { p in
            for i in 0..<min(batch, truth.count) {
                let label = truth[i]
                guard label >= 0, label < classes else { continue }
                let score = p[i * classes + label]
                // Rank of the label: classes scoring higher (or equal with a lower index).
                var above = 0
                for j in 0..<classes where p[i * classes + j] > score || (p[i * classes + j] == score && j < label) { above += 1 }
                if above < k { hits += 1 }
            }
        }
        return hits
    }
}
