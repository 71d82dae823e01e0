/// A Keras checkpoint read from any layout: layers in file order with their weights, plus the
/// model config and the Keras version and backend where the file has them.
public struct Checkpoint: Sendable, Equatable {
    public var format: CheckpointFormat
    public var kerasVersion: String?
    public var backend: String?
    public var layers: [CheckpointLayer]
    /// The model config JSON (`model_config` of a full-model HDF5, `config.json` of an archive).
    public var modelConfig: String?
    /// The training config JSON of a compiled full-model HDF5.
    public var trainingConfig: String?
    /// SwiftZoo's provenance record (JSON: parent architecture, source file and SHA-256, cut
    /// point, ...) for files SwiftZoo derived from another; stored as the root attribute
    /// `swiftzoo_provenance` in HDF5 layouts and under `swiftzoo` in an archive's metadata.json.
    public var provenance: String?

    public init(format: CheckpointFormat, kerasVersion: String? = nil, backend: String? = nil,
                layers: [CheckpointLayer], modelConfig: String? = nil, trainingConfig: String? = nil) {
        self.format = format
        self.kerasVersion = kerasVersion
        self.backend = backend
        self.layers = layers
        self.modelConfig = modelConfig
        self.trainingConfig = trainingConfig
    }

    /// Total elements over every weight of every layer.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// Total bytes of weight data.
    public var byteCount: Int { layers.reduce(0) { $0 + $1.weights.reduce(0) { $0 + $1.data.count } } }

    /// Every weight with its layer, in order.
    public var allWeights: [(layer: CheckpointLayer, weight: Weight)] {
        layers.flatMap { layer in layer.weights.map { (layer, $0) } }
    }
}
