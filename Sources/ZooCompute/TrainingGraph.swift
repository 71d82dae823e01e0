import Foundation
import ZooFormats
import ZooGraph
import ZooModels

/// A model planned for training: forward passes that keep what the backward pass needs, and
/// backward passes that give the gradient of every trainable weight.
///
/// Planning runs these passes, in order:
/// 1. `validate`: every bound weight fits its layer (no read past a buffer, whatever a caller set).
/// 2. `partitionFrozenPrefix`: the layers whose values cannot change while training (no
///    trainable weight on the way from the input, no trainable BatchNormalization, no Dropout)
///    form the frozen prefix. It runs on the inference core (`CompiledModel`: BatchNormalization
///    folded, fused epilogues, Winograd, arenas freed by liveness) and keeps nothing; its
///    outputs that the rest reads are the *frontier*.
/// 3. `orderTrainableSteps`: the rest, in topological order, each layer one differentiable op
///    (one file per op family in `Ops/`), with trainable BatchNormalization unfolded.
/// 4. `planGradients`: which inputs need a gradient (those with a trainable layer behind them),
///    so the backward pass stops at the first trainable layer; a frozen layer after a trainable
///    one passes gradients through but gets none itself.
/// 5. `planLiveness`: which activations the backward pass reads (kept) and which are dropped
///    after their last forward reader.
///
/// Thread safety: a `TrainingGraph` is immutable; `forward` / `backward` may run from many
/// threads at once. Weight values are passed in (`Parameters`), so an optimiser owns them.
public final class TrainingGraph: @unchecked Sendable {
    /// One weight training updates: a trainable weight of a trainable layer.
    public struct Variable: Sendable, Equatable {
        /// The layer (node) name.
        public var layer: String
        /// The weight's short name (`kernel`, `bias`, `gamma`, `beta`, `depthwise_kernel`).
        public var name: String
        /// The weight's shape (Keras layout).
        public var shape: [Int]
        /// The layer's `kernel_regularizer` L2 factor for a kernel, else nil.
        public var l2: Double?
        /// Elements.
        public var count: Int { shape.reduce(1, *) }
    }

    /// The values of every weight of the layers after the frozen prefix: trainable variables
    /// (in `TrainingGraph.variables` order) and the rest (frozen layers' weights and
    /// BatchNormalization's moving statistics, by layer and name).
    public struct Parameters: Sendable, Equatable {
        /// One array per trainable variable, in `variables` order.
        public var trainable: [[Float]]
        /// Layer -> weight name -> values, for the weights training does not differentiate.
        public var state: [String: [String: [Float]]]

        /// Parameters from their values (checked against a graph when a pass uses them).
        public init(trainable: [[Float]], state: [String: [String: [Float]]]) {
            self.trainable = trainable
            self.state = state
        }
    }

    /// How a step runs.
    struct Step: Sendable {
        let node: Node
        let op: any DifferentiableOp
        /// The same op without its fused activation (for gradients given before the activation).
        let linearOp: (any DifferentiableOp)?
        let inputs: [Int]
        let output: Int
        /// Whether the layer runs in training mode while the model trains.
        let trainingMode: Bool
        /// Whether each input needs a gradient.
        let inputNeedsGradient: [Bool]
        /// Whether this layer's weights get gradients.
        let hasTrainableWeights: Bool
        /// Weight names of the layer, and for each trainable one its variable index.
        let variableIndex: [String: Int]
    }

    /// The model as given (weights of the frozen prefix are read from it).
    public let model: BoundModel
    /// Every trainable variable, in a fixed order: layers in `model.layers` order, weights in
    /// Keras's order.
    public let variables: [Variable]
    /// Layers whose outputs the trainable part reads from the frozen prefix (the input layer's
    /// name when nothing is frozen).
    public let frontier: [String]
    /// Shapes (without the batch) of the frontier values.
    public let frontierShapes: [[Int]]
    /// The model's output layer.
    public let output: String
    /// The output layer's activation (`softmax`, `sigmoid`, `linear`, ...), which a loss may fuse.
    public let outputActivation: Activation
    /// Threads each matrix product may use.
    public let threads: Int
    /// The initial parameters (from the model's weights).
    public let initialParameters: Parameters

