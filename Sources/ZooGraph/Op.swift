/// Keras padding modes, computed as Keras does: `valid` uses no padding and drops the rest;
/// `same` pads so the output is `ceil(input / stride)`, the extra pixel going bottom/right.
public enum Padding: String, Codable, Sendable { case valid, same }

/// Activation functions, as in Keras's `activation=` argument; the raw value is Keras 3's name.
public enum Activation: String, Codable, Sendable, CaseIterable {
    case linear, relu, softmax, sigmoid, tanh
    /// `x * sigmoid(x)` (Keras 3 `silu`; tf-keras calls it `swish`).
    case silu
    /// `0.5 x (1 + erf(x / sqrt 2))`, Keras's `gelu` (approximate=False).
    case gelu
    /// `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`, `gelu(approximate=True)`; Keras has no
    /// config name for it (Swift API only; exporting it is an error).
    case geluTanh = "gelu_tanh"
    /// Keras 3's `hard_sigmoid`: `relu6(x + 3) / 6`.
    case hardSigmoid = "hard_sigmoid"
    /// Keras 2's (tf-keras) `hard_sigmoid`: `clip(0.2 x + 0.5, 0, 1)`; configs from Keras 2 files
    /// that say `hard_sigmoid` import as this.
    case hardSigmoidKeras2 = "hard_sigmoid_keras2"
    /// `x * relu6(x + 3) / 6` (Keras 3 `hard_silu`, alias `hard_swish`).
    case hardSilu = "hard_silu"
    /// `min(max(x, 0), 6)`.
    case relu6
    /// `x` for x > 0, `exp(x) - 1` otherwise (alpha 1).
    case elu
    /// `scale * elu(x, alpha)` with Keras's constants (1.0507009873554805, 1.6732632423543772).
    case selu
    /// `log(1 + exp(x))`.
    case softplus
    /// `x` for x >= 0, `0.2 x` otherwise (Keras 3's `leaky_relu` activation default).
    case leakyRelu = "leaky_relu"

    /// The Keras activation names that mean one of these (aliases and other eras' names);
    /// `hard_sigmoid` depends on the era, see `KerasConfigImporter`.
    public static func named(_ name: String, keras2: Bool = false) -> Activation? {
        switch name {
        case "swish": return .silu
        case "hard_swish": return .hardSilu
        case "hard_sigmoid": return keras2 ? .hardSigmoidKeras2 : .hardSigmoid
        case "gelu_tanh", "hard_sigmoid_keras2": return nil  // not Keras names
        default: return Activation(rawValue: name)
        }
    }
}

/// Keras's `ReLU` layer: `max_value` caps the output (6 in MobileNet), values below
/// `threshold` get `negative_slope * (x - threshold)`.
public struct ReLUAttributes: Codable, Equatable, Sendable {
    public var maxValue: Double?
    public var negativeSlope: Double
    public var threshold: Double

    public init(maxValue: Double? = nil, negativeSlope: Double = 0, threshold: Double = 0) {
        self.maxValue = maxValue
        self.negativeSlope = negativeSlope
        self.threshold = threshold
    }
}

/// Attributes of SeparableConv2D: a depthwise convolution (`depthMultiplier` outputs per input
/// channel, no bias) then a 1x1 pointwise convolution to `filters` channels with the bias and
/// the activation.
public struct SeparableConvAttributes: Codable, Equatable, Sendable {
    public var filters: Int
    public var kernel: [Int]
    public var strides: [Int]
    public var padding: Padding
    public var dilation: [Int]
    public var depthMultiplier: Int
    public var useBias: Bool
    public var activation: Activation

    public init(filters: Int, kernel: [Int], strides: [Int] = [1, 1], padding: Padding = .valid, dilation: [Int] = [1, 1],
                depthMultiplier: Int = 1, useBias: Bool = true, activation: Activation = .linear) {
        self.filters = filters
        self.kernel = kernel
        self.strides = strides
        self.padding = padding
        self.dilation = dilation
        self.depthMultiplier = depthMultiplier
        self.useBias = useBias
        self.activation = activation
    }

    /// The depthwise half as a DepthwiseConv2D (no bias, linear).
    public var depthwise: ConvAttributes {
        ConvAttributes(filters: depthMultiplier, kernel: kernel, strides: strides, padding: padding, dilation: dilation, useBias: false)
    }

