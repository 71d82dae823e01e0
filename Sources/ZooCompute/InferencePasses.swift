import ZooGraph
import ZooModels

/// The inference plan's passes, in the order `ExecutionPlan.init` runs them:
/// 1. validate the weights (`BoundModel.validateWeights`);
/// 2. `foldBatchNorm`: inference BatchNormalization (and ConvNeXt's LayerScale) into the preceding convolution or Dense;
/// 3. `prune`: only the layers the requested outputs need;
/// 4. `foldPadding`: a ZeroPadding2D read only by a Conv2D or a pooling layer becomes that
///    layer's padding;
/// 5. `fuseEpilogues`: a convolution's or Dense layer's residual Add and ReLU run in the GEMM's
///    output pass;
/// 6. choose the algorithm (Winograd F(4x4) / F(2x2) or the direct GEMM, `WinogradConvolution.tile`)
///    and prepare the weights, emitting the steps (`ExecutionPlan.init`);
/// 7. `ExecutionPlan.assignSlots`: activation memory by liveness.
/// A training plan (`TrainingGraph`) runs a different sequence: it folds nothing it trains.
enum InferencePasses {
    /// Pass 2: the folded model, a function from a layer name to the layer that now produces its
    /// value (a folded BatchNormalization's value comes from its convolution), and the layers
    /// that absorbed a BatchNormalization (their kernels differ from the file's).
    static func foldBatchNorm(_ model: BoundModel, preserving: Set<String>) throws
        -> (model: BoundModel, resolve: @Sendable (String) -> String, absorbed: Set<String>) {
        let (folded, replaced) = try BatchNormFolding.fold(model, preserving: preserving, layerScale: true)
        let resolve: @Sendable (String) -> String = { name in
            var current = name
            while let next = replaced[current] { current = next }
            return current
        }
        return (folded, resolve, Set(replaced.values))
    }

    /// Pass 3: the layers `targets` depend on, in `model.layers` order, and each one's readers.
    static func prune(_ graph: Graph, targets: [String]) throws -> (order: [Node], consumers: [String: [String]]) {
        var needed = Set<String>()
        for target in targets { needed.formUnion(try graph.ancestors(of: target)) }
        let order = graph.nodes.filter { needed.contains($0.name) }
        guard order.filter({ if case .input = $0.op { return true } else { return false } }).count == 1 else {
            throw ComputeError.badInput(reason: "the model must have exactly one input layer")
        }
        var consumers: [String: [String]] = [:]
        for node in order { for input in node.inputs { consumers[input, default: []].append(node.name) } }
        return (order, consumers)
    }

    /// The only reader of `name`, when it has exactly one and its value is not an output.
    static func singleReader(_ name: String, consumers: [String: [String]], materialized: Set<String>) -> String? {
        guard let list = consumers[name], list.count == 1, !materialized.contains(name) else { return nil }
        return list[0]
    }

    /// Pass 4: the ZeroPadding2D layers folded into their reader (a Conv2D, MaxPooling2D or
    /// AveragePooling2D reading the padded tensor as zeros outside the real input).
    static func foldPadding(_ order: [Node], graph: Graph, consumers: [String: [String]], materialized: Set<String>) -> [String: Node] {
        var folded: [String: Node] = [:]
        for node in order {
            guard case .zeroPadding2D = node.op, let next = singleReader(node.name, consumers: consumers, materialized: materialized),
                  let reader = graph.node(next) else { continue }
            switch reader.op {
            case .conv2D, .depthwiseConv2D, .maxPooling2D, .averagePooling2D: folded[node.name] = node
            default: continue
            }
        }
        return folded
    }

