import ZooFormats
import ZooGraph

/// A weight that does not fit the layer it is bound to.
public enum WeightError: Error, CustomStringConvertible, Equatable, Sendable {
    case unknownLayer(String)
    case unknownWeight(layer: String, weight: String, expected: [String])
    case wrongShape(layer: String, weight: String, expected: [Int], found: [Int])
    case wrongSize(layer: String, weight: String, expectedBytes: Int, foundBytes: Int)

    public var description: String {
        switch self {
        case .unknownLayer(let layer):
            return "no layer named '\(layer)' in the model"
        case .unknownWeight(let layer, let weight, let expected):
            return "layer '\(layer)' has no weight '\(weight)'; its weights are \(expected.isEmpty ? "none" : expected.joined(separator: ", "))"
        case .wrongShape(let layer, let weight, let expected, let found):
            return "\(layer)/\(weight): shape \(found) does not match the layer's \(expected)"
        case .wrongSize(let layer, let weight, let expectedBytes, let foundBytes):
            return "\(layer)/\(weight): holds \(foundBytes) bytes, but its shape and dtype need \(expectedBytes)"
        }
    }
}

extension BoundModel {
    /// Checks that every bound weight has its layer's shape and exactly the bytes its shape and
    /// dtype need, so nothing that reads them (kernel packing, training) can run past the end.
    /// The compute core and the trainer call this before they touch any weight memory.
    public func validateWeights() throws {
        for node in graph.nodes {
            guard let bound = weights[node.name] else { continue }
            for (name, weight) in bound {
                guard let spec = node.weights.first(where: { $0.name == name }) else { continue }
                guard weight.shape == spec.shape else {
                    throw WeightError.wrongShape(layer: node.name, weight: name, expected: spec.shape, found: weight.shape)
                }
                let expected = spec.elementCount * weight.dtype.byteSize
                guard weight.data.count == expected else {
                    throw WeightError.wrongSize(layer: node.name, weight: name, expectedBytes: expected, foundBytes: weight.data.count)
                }
            }
        }
    }

    /// Sets one weight to float32 `values`, checked against the layer's weight spec: the layer
    /// and weight must exist and `values.count` must equal the spec's element count. This is the
    /// safe way to change a bound model's weights (assigning `weights[...]` directly is checked
    /// only when the model is next planned or trained).
    public mutating func setWeight(layer: String, name: String, values: [Float]) throws {
        guard let node = graph.node(layer) else { throw WeightError.unknownLayer(layer) }
        guard let spec = node.weights.first(where: { $0.name == name }) else {
            throw WeightError.unknownWeight(layer: layer, weight: name, expected: node.weights.map(\.name))
        }
        guard values.count == spec.elementCount else {
            throw WeightError.wrongSize(layer: layer, weight: name, expectedBytes: spec.elementCount * 4, foundBytes: values.count * 4)
        }
        let previous = weights[layer]?[name]
        weights[layer, default: [:]][name] = Weight(name: name, path: previous?.path ?? "", storedName: previous?.storedName ?? "\(layer)/\(name)",
                                                    dtype: .float32, shape: spec.shape, data: TensorData(values: values))
    }
}