    /// The pointwise half as a 1x1 Conv2D.
    public var pointwise: ConvAttributes {
        ConvAttributes(filters: filters, kernel: [1, 1], useBias: useBias, activation: activation)
    }
}

/// Attributes of Normalization (last axis). Without `mean` and `variance` in the config the
/// statistics are non-trainable weights `mean`, `variance` (one per channel) and `count` (an
/// int64 scalar), as an adapted or loaded layer has them; with them they are constants.
public struct NormalizationAttributes: Codable, Equatable, Sendable {
    /// `mean + x * std` instead of `(x - mean) / std`.
    public var invert: Bool
    public var mean: [Double]?
    public var variance: [Double]?

    public init(invert: Bool = false, mean: [Double]? = nil, variance: [Double]? = nil) {
        self.invert = invert
        self.mean = mean
        self.variance = variance
    }

    /// Keras's `backend.epsilon()`, the least standard deviation divided by.
    public static let epsilon = 1e-7
}

/// Attributes of LayerNormalization over the last axis.
public struct LayerNormAttributes: Codable, Equatable, Sendable {
    public var epsilon: Double
    public var center: Bool
    public var scale: Bool

    public init(epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true) {
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
    }
}

/// Attributes of Conv2D and DepthwiseConv2D.
public struct ConvAttributes: Codable, Equatable, Sendable {
    /// Output channels (Conv2D) or depth multiplier (DepthwiseConv2D).
    public var filters: Int
    public var kernel: [Int]
    public var strides: [Int]
    public var padding: Padding
    public var dilation: [Int]
    public var useBias: Bool
    public var activation: Activation
    /// Keras `kernel_regularizer=L2(x)`: training adds x * sum(kernel^2) to the loss (nil: none).
    public var kernelL2: Double?
    /// Conv2D's `groups`: 1 for a dense convolution, or the input channel count for a
    /// convolution that reads each channel alone (ConvNeXt's 7x7 `depthwise_conv`, kernel
    /// (kh, kw, 1, filters)); other group counts are refused when the shape is inferred.
    public var groups: Int

    public init(filters: Int, kernel: [Int], strides: [Int] = [1, 1], padding: Padding = .valid, dilation: [Int] = [1, 1], useBias: Bool = true, activation: Activation = .linear, kernelL2: Double? = nil, groups: Int = 1) {
        self.groups = groups
        self.kernelL2 = kernelL2
        self.filters = filters
        self.kernel = kernel
        self.strides = strides
        self.padding = padding
        self.dilation = dilation
        self.useBias = useBias
        self.activation = activation
    }
}

extension ConvAttributes {
    private enum CodingKeys: String, CodingKey { case filters, kernel, strides, padding, dilation, useBias, activation, kernelL2, groups }

    /// Graphs stored before `groups` existed decode with groups 1.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(filters: try c.decode(Int.self, forKey: .filters), kernel: try c.decode([Int].self, forKey: .kernel),
                  strides: try c.decode([Int].self, forKey: .strides), padding: try c.decode(Padding.self, forKey: .padding),
                  dilation: try c.decode([Int].self, forKey: .dilation), useBias: try c.decode(Bool.self, forKey: .useBias),
                  activation: try c.decode(Activation.self, forKey: .activation), kernelL2: try c.decodeIfPresent(Double.self, forKey: .kernelL2),
                  groups: try c.decodeIfPresent(Int.self, forKey: .groups) ?? 1)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(filters, forKey: .filters)
        try c.encode(kernel, forKey: .kernel)
        try c.encode(strides, forKey: .strides)
        try c.encode(padding, forKey: .padding)
        try c.encode(dilation, forKey: .dilation)
        try c.encode(useBias, forKey: .useBias)
        try c.encode(activation, forKey: .activation)
        try c.encodeIfPresent(kernelL2, forKey: .kernelL2)
        if groups != 1 { try c.encode(groups, forKey: .groups) }
    }

    /// The DepthwiseConv2D this Conv2D computes when `groups` > 1 (groups == input channels):
    /// output channel c*m + j reads channel c, with m = filters / groups; the kernel
    /// (kh, kw, 1, filters) has the bytes of a depthwise kernel (kh, kw, groups, m).
    public var asDepthwise: ConvAttributes {
        var a = self
        a.filters = groups > 0 ? filters / groups : filters
        a.groups = 1
        return a
    }
}

