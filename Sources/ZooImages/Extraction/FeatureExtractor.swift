import ZooCompute
import ZooGraph

/// Features of a model at a layer: the layer's output for a batch of preprocessed images,
/// optionally pooled over its spatial axes (global average or max pooling, as Keras's
/// `GlobalAveragePooling2D` and `GlobalMaxPooling2D`). Safe to use from many threads.
public struct FeatureExtractor: Sendable {
    /// Pooling of a 4-D `[batch, height, width, channels]` layer output.
    public enum Pooling: String, Sendable, CaseIterable {
        /// Mean over height and width.
        case avg
        /// Maximum over height and width.
        case max
        /// The layer's output as it is.
        case none
    }

    /// The compiled model.
    public let model: CompiledModel
    /// The layer whose output is the feature.
    public let layer: String
    /// The pooling applied to a 4-D output.
    public let pooling: Pooling

    /// An extractor at `layer` (nil: the model's output). Throws when the layer is unknown,
    /// naming the model's transfer points.
    public init(model: CompiledModel, layer: String? = nil, pooling: Pooling = .none) throws {
        let graph = model.model.graph
        let name = layer ?? graph.effectiveOutputs.first ?? ""
        guard let node = graph.node(name) else {
            let outputs = graph.effectiveOutputs.joined(separator: ", ")
            throw ImageError.invalidArgument("the model has no layer '\(name)'; its outputs are \(outputs) (list the layers with `zoo summary`)")
        }
        if pooling != .none && node.outputShape.count != 3 {
            throw ImageError.invalidArgument("layer '\(name)' outputs shape \(node.outputShape), not a height x width x channels map; use pooling none")
        }
        self.model = model
        self.layer = name
        self.pooling = pooling
    }

    /// The shape of one image's feature (without the batch axis).
    public var featureShape: [Int] {
        let shape = model.model.graph.node(layer)?.outputShape ?? []
        return pooling == .none ? shape : [shape.last ?? 0]
    }

    /// Features for `input` (`[batch, height, width, channels]`, preprocessed).
    public func features(_ input: Tensor) throws -> Tensor {
        guard let output = try model.run(input, outputs: [layer])[layer] else {
            throw ImageError.invalidArgument("the model produced no output for layer '\(layer)'")
        }
        guard pooling != .none else { return output }
        return Self.pool(output, pooling)
    }

    /// Global average or max pooling of an NHWC tensor, accumulated in float32 per channel.
    static func pool(_ tensor: Tensor, _ pooling: Pooling) -> Tensor {
        let shape = tensor.shape
        guard shape.count == 4 else { return tensor }
        let (batch, positions, channels) = (shape[0], shape[1] * shape[2], shape[3])
        var result = [Float](repeating: pooling == .max ? -.infinity : 0, count: batch * channels)
        tensor.data.withUnsafeBuffer(of: Float.self) { values in
            for image in 0..<batch {
                for position in 0..<positions {
                    let base = (image * positions + position) * channels
                    for channel in 0..<channels {
                        let value = values[base + channel]
                        if pooling == .max {
                            result[image * channels + channel] = Swift.max(result[image * channels + channel], value)
                        } else {
                            result[image * channels + channel] += value
                        }
                    }
                }
            }
        }
        if pooling == .avg, positions > 0 {
            for index in result.indices { result[index] /= Float(positions) }
        }
        return Tensor(shape: [batch, channels], values: result)
    }
}
