/// The typed metadata of a `.zoo` file (stored as JSON with snake_case keys, see Docs/FORMAT.md).
public struct ZooMetadata: Codable, Equatable, Sendable {
    /// Keras "caffe" preprocessing and friends.
    public struct Preprocessing: Codable, Equatable, Sendable {
        public var mode: String
        public var channelOrder: String
        public var mean: [Double]
        public var scale: Double

        public init(mode: String, channelOrder: String, mean: [Double], scale: Double) {
            self.mode = mode
            self.channelOrder = channelOrder
            self.mean = mean
            self.scale = scale
        }

        /// Keras "caffe" mode: RGB to BGR, subtract the ImageNet means, no scaling.
        public static let caffe = Preprocessing(mode: "caffe", channelOrder: "BGR", mean: [103.939, 116.779, 123.68], scale: 1)
    }

    /// Where the weights came from.
    public struct Source: Codable, Equatable, Sendable {
        public var file: String
        public var sha256: String
        public var format: String
        public var kerasVersion: String?
        public var backend: String?

        public init(file: String, sha256: String, format: String, kerasVersion: String? = nil, backend: String? = nil) {
            self.file = file
            self.sha256 = sha256
            self.format = format
            self.kerasVersion = kerasVersion
            self.backend = backend
        }
    }

    public var architecture: String?
    public var naming: String?
    public var inputShape: [Int]?
    public var preprocessing: Preprocessing?
    public var classes: Int?
    public var classifierLayer: String?
    /// Epsilon of every BatchNormalization layer, by layer name.
    public var batchNormEpsilon: [String: Double]?
    public var source: Source?
    public var toolName: String = "swiftzoo"
    public var toolVersion: String = "0.1.0"
    /// The provenance record of a sliced model (JSON text).
    public var slice: String?
    /// True when BatchNormalization was folded into the convolutions.
    public var foldedBatchNorm: Bool?
    /// Max absolute error per tensor after a dtype conversion.
    public var dtypeConversion: [String: Double]?
    /// The Keras model config, when the source had one (kept for lossless round trips).
    public var kerasModelConfig: String?
    public var kerasTrainingConfig: String?

    public init() {}
}