/// Attributes of BatchNormalization (inference uses the moving statistics).
public struct BatchNormAttributes: Codable, Equatable, Sendable {
    public var axis: Int
    public var epsilon: Double
    public var center: Bool
    public var scale: Bool
    /// Keras's `momentum` for the moving statistics; nil means Keras's default, 0.99.
    public var momentum: Double?

    /// The momentum training uses: `momentum`, or Keras's default 0.99.
    public var effectiveMomentum: Double { momentum ?? 0.99 }

    public init(axis: Int = -1, epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true, momentum: Double? = nil) {
        self.momentum = momentum
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
    }
}

/// Attributes of MaxPooling2D and AveragePooling2D.
public struct PoolAttributes: Codable, Equatable, Sendable {
    public var size: [Int]
    public var strides: [Int]
    public var padding: Padding

    public init(size: [Int], strides: [Int]? = nil, padding: Padding = .valid) {
        self.size = size
        self.strides = strides ?? size
        self.padding = padding
    }
}

/// Attributes of Dense.
public struct DenseAttributes: Codable, Equatable, Sendable {
    public var units: Int
    public var useBias: Bool
    public var activation: Activation
    /// Keras `kernel_regularizer=L2(x)`: training adds x * sum(kernel^2) to the loss (nil: none).
    public var kernelL2: Double?

    public init(units: Int, useBias: Bool = true, activation: Activation = .linear, kernelL2: Double? = nil) {
        self.kernelL2 = kernelL2
        self.units = units
        self.useBias = useBias
        self.activation = activation
    }
}

/// One layer operation with Keras semantics.
public enum Op: Codable, Equatable, Sendable {
    /// The model input; `shape` excludes the batch dimension (NHWC: height, width, channels).
    case input(shape: [Int])
    case conv2D(ConvAttributes)
    case depthwiseConv2D(ConvAttributes)
    case batchNormalization(BatchNormAttributes)
    case activation(Activation)
    /// Keras's `ReLU` layer (plain relu with defaults).
    case relu
    /// Zero padding: top, bottom, left, right.
    case zeroPadding2D(top: Int, bottom: Int, left: Int, right: Int)
    case maxPooling2D(PoolAttributes)
    case averagePooling2D(PoolAttributes)
    case globalAveragePooling2D
    case globalMaxPooling2D
    case add
    case concatenate(axis: Int)
    case flatten
    case dense(DenseAttributes)
    case dropout(rate: Double)
    /// Dropout with Keras's `noise_shape` (batch dimension first; nil for "the input's size"):
    /// the mask is drawn at that shape and broadcast, so EfficientNet's `(None, 1, 1, 1)` drops
    /// a whole sample's branch (stochastic depth) rather than single values.
    case dropoutWithNoiseShape(rate: Double, noiseShape: [Int?])
    case rescaling(scale: Double, offset: Double)
    /// Keras's `ReLU` layer with arguments (a plain `ReLU()` is `.relu`).
    case reluLayer(ReLUAttributes)
    /// `LeakyReLU(negative_slope)` (tf-keras: `alpha`).
    case leakyReLU(negativeSlope: Double)
    case separableConv2D(SeparableConvAttributes)
    /// Element-wise product of the inputs, broadcasting size-1 dimensions (Keras's Multiply: the
    /// squeeze-and-excitation gate of EfficientNet is `[H, W, C] * [1, 1, C]`).
    case multiply
    /// First input minus the second (broadcasting like Multiply).
    case subtract
    /// Mean of the inputs (broadcasting like Multiply).
    case average
    /// Element-wise maximum of the inputs (broadcasting like Multiply).
    case maximum
    /// Reshape to `targetShape` (without the batch; one entry may be -1, inferred).
    case reshape(targetShape: [Int])
    /// Permute the non-batch axes; `dims` are 1-based as in Keras (`(2, 1)` swaps two axes).
    case permute(dims: [Int])
    /// Crop rows and columns: top, bottom, left, right.
    case cropping2D(top: Int, bottom: Int, left: Int, right: Int)
    /// GlobalAveragePooling2D(keepdims=True): output `[1, 1, C]`.
    case globalAveragePooling2DKeepingDims
    /// GlobalMaxPooling2D(keepdims=True): output `[1, 1, C]`.
    case globalMaxPooling2DKeepingDims
    /// Rescaling with a per-channel scale and offset (EfficientNet's ImageNet std division).
    case channelRescaling(scale: [Double], offset: [Double])
    /// Keras's Normalization over the last axis: `(x - mean) / max(sqrt(variance), 1e-7)`.
    case normalization(NormalizationAttributes)
    case layerNormalization(LayerNormAttributes)
    /// ConvNeXt's LayerScale: `x * gamma`, one trainable `gamma` per channel.
    case layerScale(initValue: Double)
    /// InceptionResNetV2's CustomScaleLayer: `inputs[0] + inputs[1] * scale`.
    case customScale(scale: Double)
    /// A tensor and a number (`x + 3.0`, `x * (1 / 6)`): a Keras op node, not a layer
    /// (see `ScalarArithmetic`).
    case scalarArithmetic(ScalarArithmetic)
    /// Two tensors of one rank, broadcasting size-1 dimensions (`x + y`, `x * y`, `x - y` in a
    /// functional model): a Keras op node, not a layer. Add, subtract and multiply.
    case tensorArithmetic(ScalarArithmetic.Operation)