    let steps: [Step]
    /// Value ids the backward pass reads, per step (so forward keeps them).
    let keptAfterForward: Set<Int>
    /// The frozen prefix on the inference core; nil when the trainable part starts at the input.
    let prefix: CompiledModel?
    /// Layer names of the frozen prefix (the input layer included).
    public let frozenLayers: [String]

    /// Whether layers besides the input run on the inference core before the trainable part.
    public var hasFrozenPrefix: Bool { prefix != nil }

    /// Plans `model` for training. Trainable flags come from the graph (`Node.trainable`).
    /// With `requireTrainable` false (evaluation), a model with nothing to train is planned too:
    /// it runs wholly on the inference core.
    public init(model: BoundModel, threads: Int = ProcessInfo.processInfo.activeProcessorCount, requireTrainable: Bool = true) throws {
        self.model = model
        self.threads = max(1, threads)
        let graph = model.graph
        // Pass 1: validate.
        try model.validateWeights()
        guard graph.inputNodes.count == 1 else {
            throw ComputeError.badInput(reason: "training needs a model with exactly one input layer, this one has \(graph.inputNodes.count)")
        }
        let outputs = graph.effectiveOutputs
        guard outputs.count == 1, let outputName = outputs.first, let outputNode = graph.node(outputName) else {
            throw ComputeError.badInput(reason: "training needs a model with exactly one output, this one has \(outputs.count)")
        }
        output = outputName
        switch outputNode.op {
        case .dense(let a): outputActivation = a.activation
        case .conv2D(let a), .depthwiseConv2D(let a): outputActivation = a.activation
        case .activation(let a): outputActivation = a
        default: outputActivation = .linear
        }
        let needed = try graph.ancestors(of: outputName)
        let order = graph.topologicalOrder().filter { needed.contains($0.name) }

        // Pass 2: the frozen prefix.
        var constant = Set<String>()
        for node in order {
            if case .input = node.op { constant.insert(node.name); continue }
            guard node.inputs.allSatisfy(constant.contains), !Self.changesWhileTraining(node) else { continue }
            constant.insert(node.name)
        }
        let nothingToTrain = "nothing to train: every layer on the way to '\(outputName)' is frozen (trainable=False); unfreeze some layers (--train-from LAYER)"
        guard !constant.contains(outputName) || !requireTrainable else { throw ComputeError.badInput(reason: nothingToTrain) }
        var frontier: [String] = constant.contains(outputName) ? [outputName] : []
        for node in order where !constant.contains(node.name) {
            for input in node.inputs where constant.contains(input) && !frontier.contains(input) { frontier.append(input) }
        }
        frontier.sort { (graph.position(of: $0) ?? 0) < (graph.position(of: $1) ?? 0) }
        self.frontier = frontier
        frontierShapes = frontier.map { graph.node($0)?.outputShape ?? [] }
        frozenLayers = order.filter { constant.contains($0.name) }.map(\.name)
        let onlyInput = frontier.count == 1 && graph.node(frontier[0]).map { if case .input = $0.op { return true } else { return false } } == true
        prefix = onlyInput ? nil : CompiledModel(model: model, threads: threads)

        // Pass 3 and 4: trainable steps and gradient needs.
        var valueOf: [String: Int] = [:]
        for (i, name) in frontier.enumerated() { valueOf[name] = i }
        var needsGradient = Set<String>()  // values with a trainable weight behind them
        var steps: [Step] = []
        var variables: [Variable] = []
        var trainable: [[Float]] = []
        var state: [String: [String: [Float]]] = [:]
        for node in order where !constant.contains(node.name) {
            let inputs = try node.inputs.map { name -> Int in
                guard let v = valueOf[name] else { throw ComputeError.unsupported(layer: node.name, reason: "input '\(name)' is not computed before it") }
                return v
            }
            let inputNeeds = node.inputs.map { needsGradient.contains($0) }
            let weightsTrain = node.trainable && node.weights.contains(where: \.trainable)
            var variableIndex: [String: Int] = [:]
            for spec in node.weights {
                guard let weight = model.weights[node.name]?[spec.name] else {
                    throw ComputeError.missingWeight(layer: node.name, weight: spec.name)
                }
                let values = DTypeConversion.floats(weight)
                if weightsTrain && spec.trainable {
                    variableIndex[spec.name] = variables.count
                    variables.append(Variable(layer: node.name, name: spec.name, shape: spec.shape, l2: spec.name == "kernel" ? Self.kernelL2(node.op) : nil))
                    trainable.append(values)
                } else {
                    state[node.name, default: [:]][spec.name] = values
                }
            }
            if weightsTrain || inputNeeds.contains(true) { needsGradient.insert(node.name) }
            let op = try DifferentiableOps.make(node.op)
            steps.append(Step(node: node, op: op, linearOp: try Self.linearVariant(node.op), inputs: inputs, output: frontier.count + steps.count,
                              trainingMode: Self.runsInTrainingMode(node), inputNeedsGradient: inputNeeds,
                              hasTrainableWeights: weightsTrain, variableIndex: variableIndex))
            valueOf[node.name] = frontier.count + steps.count - 1
        }
        guard !variables.isEmpty || !requireTrainable else { throw ComputeError.badInput(reason: nothingToTrain) }
        self.steps = steps
        self.variables = variables
        initialParameters = Parameters(trainable: trainable, state: state)

        // Pass 5: liveness. Forward keeps the values some backward call reads.
        var kept = Set<Int>()
        for step in steps {
            let reads = step.op.backwardReads
            if reads.inputs { kept.formUnion(step.inputs) }
            if reads.output { kept.insert(step.output) }
        }
        keptAfterForward = kept
    }

