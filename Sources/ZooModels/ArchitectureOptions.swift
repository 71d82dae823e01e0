import ZooGraph

/// keras.applications' builder options.
public struct ArchitectureOptions: Codable, Equatable, Sendable {
    /// Global pooling applied when there is no classifier on top.
    public enum Pooling: String, Codable, Sendable, CaseIterable { case none, avg, max }

    public var includeTop: Bool
    public var pooling: Pooling
    public var classes: Int
    /// Input shape without the batch dimension (height, width, channels).
    public var inputShape: [Int]
    /// BatchNormalization epsilon; nil uses the architecture's own (1.001e-5 for ResNet; the
    /// Keras <= 2.2.4 era used 1e-3, which binding a keras-v1 file selects).
    public var batchNormEpsilon: Double?
    /// MobileNet width multiplier (`alpha`); nil is 1.0. MobileNetV3 reads it (0.75 and 1.0
    /// have ImageNet weights); the detector finds it from a file's widths.
    public var alpha: Double?
    /// MobileNetV3's `minimalistic=True` (3x3 kernels, ReLU, no squeeze-and-excitation); nil is false.
    public var minimalistic: Bool?
    /// EfficientNet (B0-B7) as `weights="imagenet"` builds it: Keras adds
    /// `Rescaling(1 / sqrt(std))` (ImageNet's RGB std) after the Normalization, which the
    /// published weights need (their Normalization divides by the variance's root only); nil is
    /// false. The detector sets it when a file's Normalization holds ImageNet's statistics.
    public var imagenetRescaling: Bool?

    public init(includeTop: Bool = true, pooling: Pooling = .none, classes: Int = 1000, inputShape: [Int] = [224, 224, 3], batchNormEpsilon: Double? = nil,
                alpha: Double? = nil, minimalistic: Bool? = nil, imagenetRescaling: Bool? = nil) {
        self.imagenetRescaling = imagenetRescaling
        self.alpha = alpha
        self.minimalistic = minimalistic
        self.includeTop = includeTop
        self.pooling = pooling
        self.classes = classes
        self.inputShape = inputShape
        self.batchNormEpsilon = batchNormEpsilon
    }
}
