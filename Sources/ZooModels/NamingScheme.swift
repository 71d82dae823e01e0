import ZooFormats

/// How a file names its weights.
public enum NamingScheme: String, Codable, CaseIterable, Sendable {
    /// tf.keras / Keras >= 2.3 / Keras 3 layer names: `conv1_conv`, `conv2_block1_0_conv`, `predictions`.
    case keras
    /// Keras <= 2.2.4 / keras_applications 1.0.8 names. ResNet: `conv1`, `bn_conv1`,
    /// `res2a_branch2a`, `res2a_branch1`, `fc1000` (BatchNormalization epsilon 1e-3). DenseNet:
    /// `conv1/conv`, `conv1/bn`, `fc1000` (the blocks and transitions kept their names).
    /// ResNetV2: `probs` for `predictions`. InceptionV3, Xception and InceptionResNetV2: Keras 2's
    /// 1-based automatic names (`conv2d_1`, `batch_normalization_1`, ...). MobileNetV3 (tf-keras):
    /// `Conv`, `Conv/BatchNorm`, `expanded_conv_1/expand`, `Conv_2`, `Logits`. VGG names did not change.
    case kerasV1 = "keras-v1"
    /// Keras 3 `.weights.h5` object paths: `conv2d_N`, `batch_normalization_N`, ... by class and counter.
    case keras3 = "keras3"
    /// torchvision state-dict names (`conv1.weight`, `layer1.0.downsample.0.weight`, `fc.weight`;
    /// VGG `features.N`, `classifier.N`), with OIHW convs and `(out, in)` Dense weights.
    case torchvision

    /// Detects a checkpoint's scheme from its names.
    public static func detect(_ checkpoint: Checkpoint) -> NamingScheme {
        let names = checkpoint.layers.filter { !$0.weights.isEmpty }.map(\.name)
        if names.contains(where: { $0.hasPrefix("layer1.") || $0.hasPrefix("features.") || $0.hasPrefix("classifier.") }) {
            return .torchvision
        }
        if names.contains(where: { $0 == "bn_conv1" || $0 == "fc1000" || ($0.hasPrefix("res") && $0.contains("_branch")) }) {
            return .kerasV1
        }
        let nameSet = Set(names)
        // keras_applications 1.0.8: DenseNet's stem, ResNetV2's classifier.
        // tf-keras's MobileNetV3 (`Conv/BatchNorm`, `expanded_conv/depthwise`).
        if nameSet.contains("conv1/conv") || nameSet.contains("conv1/bn") || (nameSet.contains("probs") && nameSet.contains("post_bn"))
            || nameSet.contains("Conv/BatchNorm") || nameSet.contains("expanded_conv/depthwise") {
            return .kerasV1
        }
        // Keras 2 automatic names count from 1 (`conv2d_1` with no `conv2d`); only InceptionV3
        // (94 of them) has a builder that needs them renamed, other such files stay keras.
        if checkpoint.format != .keras3Weights, nameSet.contains("conv2d_1"), nameSet.contains("conv2d_94"), nameSet.contains("batch_normalization_1"),
           !nameSet.contains("conv2d"), !nameSet.contains("batch_normalization") {
            return .kerasV1
        }
        // Xception / InceptionResNetV2 weights of the Keras <= 2.2.4 era: automatic names from 1.
        if checkpoint.format != .keras3Weights, nameSet.contains("conv2d_1"), !nameSet.contains("conv2d"),
           nameSet.contains("block2_sepconv1") || nameSet.contains("conv_7b") || nameSet.contains("block35_1_conv") {
            return .kerasV1
        }
        if checkpoint.format == .keras3Weights,
           names.contains(where: { KerasNaming.classesBySnakeCase[KerasNaming.splitCounter($0).base] != nil }) {
            return .keras3
        }
        return .keras
    }

    /// The separator between layer and weight in this scheme's full tensor names.
    var separator: String { self == .torchvision ? "." : "/" }
}
