import ZooGraph

/// A float32 array with its shape, batch first (NHWC or `[batch, features]`): what ops read and
/// write while training.
public struct FloatTensor: Sendable, Equatable {
    /// Dimensions, batch first.
    public var shape: [Int]
    /// Values in row-major (C) order; `values.count` is the product of `shape`.
    public var values: [Float]

    /// A tensor of these values; the count must match the shape (checked by the callers that
    /// take tensors from outside, see `TrainingGraph`).
    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }

    /// Zeros of a shape.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.values = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    /// Elements per batch item.
    public var itemCount: Int { shape.dropFirst().reduce(1, *) }
}

/// How one call of an op runs.
struct OpContext: Sendable {
    /// Training mode for this layer: batch statistics for a trainable BatchNormalization,
    /// dropping for Dropout. A frozen BatchNormalization gets `false` even while training
    /// (Keras >= 2.1.3 semantics).
    var training: Bool
    /// Threads the op may use (matrix products split their rows).
    var threads: Int
    /// Seed of this call's random stream (Dropout).
    var seed: UInt64
    /// The output shape, batch first.
    var outputShape: [Int]
}

/// What a forward pass keeps for its backward pass, and the state it wants updated.
struct OpCache: Sendable {
    /// Arrays the backward pass reads (normalised inputs, masks, ...).
    var saved: [[Float]] = []
    /// Winner positions (max pooling).
    var indices: [Int32] = []
    /// New values of non-trainable weights (BatchNormalization's moving statistics).
    var stateUpdates: [String: [Float]] = [:]
}

/// Which gradients a backward call must produce.
struct GradientRequest: Sendable {
    /// One flag per input: whether anything before it needs its gradient.
    var inputs: [Bool]
    /// Whether the layer's trainable weights get gradients (false for a frozen layer).
    var weights: Bool
}

/// Gradients from one backward call.
struct OpGradients: Sendable {
    /// Per input, nil where not requested.
    var inputs: [FloatTensor?]
    /// Per trainable weight name (`kernel`, `bias`, `gamma`, ...).
    var weights: [String: [Float]] = [:]
}

/// An inference step's operands: pointers into the plan's activation arena.
struct InferenceCall {
    /// The inputs, and their shapes (batch first).
    let inputs: [UnsafePointer<Float>]
    let inputShapes: [[Int]]
    /// The output (may be the first input: activations run in place), and its shape.
    let output: UnsafeMutablePointer<Float>
    let outputShape: [Int]
    /// Threads the op may use.
    let threads: Int

    /// Elements of the output.
    var outputCount: Int { outputShape.reduce(1, *) }
}

/// One op family's inference pass, training forward pass, backward pass and what the backward
/// pass reads: the contract every layer implements, for the inference core (`ExecutionPlan`
/// steps call `infer`) and for training (`TrainingGraph` calls `forward` and `backward`).
/// Shape rules live in `ZooGraph.ShapeInference`, which every node went through when it was
/// added. Convolutions and Dense layers run on the inference core's fused GEMM steps instead of
/// `infer` (BatchNorm folding, packed panels, Winograd, fused epilogues).
protocol DifferentiableOp: Sendable {
    /// Weights in the form `infer` reads, made once when a plan is built (default: as bound).
    func prepareInference(_ weights: [String: [Float]]) throws -> [String: [Float]]
    /// The inference forward pass on arena memory.
    func infer(_ call: InferenceCall, weights: [String: [Float]])

    /// Computes the output from the inputs and the layer's weights (by name).
    func forward(_ inputs: [FloatTensor], weights: [String: [Float]], context: OpContext, cache: inout OpCache) throws -> FloatTensor
    /// Given the loss's gradient with respect to the output, the gradients with respect to the
    /// requested inputs and to the trainable weights.
    func backward(_ gradient: FloatTensor, inputs: [FloatTensor], output: FloatTensor, weights: [String: [Float]],
                  context: OpContext, cache: OpCache, request: GradientRequest) -> OpGradients
    /// Whether `backward` reads the inputs and the output, so the plan keeps them alive.
    var backwardReads: (inputs: Bool, output: Bool) { get }
}

extension DifferentiableOp {
    func prepareInference(_ weights: [String: [Float]]) throws -> [String: [Float]] { weights }

