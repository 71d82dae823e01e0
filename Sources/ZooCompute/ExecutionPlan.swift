import Dispatch
import Foundation
import ZooFormats
import ZooGraph
import ZooModels

/// What one step computes: the fused GEMM steps of convolutions and Dense layers, or any other
/// layer through its op family's inference pass (`Ops/`).
enum StepKind: Sendable {
    case input
    case convolution(ConvolutionKernel, residual: Int?)
    case winograd(WinogradConvolution, residual: Int?)
    case op(OpStep)
}

/// A layer the inference core runs through its op family (`DifferentiableOp.infer`), with its
/// weights prepared once.
struct OpStep: Sendable {
    let op: any DifferentiableOp
    let weights: [String: [Float]]
    /// What runs, for profiles ("maxpool", "batchnorm", "activation sigmoid", ...).
    let summary: String
    /// Floating-point operations (depthwise convolutions; 0 otherwise).
    let flops: Double
}

extension StepKind {
    /// A short description for profiles.
    var summary: String {
        switch self {
        case .input: return "input"
        case .convolution(let k, let residual):
            let g = k.geometry
            return "conv \(g.kh)x\(g.kw)/\(g.sh) \(g.inC)->\(g.outC) rows \(g.rows)" + (residual != nil ? " +res" : "") + (k.relu ? " +relu" : "")
        case .winograd(let w, let residual):
            let g = w.geometry
            return "conv 3x3/1 \(g.inC)->\(g.outC) rows \(g.rows) winograd F\(w.tile)" + (residual != nil ? " +res" : "") + (w.relu ? " +relu" : "")
        case .op(let step): return step.summary
        }
    }

    /// Floating-point operations (2 per multiply-add) of convolutions and Dense layers.
    var flops: Double {
        switch self {
        case .convolution(let k, _): return k.flops
        case .winograd(let w, _): return w.flops
        case .op(let step): return step.flops
        case .input: return 0
        }
    }
}

/// One step: reads `inputs` values, writes `output`.
struct Step: Sendable {
    let name: String
    let kind: StepKind
    let inputs: [Int]
    let output: Int
}

/// A model compiled for one batch size and input shape: BatchNormalization folded into the
/// convolutions, bias / residual add / ReLU fused into their output pass, weights prepared once,
/// and activations placed in arena slots reused as soon as their last reader has run.
final class ExecutionPlan: @unchecked Sendable {
    let batch: Int
    let steps: [Step]
    /// Value id -> arena slot, and each slot's size in floats.
    let slotOfValue: [Int]
    let slotSizes: [Int]
    /// Value id -> shape (with the batch dimension).
    let shapes: [[Int]]
    /// Requested layer name -> value id.
    let outputs: [String: Int]
    let inputValue: Int
    /// Floating-point operations of the convolutions and Dense layers for one run.
    let flops: Double
    /// Values that share another value's memory (Flatten, Dropout, linear Activation).
    let aliasOf: [Int: Int]

    /// Arenas made for this plan and not in use (guarded by `arenaLock`).
    var idleArenas: [AnyObject] = []
    let arenaLock = NSLock()

    /// Bytes the activation arena takes for one run.
    var peakActivationBytes: Int { slotSizes.reduce(0, +) * 4 }

    /// Threads the convolutions were split for.
    let threads: Int

    /// The largest im2col scratch any convolution needs (all its threads together).
    var maxScratchFloats: Int {
        steps.reduce(0) { current, step in
            if case .convolution(let kernel, _) = step.kind { return max(current, kernel.scratchFloats) }
            if case .winograd(let w, _) = step.kind { return max(current, w.scratchFloats) }
            return current
        }
    }