    /// The Keras class name of the layer (of the operation, for an op node).
    public var kerasClassName: String {
        switch self {
        case .input: return "InputLayer"
        case .conv2D: return "Conv2D"
        case .depthwiseConv2D: return "DepthwiseConv2D"
        case .batchNormalization: return "BatchNormalization"
        case .activation: return "Activation"
        case .relu: return "ReLU"
        case .zeroPadding2D: return "ZeroPadding2D"
        case .maxPooling2D: return "MaxPooling2D"
        case .averagePooling2D: return "AveragePooling2D"
        case .globalAveragePooling2D: return "GlobalAveragePooling2D"
        case .globalMaxPooling2D: return "GlobalMaxPooling2D"
        case .add: return "Add"
        case .concatenate: return "Concatenate"
        case .flatten: return "Flatten"
        case .dense: return "Dense"
        case .dropout, .dropoutWithNoiseShape: return "Dropout"
        case .rescaling, .channelRescaling: return "Rescaling"
        case .reluLayer: return "ReLU"
        case .leakyReLU: return "LeakyReLU"
        case .separableConv2D: return "SeparableConv2D"
        case .multiply: return "Multiply"
        case .subtract: return "Subtract"
        case .average: return "Average"
        case .maximum: return "Maximum"
        case .reshape: return "Reshape"
        case .permute: return "Permute"
        case .cropping2D: return "Cropping2D"
        case .globalAveragePooling2DKeepingDims: return "GlobalAveragePooling2D"
        case .globalMaxPooling2DKeepingDims: return "GlobalMaxPooling2D"
        case .normalization: return "Normalization"
        case .layerNormalization: return "LayerNormalization"
        case .layerScale: return "LayerScale"
        case .customScale: return "CustomScaleLayer"
        case .scalarArithmetic(let a): return a.operation.rawValue
        case .tensorArithmetic(let operation): return operation.rawValue
        }
    }

    /// Every Keras class this graph represents.
    public static let supportedClassNames = ["InputLayer", "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "BatchNormalization",
                                             "Activation", "ReLU", "LeakyReLU", "ZeroPadding2D", "Cropping2D", "MaxPooling2D",
                                             "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Add", "Multiply",
                                             "Subtract", "Average", "Maximum", "Concatenate", "Flatten", "Reshape", "Permute", "Dense",
                                             "Dropout", "Rescaling", "Normalization", "LayerNormalization", "LayerScale",
                                             "CustomScaleLayer"]

    /// Whether the node is a Keras operation applied to tensors (an op node of a Keras 3
    /// config, a `TFOpLambda` of tf-keras) rather than a layer: Keras 3 leaves it out of
    /// `model.layers` and of `.weights.h5`.
    public var isOperationNode: Bool {
        switch self {
        case .scalarArithmetic, .tensorArithmetic: return true
        default: return false
        }
    }

    /// Whether the op combines several inputs element-wise (broadcasting size-1 dimensions).
    public var isBroadcastingMerge: Bool {
        switch self {
        case .multiply, .subtract, .average, .maximum: return true
        default: return false
        }
    }
}