    /// Inference through the training forward pass (copies in and out): for ops the inference
    /// core runs elsewhere (Conv2D, Dense) or without a faster path of their own.
    func infer(_ call: InferenceCall, weights: [String: [Float]]) {
        let inputs = zip(call.inputs, call.inputShapes).map { pointer, shape in
            FloatTensor(shape: shape, values: Array(UnsafeBufferPointer(start: pointer, count: shape.reduce(1, *))))
        }
        var cache = OpCache()
        let context = OpContext(training: false, threads: call.threads, seed: 0, outputShape: call.outputShape)
        guard let y = try? forward(inputs, weights: weights, context: context, cache: &cache), y.values.count == call.outputCount else { return }
        y.values.withUnsafeBufferPointer { if let base = $0.baseAddress { call.output.update(from: base, count: call.outputCount) } }
    }
}

/// The differentiable op of each graph op: the one place that maps `ZooGraph.Op` onto the op
/// families (one file each in this folder).
enum DifferentiableOps {
    static func make(_ op: Op) throws -> any DifferentiableOp {
        switch op {
        case .input: return IdentityOp()
        case .conv2D(let a) where a.groups > 1: return DepthwiseConvolutionOp(groupedConvolution: a)
        case .conv2D(let a): return ConvolutionOp(attributes: a)
        case .depthwiseConv2D(let a): return DepthwiseConvolutionOp(attributes: a)
        case .dense(let a): return DenseOp(attributes: a)
        case .batchNormalization(let a): return BatchNormalizationOp(attributes: a)
        case .activation(let a): return ActivationOp(function: a)
        case .relu: return ActivationOp(function: .relu)
        case .zeroPadding2D(let t, let b, let l, let r): return ZeroPaddingOp(top: t, bottom: b, left: l, right: r)
        case .maxPooling2D(let a): return PoolingOp(max: true, attributes: a)
        case .averagePooling2D(let a): return PoolingOp(max: false, attributes: a)
        case .globalAveragePooling2D: return GlobalPoolingOp(max: false)
        case .globalMaxPooling2D: return GlobalPoolingOp(max: true)
        case .add: return AddOp()
        case .concatenate(let axis): return ConcatenateOp(axis: axis)
        case .flatten: return IdentityOp()
        case .dropout(let rate): return DropoutOp(rate: rate)
        case .dropoutWithNoiseShape(let rate, let noise): return DropoutOp(rate: rate, noiseShape: noise)
        case .rescaling(let scale, let offset): return RescalingOp(scale: Float(scale), offset: Float(offset))
        case .channelRescaling(let scale, let offset): return ChannelAffineOp(source: .rescaling(scale: scale, offset: offset))
        case .normalization(let a): return ChannelAffineOp(source: .normalization(a))
        case .reluLayer(let a): return ReLULayerOp(attributes: a)
        case .leakyReLU(let slope): return ReLULayerOp(attributes: ReLUAttributes(negativeSlope: slope))
        case .separableConv2D(let a): return SeparableConvolutionOp(attributes: a)
        case .multiply: return BroadcastMergeOp(kind: .multiply)
        case .subtract: return BroadcastMergeOp(kind: .subtract)
        case .average: return BroadcastMergeOp(kind: .average)
        case .maximum: return BroadcastMergeOp(kind: .maximum)
        case .customScale(let scale): return CustomScaleOp(scale: Float(scale))
        case .reshape: return IdentityOp()
        case .permute(let dims): return PermuteOp(dims: dims)
        case .cropping2D(let t, let b, let l, let r): return CroppingOp(top: t, bottom: b, left: l, right: r)
        case .globalAveragePooling2DKeepingDims: return GlobalPoolingOp(max: false)
        case .globalMaxPooling2DKeepingDims: return GlobalPoolingOp(max: true)
        case .layerNormalization(let a): return LayerNormalizationOp(attributes: a)
        case .layerScale: return LayerScaleOp()
        case .scalarArithmetic(let a): return ScalarArithmeticOp(arithmetic: a)
        case .tensorArithmetic(let operation):
            switch operation {
            case .add: return BroadcastMergeOp(kind: .add)
            case .subtract: return BroadcastMergeOp(kind: .subtract)
            case .multiply: return BroadcastMergeOp(kind: .multiply)
            case .divide: throw ComputeError.unsupported(layer: "TrueDivide", reason: "dividing one tensor by another is not supported")
            }
        }
    }
}