    init(model: BoundModel, batch: Int, outputs requested: [String], threads: Int, prepared: PreparedWeights) throws {
        self.batch = batch
        self.threads = max(1, threads)
        // Weights assigned by hand are checked before anything packs or reads them.
        try model.validateWeights()
        // Passes 2-5 (InferencePasses): fold BatchNormalization, keep what the outputs need, fold
        // padding into its reader, fuse residual adds and ReLUs into the GEMM's output pass.
        var (folded, resolve, absorbed) = try InferencePasses.foldBatchNorm(model, preserving: Set(requested))
        let graph = folded.graph
        let names = requested.isEmpty ? model.graph.effectiveOutputs : requested
        for name in names where model.graph.node(name) == nil {
            throw ComputeError.unknownOutput(name, available: model.graph.nodes.map(\.name))
        }
        let targets = names.map(resolve)
        let (order, consumers) = try InferencePasses.prune(graph, targets: targets)
        let mustMaterialize = Set(targets)
        let foldedPads = InferencePasses.foldPadding(order, graph: graph, consumers: consumers, materialized: mustMaterialize)
        let epilogues = InferencePasses.fuseEpilogues(order, graph: graph, consumers: consumers, materialized: mustMaterialize)
        let fusedActivations = InferencePasses.fuseActivations(order, graph: graph, consumers: consumers, materialized: mustMaterialize)

        var valueOf: [String: Int] = [:]
        var shapes: [[Int]] = []
        var steps: [Step] = []
        var flops = 0.0
        var fusedInto: [String: Int] = [:]  // nodes computed by an earlier fused step -> value
        var inputValue = -1
        var aliasOf: [Int: Int] = [:]
        func newValue(_ shape: [Int]) -> Int { shapes.append([batch] + shape); return shapes.count - 1 }
        func weight(_ node: Node, _ name: String) throws -> [Float] {
            guard let w = folded.weights[node.name]?[name] else { throw ComputeError.missingWeight(layer: node.name, weight: name) }
            return DTypeConversion.floats(w)
        }
        /// Calls `body` with a layer's kernel as float32 values: the stored bytes themselves when
        /// they are float32 (no copy of a 400 MB Dense kernel), else a converted copy.
        func withKernel<R>(_ node: Node, count: Int, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
            guard let w = folded.weights[node.name]?["kernel"] else { throw ComputeError.missingWeight(layer: node.name, weight: "kernel") }
            if w.dtype == .float32, w.data.count == count * 4 { return try w.data.withUnsafeBuffer(of: Float.self, body) }
            return try DTypeConversion.floats(w).withUnsafeBufferPointer(body)
        }
        /// A layer run through its op family, its weights read and prepared once.
        func opStep(_ node: Node, _ op: any DifferentiableOp, _ summary: String, flops: Double = 0) throws -> StepKind {
            var weights: [String: [Float]] = [:]
            for spec in node.weights { weights[spec.name] = try weight(node, spec.name) }
            return .op(OpStep(op: op, weights: try op.prepareInference(weights), summary: summary, flops: flops))
        }
        func emit(_ node: Node, _ kind: StepKind, inputs: [Int]) {
            let v = newValue(node.outputShape)
            steps.append(Step(name: node.name, kind: kind, inputs: inputs, output: v))
            valueOf[node.name] = v
        }
        /// A DepthwiseConv2D, or a Conv2D whose groups equal its input channels, with the
        /// activation layer reading only it fused in.
        func emitDepthwise(_ node: Node, _ a: ConvAttributes, grouped: Bool, inShape: [Int], zeroPad: (Int, Int, Int, Int), inputs: [Int]) throws {
            let g = ConvGeometry(batch: batch, input: inShape, output: node.outputShape, attributes: grouped ? a.asDepthwise : a, outChannels: node.outputShape[2])
            let depthwiseFlops = 2 * Double(g.rows) * Double(g.kh * g.kw) * Double(g.outC)
            var fused = a
            let fusion = fusedActivations[node.name]
            if let (activation, _) = fusion { fused.activation = activation }
            var op = grouped ? DepthwiseConvolutionOp(groupedConvolution: fused) : DepthwiseConvolutionOp(attributes: fused)
            op.zeroPad = zeroPad
            let summary = (grouped ? "grouped conv (depthwise)" : "depthwise") + (zeroPad != (0, 0, 0, 0) ? " +pad" : "")
                + (fused.activation != a.activation ? " +\(fused.activation.rawValue)" : "")
            emit(node, try opStep(node, op, summary, flops: depthwiseFlops), inputs: inputs)
            if let (_, reader) = fusion { fusedInto[reader] = valueOf[node.name] }
            flops += depthwiseFlops
        }

        for node in order {
            if let value = fusedInto[node.name] { valueOf[node.name] = value; continue }
            let ins = try node.inputs.map { name -> Int in
                guard let v = valueOf[name] else { throw ComputeError.unsupported(layer: node.name, reason: "input '\(name)' was not computed") }
                return v
            }
            var inShape = node.inputs.first.flatMap { graph.node($0)?.outputShape } ?? []
            var zeroPad = (0, 0, 0, 0)
            // Pass 6: steps, algorithms and prepared weights.
            if let first = node.inputs.first, let pad = foldedPads[first], case .zeroPadding2D(let t, let b, let l, let r) = pad.op {
                zeroPad = (t, b, l, r)
                inShape = graph.node(pad.inputs[0])?.outputShape ?? inShape
            }
            switch node.op {
            case .input:
                let v = newValue(node.outputShape)
                inputValue = v
                valueOf[node.name] = v
                steps.append(Step(name: node.name, kind: .input, inputs: [], output: v))
            case .flatten, .dropout, .dropoutWithNoiseShape, .activation(.linear):
                // Same memory, same values; Flatten only renames the shape.
                shapes.append([batch] + node.outputShape)
                aliasOf[shapes.count - 1] = aliasOf[ins[0]] ?? ins[0]
                valueOf[node.name] = shapes.count - 1
            case .conv2D(let a) where a.groups > 1:
                // Each channel alone (groups = input channels): the depthwise kernel.
                try emitDepthwise(node, a, grouped: true, inShape: inShape, zeroPad: zeroPad, inputs: ins)
            case .conv2D, .dense:
                let isDense: Bool
                let geometry: ConvGeometry
                var activation: Activation
                var useBias: Bool
                if case .conv2D(let conv) = node.op {
                    isDense = false
                    var g = ConvGeometry(batch: batch, input: [inShape[0] + zeroPad.0 + zeroPad.1, inShape[1] + zeroPad.2 + zeroPad.3, inShape[2]],
                                         output: node.outputShape, attributes: conv, outChannels: conv.filters)
                    // The fused padding is read as zeros outside the real input.
                    (g.inH, g.inW) = (inShape[0], inShape[1])
                    g.padTop += zeroPad.0
                    g.padLeft += zeroPad.2
                    geometry = g
                    activation = conv.activation
                    useBias = conv.useBias
                } else if case .dense(let dense) = node.op {
                    isDense = true
                    let features = inShape.last ?? 0
                    let rows = inShape.dropLast().reduce(1, *)
                    geometry = ConvGeometry(batch: batch, input: [rows, 1, features], output: [rows, 1],
                                            attributes: ConvAttributes(filters: dense.units, kernel: [1, 1]), outChannels: dense.units)
                    activation = dense.activation
                    useBias = dense.useBias
                } else { continue }
                let bias = useBias ? try weight(node, "bias") : nil
                let hasFoldedBN = absorbed.contains(node.name)
                let winogradTile = isDense ? nil : WinogradConvolution.tile(for: geometry, threads: threads)
                let key = node.name + (hasFoldedBN ? "|bn" : "")
                let epilogue = epilogues[node.name] ?? InferencePasses.Epilogue(residual: nil, relu: activation == .relu, produces: [node.name])
                let relu = epilogue.relu
                let residual = try epilogue.residual.map { other -> Int in
                    guard let v = valueOf[other] else { throw ComputeError.unsupported(layer: node.name, reason: "residual input '\(other)' was not computed") }
                    return v
                }
                let produces = epilogue.produces
                let postActivation = epilogue.activation ?? ((activation == .relu || activation == .linear) ? nil : activation)
                let v = newValue(node.outputShape)
                let kind: StepKind
                if let winogradTile {
                    let transformed = try prepared.value(key + "|winograd\(winogradTile)") {
                        try withKernel(node, count: geometry.patch * geometry.outC) {
                            try WinogradConvolution.Weights(hwio: $0, inChannels: geometry.inC, outChannels: geometry.outC, tile: winogradTile)
                        }
                    }
                    kind = .winograd(WinogradConvolution(geometry: geometry, weights: transformed, bias: bias, relu: relu, threads: threads,
                                                         activation: postActivation), residual: residual)
                } else {
                    let matrix = try prepared.value(key) {
                        // A kernel stored in the GEMM's panel layout (.zoo `packed`) is used in place
                        // (folding a BatchNormalization into it replaced its data, which drops the panels).
                        if let panels = folded.weights[node.name]?["kernel"]?.kernelPanels,
                           let inPlace = MatrixMultiply.PreparedMatrix(k: geometry.patch, n: geometry.outC, panels: panels) {
                            return inPlace
                        }
                        return try withKernel(node, count: geometry.patch * geometry.outC) {
                            MatrixMultiply.PreparedMatrix(k: geometry.patch, n: geometry.outC, rowMajor: $0)
                        }
                    }
                    kind = .convolution(ConvolutionKernel(geometry: geometry, weights: matrix, bias: bias, relu: relu, threads: threads,
                                                          activation: postActivation), residual: residual)
                }
                steps.append(Step(name: node.name, kind: kind, inputs: ins + (residual.map { [$0] } ?? []), output: v))
                // The kernel is prepared: drop the folded copy (made on demand by the folding) and
                // give the source's pages back when it is a view into a file mapping, so planning
                // holds one copy of the weights, not three.
                folded.weights[node.name] = nil
                model.weights[node.name]?["kernel"]?.data.releasePages()
                flops += 2 * Double(geometry.rows) * Double(geometry.patch) * Double(geometry.outC)
                valueOf[node.name] = v
                for name in produces.dropFirst() { fusedInto[name] = v }
            case .depthwiseConv2D(let a):
                try emitDepthwise(node, a, grouped: false, inShape: inShape, zeroPad: zeroPad, inputs: ins)
            case .batchNormalization(let bn):
                let fusion = fusedActivations[node.name]
                let op = BatchNormalizationOp(attributes: bn, fusedActivation: fusion?.0)
                emit(node, try opStep(node, op, "batchnorm" + (op.fusedActivation.map { " +\($0.rawValue)" } ?? "")), inputs: ins)
                if let (_, reader) = fusion { fusedInto[reader] = valueOf[node.name] }
            case .activation(let activation):
                emit(node, try opStep(node, ActivationOp(function: activation), "activation \(activation.rawValue)"), inputs: ins)
            case .relu:
                emit(node, try opStep(node, ActivationOp(function: .relu), "activation relu"), inputs: ins)
            case .zeroPadding2D(let top, let bottom, let left, let right):
                // A padding read only by a Conv2D or a pooling layer is folded into that layer.
                if foldedPads[node.name] != nil {
                    valueOf[node.name] = ins[0]
                    continue
                }
                emit(node, try opStep(node, ZeroPaddingOp(top: top, bottom: bottom, left: left, right: right), "pad"), inputs: ins)
            case .maxPooling2D(let a):
                emit(node, try opStep(node, PoolingOp(max: true, attributes: a, zeroPad: zeroPad), "maxpool"), inputs: ins)
            case .averagePooling2D(let a):
                emit(node, try opStep(node, PoolingOp(max: false, attributes: a, zeroPad: zeroPad), "avgpool"), inputs: ins)
            case .globalAveragePooling2D:
                emit(node, try opStep(node, GlobalPoolingOp(max: false), "global avgpool"), inputs: ins)
            case .globalMaxPooling2D:
                emit(node, try opStep(node, GlobalPoolingOp(max: true), "global maxpool"), inputs: ins)
            case .add:
                emit(node, try opStep(node, AddOp(), "add"), inputs: ins)
            case .concatenate(let axis):
                emit(node, try opStep(node, ConcatenateOp(axis: axis), "concatenate"), inputs: ins)
            case .rescaling(let scale, let offset):
                emit(node, try opStep(node, RescalingOp(scale: Float(scale), offset: Float(offset)), "rescale"), inputs: ins)
            case .reshape:
                // Same memory, same values in C order.
                shapes.append([batch] + node.outputShape)
                aliasOf[shapes.count - 1] = aliasOf[ins[0]] ?? ins[0]
                valueOf[node.name] = shapes.count - 1
            case .separableConv2D(let a):
                let depthwiseFlops = 2 * Double(batch * node.outputShape[0] * node.outputShape[1]) * Double(a.kernel[0] * a.kernel[1]) * Double(inShape[2] * a.depthMultiplier)
                let pointwiseFlops = 2 * Double(batch * node.outputShape[0] * node.outputShape[1]) * Double(inShape[2] * a.depthMultiplier) * Double(a.filters)
                emit(node, try opStep(node, SeparableConvolutionOp(attributes: a), "separable", flops: depthwiseFlops + pointwiseFlops), inputs: ins)
                flops += depthwiseFlops + pointwiseFlops
            default:
                // Every other op through its family's inference pass (Ops/).
                let op = try DifferentiableOps.make(node.op)
                emit(node, try opStep(node, op, node.op.kerasClassName.lowercased()), inputs: ins)
            }
        }
        self.steps = steps
        self.shapes = shapes
        self.flops = flops
        self.inputValue = inputValue
        var outputs: [String: Int] = [:]
        for (name, target) in zip(names, targets) {
            guard let v = valueOf[target] else { throw ComputeError.unknownOutput(name, available: model.graph.nodes.map(\.name)) }
            outputs[name] = v
        }
        self.outputs = outputs
        self.aliasOf = aliasOf
        (slotOfValue, slotSizes) = Self.assignSlots(steps: steps, shapes: shapes, aliases: aliasOf, pinned: Set(outputs.values))
    }

