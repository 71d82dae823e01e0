/// One layer of a checkpoint, with its weights in stored order (trainable, then non-trainable).
public struct CheckpointLayer: Sendable, Equatable {
    /// The layer's name: the Keras layer name for legacy files and archives, the stored group
    /// name (`conv2d_3`) for Keras 3 `.weights.h5` files, which do not record layer order.
    public var name: String
    /// The Keras class name (`Conv2D`) where the file's config or naming tells it.
    public var className: String?
    /// The real Keras layer name when the file records one beside a group name (Keras 3).
    public var kerasName: String?
    public var weights: [Weight]
    /// The nested model (a Sequential or Functional used as a layer) this layer belongs to.
    /// Legacy `.h5` files store its weights in that model's group; Keras 3 files in
    /// `layers/<model group>/layers/<group>`. The nested model is a layer of its own, listed
    /// before its layers, with no weights.
    public var nestedIn: String?
    /// How many of `weights` (which come trainable first) Keras trains; nil: all. A frozen layer
    /// has 0. Legacy files list a nested model's weights trainable first across its layers.
    public var trainableWeightCount: Int?

    public init(name: String, className: String? = nil, kerasName: String? = nil, weights: [Weight], nestedIn: String? = nil, trainableWeightCount: Int? = nil) {
        self.name = name
        self.className = className
        self.kerasName = kerasName
        self.weights = weights
        self.nestedIn = nestedIn
        self.trainableWeightCount = trainableWeightCount
    }

    /// Total elements over all weights.
    public var parameterCount: Int { weights.reduce(0) { $0 + $1.elementCount } }
}
