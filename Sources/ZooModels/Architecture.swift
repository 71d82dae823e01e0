import ZooGraph

/// The architectures SwiftZoo builds, with keras.applications' topology, names, layer order and
/// BatchNormalization epsilon.
public enum Architecture: String, Codable, CaseIterable, Sendable {
    case resnet50, resnet101, resnet152, vgg16, vgg19

    /// The keras.applications function name (`ResNet50`, `VGG16`, ...).
    public var kerasName: String {
        switch self {
        case .resnet50: return "ResNet50"
        case .resnet101: return "ResNet101"
        case .resnet152: return "ResNet152"
        case .vgg16: return "VGG16"
        case .vgg19: return "VGG19"
        }
    }

    public var isResNet: Bool { [.resnet50, .resnet101, .resnet152].contains(self) }

    /// Blocks per stage (conv2..conv5 for ResNet, block1..block5 convs for VGG).
    public var stageDepths: [Int] {
        switch self {
        case .resnet50: return [3, 4, 6, 3]
        case .resnet101: return [3, 4, 23, 3]
        case .resnet152: return [3, 8, 36, 3]
        case .vgg16: return [2, 2, 3, 3, 3]
        case .vgg19: return [2, 2, 4, 4, 4]
        }
    }

    /// Builds the graph with Keras's names and `model.layers` order.
    public func build(_ options: ArchitectureOptions = ArchitectureOptions()) throws -> Graph {
        isResNet ? try ResNetBuilder(architecture: self).build(options) : try VGGBuilder(architecture: self).build(options)
    }

    /// Named layers where a backbone is commonly cut for transfer learning, shallow to deep:
    /// ResNet stage outputs, VGG block pools and the fully connected layers.
    public func transferPoints(includeTop: Bool = true) -> [String] {
        if isResNet {
            let stages = ["conv1_relu", "pool1_pool"] + stageDepths.enumerated().map { "conv\($0.offset + 2)_block\($0.element)_out" }
            return stages + (includeTop ? ["avg_pool"] : [])
        }
        return (1...5).map { "block\($0)_pool" } + (includeTop ? ["fc1", "fc2"] : [])
    }

    /// Keras "caffe" preprocessing, which both families use: RGB to BGR, then subtract the
    /// ImageNet channel means (in BGR order), no scaling.
    public static let caffeMeanBGR: [Double] = [103.939, 116.779, 123.68]
}