    /// Greedy arena assignment: a value takes a free slot big enough (best fit) or a new one,
    /// and its slot is freed after its last reader. Outputs and the input are never reused.
    static func assignSlots(steps: [Step], shapes: [[Int]], aliases: [Int: Int], pinned: Set<Int>) -> ([Int], [Int]) {
        let root = { (v: Int) -> Int in aliases[v] ?? v }
        var lastUse = [Int](repeating: -1, count: shapes.count)
        for (i, step) in steps.enumerated() { for input in step.inputs { lastUse[root(input)] = max(lastUse[root(input)], i) } }
        var slotOf = [Int](repeating: -1, count: shapes.count)
        var sizes: [Int] = []
        var free: [Int] = []
        let pinnedRoots = Set(pinned.map(root))
        for (i, step) in steps.enumerated() {
            let v = root(step.output)
            if slotOf[v] < 0 {
                let need = shapes[v].reduce(1, *)
                if let best = free.enumerated().filter({ sizes[$0.element] >= need }).min(by: { sizes[$0.element] < sizes[$1.element] }) {
                    slotOf[v] = best.element
                    free.remove(at: best.offset)
                } else if let grow = free.indices.max(by: { sizes[free[$0]] < sizes[free[$1]] }) {
                    slotOf[v] = free[grow]
                    sizes[free[grow]] = need
                    free.remove(at: grow)
                } else {
                    slotOf[v] = sizes.count
                    sizes.append(need)
                }
            }
            for input in Set(step.inputs.map(root)).sorted() where lastUse[input] == i && !pinnedRoots.contains(input) && input != v {
                if case .input = steps.first(where: { root($0.output) == input })?.kind { continue }
                free.append(slotOf[input])
            }
        }
        for v in shapes.indices where slotOf[v] < 0 { slotOf[v] = slotOf[root(v)] }
        return (slotOf, sizes)
    }
}
