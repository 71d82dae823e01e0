/// One layer of a graph: a unique name, an operation, the names of the layers it reads, the
/// weights it needs, its output shape and whether it is trainable.
public struct Node: Codable, Equatable, Sendable {
    public var name: String
    public var op: Op
    public var inputs: [String]
    /// Weights in the order Keras stores them (trainable first, then non-trainable).
    public var weights: [WeightSpec]
    /// Output shape without the batch dimension (NHWC: height, width, channels).
    public var outputShape: [Int]
    /// Whether training may update this layer (`layer.trainable` in Keras).
    public var trainable: Bool
    /// The nested model (a Sequential or Functional used as a layer, such as ConvNeXt's
    /// `convnext_tiny_stem`) this layer belongs to in Keras, or nil for a layer of the model
    /// itself. The graph is flat; Keras files group such a layer's weights and config under
    /// the nested model's name.
    public var container: String?

    /// Elements over all weights.
    public var parameterCount: Int { weights.reduce(0) { $0 + $1.elementCount } }

    /// Elements that training updates: none when the layer is frozen.
    public var trainableParameterCount: Int {
        trainable ? weights.filter(\.trainable).reduce(0) { $0 + $1.elementCount } : 0
    }
}
