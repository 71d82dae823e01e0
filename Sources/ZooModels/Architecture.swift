import ZooGraph
import ZooNative

/// The architectures SwiftZoo builds, with keras.applications' topology, names, layer order and
/// BatchNormalization epsilon. The raw value is the Keras function name lowercased (`--arch`).
public enum Architecture: String, Codable, CaseIterable, Sendable {
    case resnet50, resnet101, resnet152, vgg16, vgg19
    case efficientnetb0, efficientnetb1, efficientnetb2, efficientnetb3, efficientnetb4, efficientnetb5, efficientnetb6, efficientnetb7
    case efficientnetv2b0, efficientnetv2b1, efficientnetv2b2, efficientnetv2b3, efficientnetv2s, efficientnetv2m, efficientnetv2l
    case densenet121, densenet169, densenet201
    case resnet50v2, resnet101v2, resnet152v2
    case inceptionv3
    case mobilenet, mobilenetv2, xception, inceptionresnetv2
    case mobilenetv3small, mobilenetv3large
    case convnexttiny, convnextsmall, convnextbase, convnextlarge, convnextxlarge

    /// The keras.applications function name (`ResNet50`, `VGG16`, ...).
    public var kerasName: String { builder.kerasName }

    /// The builder of this architecture (one file per family, `*Builder.swift`).
    var builder: any ArchitectureBuilder {
        switch self {
        case .resnet50, .resnet101, .resnet152: return ResNetBuilder(architecture: self)
        case .vgg16, .vgg19: return VGGBuilder(architecture: self)
        case .efficientnetb0, .efficientnetb1, .efficientnetb2, .efficientnetb3, .efficientnetb4, .efficientnetb5, .efficientnetb6,
             .efficientnetb7:
            return EfficientNetBuilder(architecture: self)
        case .efficientnetv2b0, .efficientnetv2b1, .efficientnetv2b2, .efficientnetv2b3, .efficientnetv2s, .efficientnetv2m, .efficientnetv2l:
            return EfficientNetV2Builder(architecture: self)
        case .densenet121, .densenet169, .densenet201: return DenseNetBuilder(architecture: self)
        case .resnet50v2, .resnet101v2, .resnet152v2: return ResNetV2Builder(architecture: self)
        case .inceptionv3: return InceptionV3Builder()
        case .mobilenet: return MobileNetBuilder()
        case .mobilenetv2: return MobileNetV2Builder()
        case .xception: return XceptionBuilder()
        case .inceptionresnetv2: return InceptionResNetV2Builder()
        case .mobilenetv3small, .mobilenetv3large: return MobileNetV3Builder(architecture: self)
        case .convnexttiny, .convnextsmall, .convnextbase, .convnextlarge, .convnextxlarge: return ConvNeXtBuilder(architecture: self)
        }
    }

    /// ResNet v1 (the family whose Keras <= 2.2.4 files use other names and epsilon 1e-3).
    public var isResNet: Bool { [.resnet50, .resnet101, .resnet152].contains(self) }

    public var isDenseNet: Bool { [.densenet121, .densenet169, .densenet201].contains(self) }

    public var isConvNeXt: Bool { [.convnexttiny, .convnextsmall, .convnextbase, .convnextlarge, .convnextxlarge].contains(self) }

    /// Builds the graph with Keras's names and `model.layers` order; without options, Keras's
    /// defaults at this architecture's default input shape.
    public func build(_ options: ArchitectureOptions? = nil) throws -> Graph {
        try builder.build(options ?? defaultOptions())
    }

    /// keras.applications' defaults for this architecture (its default input shape), with
    /// the given top, pooling and classes.
    public func defaultOptions(includeTop: Bool = true, pooling: ArchitectureOptions.Pooling = .none, classes: Int = 1000) -> ArchitectureOptions {
        ArchitectureOptions(includeTop: includeTop, pooling: pooling, classes: classes, inputShape: defaultInputShape)
    }

    /// Named layers where a backbone is commonly cut for transfer learning, shallow to deep
    /// (stage or block outputs, then the pooled features and fully connected layers on top).
    public func transferPoints(includeTop: Bool = true) -> [String] {
        builder.transferPoints(includeTop: includeTop)
    }

    /// The input preprocessing the family's `preprocess_input` applies (what the pretrained
    /// weights expect): caffe for ResNet and VGG, tf for Inception, Xception, MobileNet and
    /// ResNetV2, torch for DenseNet, none for the families that rescale inside the model.
    public var preprocessing: ZooMetadata.Preprocessing {
        ZooMetadata.Preprocessing.kerasApplication(named: rawValue) ?? .none
    }

    /// The default input size (height, width, channels) of keras.applications (299x299x3 for
    /// InceptionV3, 224x224x3 for the others).
    public var defaultInputShape: [Int] { builder.defaultInputShape }

    /// Keras "caffe" preprocessing, which both families use: RGB to BGR, then subtract the
    /// ImageNet channel means (in BGR order), no scaling.
    public static let caffeMeanBGR: [Double] = [103.939, 116.779, 123.68]
}

/// What every family's builder provides (one file each: `ResNetBuilder`, `VGGBuilder`, ...).
protocol ArchitectureBuilder: Sendable {
    /// The keras.applications function name.
    var kerasName: String { get }
    /// keras.applications' default input shape.
    var defaultInputShape: [Int] { get }
    /// The graph, with Keras's layer names, order, shapes and parameter counts.
    func build(_ options: ArchitectureOptions) throws -> Graph
    /// Layers to cut at for transfer learning, shallow to deep.
    func transferPoints(includeTop: Bool) -> [String]
}

extension ArchitectureBuilder {
    var defaultInputShape: [Int] { [224, 224, 3] }
}

extension Graph {
    /// keras.applications' head after the backbone output `x`, and the graph's output: with the
    /// top, global average pooling named `topPool`, an optional Dropout, then the softmax
    /// classifier `predictions`; without it, the pooling `options.pooling` asks for (named
    /// `avgPool` / `maxPool`) or none.
    mutating func addApplicationHead(after x: String, options: ArchitectureOptions, topPool: String = "avg_pool",
                                     dropout: (name: String, rate: Double)? = nil,
                                     avgPool: String = "avg_pool", maxPool: String = "max_pool") throws {
        var x = x
        if options.includeTop {
            x = try add(topPool, .globalAveragePooling2D, inputs: [x])
            if let dropout, dropout.rate > 0 { x = try add(dropout.name, .dropout(rate: dropout.rate), inputs: [x]) }
            x = try add("predictions", .dense(DenseAttributes(units: options.classes, activation: .softmax)), inputs: [x])
        } else if options.pooling == .avg {
            x = try add(avgPool, .globalAveragePooling2D, inputs: [x])
        } else if options.pooling == .max {
            x = try add(maxPool, .globalMaxPooling2D, inputs: [x])
        }
        outputs = [x]
    }
}
