import Foundation
import ZooCompute
import ZooFormats

/// Training or evaluation data in memory: images (NHWC float32, preprocessed for the model) and
/// their labels. The `.npz` layout is the one `zoo extract` writes: `x` (N, H, W, C) float32 and
/// `y` (N,) integer class labels, or (N, C) float rows for one-hot / soft labels.
public struct Dataset: Sendable {
    /// The images, `[N, H, W, C]` (or `[N, features]`).
    public var x: FloatTensor
    /// The labels, one per image.
    public var labels: Labels

    /// A dataset; the labels must count the same samples as `x`.
    public init(x: FloatTensor, labels: Labels) throws {
        guard let n = x.shape.first, n > 0 else { throw TrainingError.data("the dataset holds no samples") }
        guard x.values.count == x.shape.reduce(1, *) else {
            throw TrainingError.data("x has shape \(x.shape) but holds \(x.values.count) values")
        }
        guard labels.count == n || { if case .binary = labels { return true } else { return false } }() else {
            throw TrainingError.data("x holds \(n) samples but there are \(labels.count) labels")
        }
        self.x = x
        self.labels = labels
    }

    /// Samples.
    public var count: Int { x.shape.first ?? 0 }

    /// Shape of one sample.
    public var sampleShape: [Int] { Array(x.shape.dropFirst()) }

    /// Reads `x` and `y` from a `.npz` file. Integer `y` of shape (N,) (or (N, 1)) are class
    /// labels; float `y` of shape (N, C) are label rows; float `y` of shape (N,) with values in
    /// [0, 1] are binary targets when `binary` is set, else must be whole class numbers.
    public static func load(_ path: String, binary: Bool = false) throws -> Dataset {
        let arrays = try NumpyArchive.read(path)
        guard let xArray = arrays.first(where: { $0.name == "x" })?.array else {
            throw TrainingError.data("\(path): no array 'x' (expected x: (N, H, W, C) float32 and y: (N,) labels, as zoo extract writes)")
        }
        guard let yArray = arrays.first(where: { $0.name == "y" })?.array else {
            throw TrainingError.data("\(path): no array 'y' (expected y: (N,) integer class labels)")
        }
        guard xArray.dtype == .float32 else {
            throw TrainingError.data("\(path): x is \(xArray.dtype.rawValue), expected float32 (convert with x.astype(np.float32))")
        }
        let x = FloatTensor(shape: xArray.shape, values: xArray.data.array(of: Float.self))
        let n = xArray.shape.first ?? 0
        let labels: Labels
        switch yArray.dtype {
        case .int32, .int64, .uint8:
            guard yArray.elementCount == n, yArray.shape.count == 1 || yArray.shape == [n, 1] else {
                throw TrainingError.data("\(path): y has shape \(yArray.shape), expected (\(n),) integer labels")
            }
            let values: [Int64]
            switch yArray.dtype {
            case .int32: values = yArray.data.array(of: Int32.self).map(Int64.init)
            case .int64: values = yArray.data.array(of: Int64.self)
            default: values = yArray.data.array(of: UInt8.self).map(Int64.init)
            }
            if let bad = values.first(where: { $0 < 0 || $0 > Int64(Int32.max) }) { throw TrainingError.labels("\(path): label \(bad) is negative or too large") }
            labels = binary ? .binary(values.map(Float.init)) : .sparse(values.map { Int32($0) })
        case .float32, .float64:
            let values = yArray.dtype == .float32 ? yArray.data.array(of: Float.self) : yArray.data.array(of: Double.self).map(Float.init)
            if yArray.shape.count == 2, yArray.shape[0] == n, !binary {
                labels = .dense(values, classes: yArray.shape[1])
            } else if yArray.elementCount == n || binary {
                if binary {
                    labels = .binary(values)
                } else {
                    guard values.allSatisfy({ $0 >= 0 && $0 == $0.rounded() && $0 < 2_147_483_648 }) else {
                        throw TrainingError.labels("\(path): y holds non-integer values; pass integer class labels (or use a binary loss)")
                    }
                    labels = .sparse(values.map { Int32($0) })
                }
            } else {
                throw TrainingError.data("\(path): y has shape \(yArray.shape), expected (\(n),) or (\(n), classes)")
            }
        default:
            throw TrainingError.data("\(path): y is \(yArray.dtype.rawValue), expected integer labels or float label rows")
        }
        do {
            return try Dataset(x: x, labels: labels)
        } catch let error as TrainingError {
            throw TrainingError.data("\(path): \(error)")
        }
    }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        Dataset(unchecked: images(indices), labels: labels(indices))
    }

    /// The images at `indices`, in that order.
    public func images(_ indices: [Int]) -> FloatTensor {
        let per = x.itemCount
        var values = [Float](repeating: 0, count: indices.count * per)
        x.values.withUnsafeBufferPointer { source in
            values.withUnsafeMutableBufferPointer { target in
                for (row, i) in indices.enumerated() {
                    guard let s = source.baseAddress, let t = target.baseAddress else { return }
                    (t + row * per).update(from: s + i * per, count: per)
                }
            }
        }
        return FloatTensor(shape: [indices.count] + sampleShape, values: values)
    }

    /// The labels of the samples at `indices`, in that order.
    public func labels(_ indices: [Int]) -> Labels {
        switch labels {
        case .sparse(let y): return .sparse(indices.map { y[$0] })
        case .dense(let y, let classes): return .dense(indices.flatMap { y[($0 * classes)..<(($0 + 1) * classes)] }, classes: classes)
        case .binary(let y):
            let per = count > 0 ? y.count / count : 1
            return .binary(indices.flatMap { y[($0 * per)..<(($0 + 1) * per)] })
        }
    }

    init(unchecked x: FloatTensor, labels: Labels) {
        self.x = x
        self.labels = labels
    }

    /// Keras's `validation_split`: the last `fraction` of the samples (before any shuffling) is
    /// the validation set, the rest the training set.
    public func split(validationFraction fraction: Double) throws -> (train: Dataset, validation: Dataset) {
        guard fraction > 0, fraction < 1 else { throw TrainingError.configuration("--validation-split must be between 0 and 1 (exclusive), got \(fraction)") }
        let validationCount = Int((Double(count) * fraction).rounded(.down))
        let trainCount = count - validationCount
        guard validationCount > 0, trainCount > 0 else {
            throw TrainingError.configuration("--validation-split \(fraction) of \(count) samples leaves an empty training or validation set")
        }
        return (subset(Array(0..<trainCount)), subset(Array(trainCount..<count)))
    }

    /// The class index of each sample (argmax of label rows; binary targets rounded).
    public var classIndices: [Int] { labels.classIndices }
}
