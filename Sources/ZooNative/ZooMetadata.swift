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
        /// Keras "tf" mode: `x / 127.5 - 1`.
        public static let tf = Preprocessing(mode: "tf", channelOrder: "RGB", mean: [127.5, 127.5, 127.5], scale: 1 / 127.5)
        /// Keras "torch" mode: `x / 255`, then ImageNet mean and std (`mean` holds the mean; the std
        /// is `[0.229, 0.224, 0.225]`).
        public static let torch = Preprocessing(mode: "torch", channelOrder: "RGB", mean: [0.485, 0.456, 0.406], scale: 1 / 255)
        /// No preprocessing (models that rescale inside, such as EfficientNet and ConvNeXt).
        public static let none = Preprocessing(mode: "none", channelOrder: "RGB", mean: [0, 0, 0], scale: 1)

        /// The preprocessing of a keras.applications model, by its function or model name
        /// (`resnet50`, `vgg16`, `mobilenetv2_1.00_224`, `densenet121`, `efficientnetb0`, ...).
        public static func kerasApplication(named name: String) -> Preprocessing? {
            let lowered = name.lowercased()
            if lowered.hasPrefix("resnet") && !lowered.contains("v2") || lowered.hasPrefix("vgg") { return .caffe }
            if lowered.hasPrefix("densenet") { return .torch }
            // MobileNetV3 rescales inside (include_preprocessing=True, Keras's default).
            if lowered.hasPrefix("efficientnet") || lowered.hasPrefix("convnext") || lowered.hasPrefix("mobilenetv3") { return Preprocessing.none }
            if ["inception", "xception", "mobilenet", "resnet"].contains(where: lowered.hasPrefix) { return .tf }
            return nil
        }
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
