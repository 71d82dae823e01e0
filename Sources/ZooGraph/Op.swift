/// Keras padding modes, computed as Keras does: `valid` uses no padding and drops the rest;
/// `same` pads so the output is `ceil(input / stride)`, the extra pixel going bottom/right.
public enum Padding: String, Codable, Sendable { case valid, same }

/// Activation functions, as in Keras's `activation=` argument.
public enum Activation: String, Codable, Sendable, CaseIterable { case linear, relu, softmax, sigmoid, tanh }

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

    public init(filters: Int, kernel: [Int], strides: [Int] = [1, 1], padding: Padding = .valid, dilation: [Int] = [1, 1], useBias: Bool = true, activation: Activation = .linear, kernelL2: Double? = nil) {
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
    case rescaling(scale: Double, offset: Double)

    /// The Keras class name of the layer.
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
        case .dropout: return "Dropout"
        case .rescaling: return "Rescaling"
        }
    }

    /// Every Keras class this graph represents.
    public static let supportedClassNames = ["InputLayer", "Conv2D", "DepthwiseConv2D", "BatchNormalization", "Activation", "ReLU",
                                             "ZeroPadding2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
                                             "GlobalMaxPooling2D", "Add", "Concatenate", "Flatten", "Dense", "Dropout", "Rescaling"]
}