    /// Whether a layer's output can differ between training steps with the same input.
    static func changesWhileTraining(_ node: Node) -> Bool {
        if node.trainable && node.weights.contains(where: \.trainable) { return true }
        if case .dropout(let rate) = node.op, rate > 0 { return true }
        if case .dropoutWithNoiseShape(let rate, _) = node.op, rate > 0 { return true }
        return false
    }

    /// Training mode while fitting: a trainable BatchNormalization (batch statistics) and Dropout.
    static func runsInTrainingMode(_ node: Node) -> Bool {
        switch node.op {
        case .batchNormalization: return node.trainable
        case .dropout, .dropoutWithNoiseShape: return true
        default: return false
        }
    }

    static func kernelL2(_ op: Op) -> Double? {
        switch op {
        case .conv2D(let a), .depthwiseConv2D(let a): return a.kernelL2
        case .dense(let a): return a.kernelL2
        default: return nil
        }
    }

    /// The op with its fused activation removed, when it has one a loss may fuse.
    static func linearVariant(_ op: Op) throws -> (any DifferentiableOp)? {
        switch op {
        case .dense(var a) where a.activation != .linear:
            a.activation = .linear
            return DenseOp(attributes: a)
        case .conv2D(var a) where a.activation != .linear:
            a.activation = .linear
            return a.groups > 1 ? DepthwiseConvolutionOp(groupedConvolution: a) : ConvolutionOp(attributes: a)
        case .activation: return IdentityOp()
        default: return nil
        }
    }

    // MARK: - Running

    /// Checks that a batch of inputs fits the model's input.
    private func checkInput(_ x: FloatTensor) throws {
        let expected = model.graph.inputNodes.first?.outputShape ?? []
        guard x.shape.count == expected.count + 1, Array(x.shape.dropFirst()) == expected, (x.shape.first ?? 0) > 0 else {
            throw ComputeError.badInput(reason: "expected images of shape [batch] + \(expected), got \(x.shape)")
        }
        guard x.values.count == x.shape.reduce(1, *) else {
            throw ComputeError.badInput(reason: "a tensor of shape \(x.shape) needs \(x.shape.reduce(1, *)) values, got \(x.values.count)")
        }
    }