    /// What a convolution or Dense step computes in its output pass besides the product.
    struct Epilogue: Sendable {
        /// The other input of an Add that reads only this layer (added in the output pass).
        var residual: String?
        /// Whether a ReLU follows (the layer's own, or a ReLU layer that reads only it).
        var relu: Bool
        /// The layers the step computes: the layer itself, then the fused Add and ReLU.
        var produces: [String]
        /// Another activation applied in the output pass, rows still in cache: the layer's own
        /// (a Conv2D with `activation="silu"`) or an Activation layer that reads only it
        /// (EfficientNet's silu after a folded BatchNormalization, MobileNetV2's ReLU6).
        var activation: Activation? = nil
    }

    /// The activation an Activation or ReLU layer applies, when a producer can run it in its
    /// output pass: not linear (nothing to do), relu (the kernels' own epilogue) or softmax
    /// (a whole-row function).
    static func fusableActivation(_ op: Op?) -> Activation? {
        switch op {
        case .activation(let a)? where a != .linear && a != .relu && a != .softmax: return a
        case .reluLayer(let a)? where a == ReLUAttributes(maxValue: 6): return .relu6
        default: return nil
        }
    }

    /// Pass 5b: for DepthwiseConv2D, a grouped Conv2D and BatchNormalization layers without an
    /// activation of their own, the Activation or ReLU layer that reads only them (computed in
    /// the same pass over the output), and the name it is fused from.
    static func fuseActivations(_ order: [Node], graph: Graph, consumers: [String: [String]], materialized: Set<String>) -> [String: (Activation, String)] {
        var result: [String: (Activation, String)] = [:]
        for node in order {
            switch node.op {
            case .depthwiseConv2D(let a) where a.activation == .linear: break
            case .conv2D(let a) where a.groups > 1 && a.activation == .linear: break
            case .batchNormalization: break
            default: continue
            }
            guard let next = singleReader(node.name, consumers: consumers, materialized: materialized), let reader = graph.node(next) else { continue }
            if case .activation(.relu) = reader.op { result[node.name] = (.relu, next); continue }
            if case .relu = reader.op { result[node.name] = (.relu, next); continue }
            if let activation = fusableActivation(reader.op) { result[node.name] = (activation, next) }
        }
        return result
    }

    /// Pass 5: for each Conv2D and Dense layer, the Add (whose other input is computed earlier)
    /// and ReLU fused into its output pass.
    static func fuseEpilogues(_ order: [Node], graph: Graph, consumers: [String: [String]], materialized: Set<String>) -> [String: Epilogue] {
        var position: [String: Int] = [:]
        for (i, node) in order.enumerated() { position[node.name] = i }
        func isRelu(_ name: String) -> Bool {
            switch graph.node(name)?.op {
            case .activation(.relu)?, .relu?: return true
            default: return false
            }
        }
        var result: [String: Epilogue] = [:]
        for (index, node) in order.enumerated() {
            let activation: Activation
            switch node.op {
            case .conv2D(let a) where a.groups == 1: activation = a.activation
            case .dense(let a): activation = a.activation
            default: continue
            }
            var epilogue = Epilogue(residual: nil, relu: activation == .relu, produces: [node.name])
            var last = node.name
            if activation == .linear, let next = singleReader(last, consumers: consumers, materialized: materialized),
               let add = graph.node(next), case .add = add.op, add.inputs.count == 2,
               let other = add.inputs.first(where: { $0 != last }), let at = position[other], at < index {
                epilogue.residual = other
                epilogue.produces.append(next)
                last = next
            }
            if !epilogue.relu, activation == .linear || epilogue.residual != nil,
               let next = singleReader(last, consumers: consumers, materialized: materialized), isRelu(next) {
                epilogue.relu = true
                epilogue.produces.append(next)
            }
            if activation != .linear && activation != .relu {
                epilogue.activation = activation
            } else if !epilogue.relu, activation == .linear, let next = singleReader(last, consumers: consumers, materialized: materialized),
                      let fused = fusableActivation(graph.node(next)?.op) {
                epilogue.activation = fused
                epilogue.produces.append(next)
            }
            result[node.name] = epilogue
        }
        return result
    }
}
