import ZooFormats
import ZooGraph

/// Folds inference BatchNormalization into the convolution (or Dense) before it:
/// `w' = w * gamma / sqrt(var + eps)` per output channel and
/// `b' = (b - mean) * gamma / sqrt(var + eps) + beta`, then drops the BatchNormalization node and
/// points its consumers at the convolution. Computed in float64, stored as float32.
public enum BatchNormFolding {
    /// The folded model and the names of the BatchNormalization layers it removed (each mapped
    /// to the layer that now produces its output).
    /// Layers in `preserving` keep their own output: a BatchNormalization after one of them is
    /// not folded into it.
    /// With `layerScale`, ConvNeXt's LayerScale (`y = x * gamma`, a BatchNormalization with no
    /// statistics) folds the same way into the Dense before it (the inference core does this;
    /// `zoo convert --fold-bn` keeps the LayerScale layers).
    public static func fold(_ model: BoundModel, preserving: Set<String> = [], layerScale: Bool = false) throws -> (model: BoundModel, folded: [String: String]) {
        let graph = model.graph
        var consumers: [String: Int] = [:]
        for node in graph.nodes { for input in node.inputs { consumers[input, default: 0] += 1 } }
        var replaced: [String: String] = [:]  // BN name -> producer name
        var weights = model.weights
        var newOps: [String: Op] = [:]
        for node in graph.nodes {
            let batchNorm: BatchNormAttributes?
            switch node.op {
            case .batchNormalization(let bn): batchNorm = bn
            case .layerScale where layerScale: batchNorm = nil
            default: continue
            }
            guard node.inputs.count == 1, let producer = graph.node(node.inputs[0]),
                  consumers[producer.name] == 1, !graph.effectiveOutputs.contains(producer.name),
                  !preserving.contains(producer.name) else { continue }
            let channels = node.outputShape.last ?? 0
            switch producer.op {
            case .conv2D(let a) where a.activation == .linear:
                var attributes = a
                attributes.useBias = true
                newOps[producer.name] = .conv2D(attributes)
            case .depthwiseConv2D(let a) where a.activation == .linear:
                var attributes = a
                attributes.useBias = true
                newOps[producer.name] = .depthwiseConv2D(attributes)
            case .dense(let a) where a.activation == .linear:
                var attributes = a
                attributes.useBias = true
                newOps[producer.name] = .dense(attributes)
            default:
                continue
            }
            guard let bnWeights = weights[node.name], let kernelWeight = weights[producer.name]?[producer.weights[0].name] else { continue }
            let gamma = bnWeights["gamma"].map(DTypeConversion.floats) ?? [Float](repeating: 1, count: channels)
            let beta: [Float], means: [Float], scale: [Double]
            if let bn = batchNorm {
                guard let mean = bnWeights["moving_mean"], let variance = bnWeights["moving_variance"] else { continue }
                beta = bnWeights["beta"].map(DTypeConversion.floats) ?? [Float](repeating: 0, count: channels)
                means = DTypeConversion.floats(mean)
                let variances = DTypeConversion.floats(variance)
                guard gamma.count == channels, beta.count == channels, means.count == channels, variances.count == channels else { continue }
                scale = (0..<channels).map { Double(gamma[$0]) / (Double(variances[$0]) + bn.epsilon).squareRoot() }
            } else {
                guard gamma.count == channels else { continue }
                (beta, means) = ([Float](repeating: 0, count: channels), [Float](repeating: 0, count: channels))
                scale = gamma.map(Double.init)
            }
            let oldBias = weights[producer.name]?["bias"].map(DTypeConversion.floats) ?? [Float](repeating: 0, count: channels)
            let bias = (0..<channels).map { Float((Double(oldBias[$0]) - Double(means[$0])) * scale[$0] + Double(beta[$0])) }
            var newKernel = kernelWeight
            newKernel.dtype = .float32
            // The folded kernel is computed when first read, so folding a whole model holds one
            // folded kernel at a time for a reader that takes them one by one (the compute core
            // packs each and lets it go) instead of a second copy of every weight.
            // Output channels are the kernel's last axis in Keras layout (HWIO, HWIM, IO).
            newKernel.data = TensorData(deferredByteCount: kernelWeight.elementCount * 4) { raw in
                let kernel = DTypeConversion.floats(kernelWeight)
                let out = raw.bindMemory(to: Float.self)
                for i in kernel.indices { out[i] = Float(Double(kernel[i]) * scale[i % channels]) }
            }
            weights[producer.name] = [producer.weights[0].name: newKernel,
                                      "bias": Weight(name: "bias", path: "", storedName: "\(producer.name)/bias", dtype: .float32, shape: [channels], data: TensorData(values: bias))]
            weights[node.name] = nil
            replaced[node.name] = producer.name
        }
        var result = Graph()
        for node in graph.nodes where replaced[node.name] == nil {
            let inputs = node.inputs.map { replaced[$0] ?? $0 }
            try result.add(node.name, newOps[node.name] ?? node.op, inputs: inputs, trainable: node.trainable, container: node.container)
        }
        result.outputs = graph.effectiveOutputs.map { replaced[$0] ?? $0 }
        return (BoundModel(graph: result, weights: weights, report: model.report, scheme: model.scheme), replaced)
    }
}