    /// The frozen prefix's outputs (the frontier values) for a batch of images: inference only,
    /// nothing kept. When nothing is frozen this is the input itself.
    public func frontierValues(_ x: FloatTensor) throws -> [FloatTensor] {
        try checkInput(x)
        guard let prefix else { return [x] }
        let outputs = try prefix.run(Tensor(shape: x.shape, values: x.values), outputs: frontier)
        return try frontier.map { name in
            guard let tensor = outputs[name] else { throw ComputeError.unknownOutput(name, available: frontier) }
            return FloatTensor(shape: tensor.shape, values: tensor.values)
        }
    }

    /// A forward pass in progress: the values and caches the backward pass needs.
    public struct Pass: Sendable {
        /// The model's output for the batch.
        public var output: FloatTensor
        /// New values of the non-trainable state (moving statistics of trainable
        /// BatchNormalization layers), by layer and weight name; apply them with `commit`.
        public var stateUpdates: [String: [String: [Float]]]
        var values: [FloatTensor?]
        /// Every value's shape (kept when the value itself is dropped: ops that need only an
        /// input's shape in their backward pass read it from here).
        var shapes: [[Int]]
        var caches: [OpCache]
        var training: Bool
        var parameters: Parameters
    }

    /// Runs the trainable part on frontier values (from `frontierValues`, or a feature cache).
    /// `training` selects training mode for trainable BatchNormalization and Dropout; `seed`
    /// drives Dropout's masks.
    public func forward(frontier inputs: [FloatTensor], parameters: Parameters, training: Bool, seed: UInt64 = 0) throws -> Pass {
        guard inputs.count == frontier.count else {
            throw ComputeError.badInput(reason: "expected \(frontier.count) frontier tensors (\(frontier.joined(separator: ", "))), got \(inputs.count)")
        }
        for (tensor, shape) in zip(inputs, frontierShapes) {
            guard Array(tensor.shape.dropFirst()) == shape, tensor.values.count == tensor.shape.reduce(1, *) else {
                throw ComputeError.badInput(reason: "a frontier tensor has shape \(tensor.shape), expected [batch] + \(shape)")
            }
        }
        guard parameters.trainable.count == variables.count,
              zip(parameters.trainable, variables).allSatisfy({ $0.count == $1.count }) else {
            throw ComputeError.badInput(reason: "the parameters do not match this model's \(variables.count) trainable variables")
        }
        let batch = inputs.first?.shape.first ?? 0
        var values: [FloatTensor?] = inputs + Array(repeating: nil, count: steps.count)
        var caches = [OpCache](repeating: OpCache(), count: steps.count)
        var lastReader = [Int](repeating: -1, count: values.count)
        for (i, step) in steps.enumerated() { for v in step.inputs { lastReader[v] = i } }
        var updates: [String: [String: [Float]]] = [:]
        var shapes = inputs.map(\.shape) + steps.map { [batch] + $0.node.outputShape }
        for (i, step) in steps.enumerated() {
            let weights = try self.weights(of: step, parameters)
            let ins = try step.inputs.map { v -> FloatTensor in
                guard let value = values[v] else { throw ComputeError.unsupported(layer: step.node.name, reason: "an input was released early") }
                return value
            }
            let context = OpContext(training: training && step.trainingMode, threads: threads, seed: seed &+ UInt64(i) &* 0x9E37_79B9,
                                    outputShape: [batch] + step.node.outputShape)
            let value = try step.op.forward(ins, weights: weights, context: context, cache: &caches[i])
            shapes[step.output] = value.shape
            values[step.output] = value
            if !caches[i].stateUpdates.isEmpty { updates[step.node.name] = caches[i].stateUpdates }
            for v in step.inputs where lastReader[v] == i && !(training && keptAfterForward.contains(v)) && v >= frontier.count { values[v] = nil }
        }
        // With no steps (nothing to train) the output is the frontier itself.
        guard let out = values.last ?? nil else { throw ComputeError.badInput(reason: "the model has no trainable output") }
        return Pass(output: out, stateUpdates: updates, values: values, shapes: shapes, caches: caches, training: training, parameters: parameters)
    }

    private func weights(of step: Step, _ parameters: Parameters) throws -> [String: [Float]] {
        var weights: [String: [Float]] = parameters.state[step.node.name] ?? [:]
        for (name, index) in step.variableIndex { weights[name] = parameters.trainable[index] }
        return weights
    }

    /// Where the loss's gradient is taken.
    public enum GradientPoint: Sendable {
        /// With respect to the model's output.
        case output
        /// With respect to the output layer's input to its activation (softmax or sigmoid
        /// logits): for losses fused with the activation.
        case preActivation
    }

    /// The gradient of the loss with respect to every trainable variable (in `variables`
    /// order), given the loss's gradient at `point`.
    public func backward(_ pass: Pass, gradient: FloatTensor, at point: GradientPoint = .output) throws -> [[Float]] {
        guard gradient.shape == pass.output.shape, gradient.values.count == pass.output.values.count else {
            throw ComputeError.badInput(reason: "the output gradient has shape \(gradient.shape), the output \(pass.output.shape)")
        }
        var grads = [FloatTensor?](repeating: nil, count: pass.values.count)
        grads[grads.count - 1] = gradient
        var result = variables.map { [Float](repeating: 0, count: $0.count) }
        for (i, step) in steps.enumerated().reversed() {
            guard let g = grads[step.output] else { continue }
            grads[step.output] = nil
            let weights = try self.weights(of: step, pass.parameters)
            let ins = step.inputs.map { pass.values[$0] ?? FloatTensor(shape: pass.shapes[$0], values: []) }
            let out = pass.values[step.output] ?? FloatTensor(shape: pass.shapes[step.output], values: [])
            let context = OpContext(training: pass.training && step.trainingMode, threads: threads, seed: 0, outputShape: g.shape)
            let op: any DifferentiableOp = (i == steps.count - 1 && point == .preActivation) ? (step.linearOp ?? step.op) : step.op
            let request = GradientRequest(inputs: step.inputNeedsGradient, weights: step.hasTrainableWeights)
            let got = op.backward(g, inputs: ins, output: out, weights: weights, context: context, cache: pass.caches[i], request: request)
            for (name, index) in step.variableIndex {
                if let dw = got.weights[name], dw.count == result[index].count { result[index] = dw }
            }
            for (k, v) in step.inputs.enumerated() {
                guard step.inputNeedsGradient[k], let dx = got.inputs[k] else { continue }
                if var existing = grads[v] {
                    existing.values.withUnsafeMutableBufferPointer { e in
                        dx.values.withUnsafeBufferPointer { d in for j in e.indices { e[j] += d[j] } }
                    }
                    grads[v] = existing
                } else {
                    grads[v] = dx
                }
            }
        }
        return result
    }

    /// The parameters with a pass's moving-statistics updates applied (what Keras assigns after
    /// each training step).
    public func commit(_ updates: [String: [String: [Float]]], to parameters: inout Parameters) {
        for (layer, values) in updates {
            for (name, value) in values where parameters.state[layer]?[name]?.count == value.count {
                parameters.state[layer]?[name] = value
            }
        }
    }

    /// Predictions for a batch of images in inference mode (moving statistics, no Dropout).
    public func predict(_ x: FloatTensor, parameters: Parameters) throws -> FloatTensor {
        try forward(frontier: try frontierValues(x), parameters: parameters, training: false).output
    }

    /// The model with `parameters` written back into its weights (float32), frozen prefix
    /// unchanged: what is saved after training.
    public func model(with parameters: Parameters) throws -> BoundModel {
        var result = model
        for (variable, values) in zip(variables, parameters.trainable) {
            try result.setWeight(layer: variable.layer, name: variable.name, values: values)
        }
        for (layer, weights) in parameters.state {
            for (name, values) in weights { try result.setWeight(layer: layer, name: name, values: values) }
        }
        return result
    }
}
