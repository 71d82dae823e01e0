import ZooFormats
import ZooGraph
import ZooNative

/// Writes a bound model as a `.zoo` file: graph, typed metadata and tensors in Keras naming
/// and layout (HWIO convs, IO Dense).
public enum ZooExport {
    public struct Options: Sendable {
        public var dtype: DType?
        public var foldBatchNorm = false
        public var alignment = 64
        /// Layers whose kernel is stored in the compute core's GEMM panel layout (`packed`), so
        /// the core multiplies by the file's bytes in place instead of packing them at load
        /// (nil: none). The CLI passes `CompiledModel.usesKernelPanels`.
        public var packKernel: (@Sendable (Node, Graph) -> Bool)?
        public init(dtype: DType? = nil, foldBatchNorm: Bool = false, alignment: Int = 64, packKernel: (@Sendable (Node, Graph) -> Bool)? = nil) {
            self.dtype = dtype
            self.foldBatchNorm = foldBatchNorm
            self.alignment = alignment
            self.packKernel = packKernel
        }
    }

    /// The max abs error per tensor of a dtype conversion (empty without one).
    public typealias ConversionReport = [String: Double]

    /// Writes `loaded` (a bound model, its weights in memory) to `path`.
    @discardableResult
    public static func write(_ loaded: ModelLoader.Loaded, sourceFile: String, sourceSHA256: String, to path: String, options: Options) throws -> ConversionReport {
        try write(loaded, sourceFile: sourceFile, sourceSHA256: .known(sourceSHA256), to: path, options: options, stream: nil)
    }

    /// The source file's SHA-256, known up front or computed while the tensors are written.
    enum SourceHash {
        case known(String)
        case pending(SHA256.FileTask)
    }

    /// Writes `loaded`; weights whose bytes `stream` still holds are read from it into the
    /// writer's buffer one at a time (no dtype conversion then).
    static func write(_ loaded: ModelLoader.Loaded, sourceFile: String, sourceSHA256: SourceHash, to path: String, options: Options,
                      stream: HDF5CheckpointStream?) throws -> ConversionReport {
        var model = loaded.model
        if options.foldBatchNorm { model = try BatchNormFolding.fold(model).model }
        var metadata = ZooMetadata()
        metadata.architecture = loaded.architecture?.rawValue
        metadata.naming = NamingScheme.keras.rawValue
        metadata.inputShape = model.graph.inputNodes.first?.outputShape
        if let architecture = loaded.architecture {
            metadata.preprocessing = architecture.preprocessing
        } else if let config = loaded.checkpoint.modelConfig, let name = (try? KerasModelConfig(json: config, file: sourceFile))?.name {
            metadata.preprocessing = .kerasApplication(named: name)
        }
        if let classifier = model.graph.nodes.last(where: { if case .dense = $0.op { return true } else { return false } }),
           case .dense(let dense) = classifier.op, model.graph.effectiveOutputs.contains(classifier.name) {
            metadata.classes = dense.units
            metadata.classifierLayer = classifier.name
        }
        var epsilons: [String: Double] = [:]
        for node in model.graph.nodes { if case .batchNormalization(let bn) = node.op { epsilons[node.name] = bn.epsilon } }
        metadata.batchNormEpsilon = epsilons.isEmpty ? nil : epsilons
        metadata.source = .init(file: sourceFile, sha256: sourceSHA256.placeholder, format: loaded.checkpoint.format.rawValue,
                                kerasVersion: loaded.checkpoint.kerasVersion, backend: loaded.checkpoint.backend)
        metadata.slice = loaded.checkpoint.provenance
        metadata.foldedBatchNorm = options.foldBatchNorm ? true : nil
        if !options.foldBatchNorm {
            metadata.kerasModelConfig = loaded.checkpoint.modelConfig
            metadata.kerasTrainingConfig = loaded.checkpoint.trainingConfig
        }
        var report: ConversionReport = [:]
        var tensors: [ZooFileWriter.Tensor] = []
        var pending: [Int: Weight] = [:]
        var packs: [Int: Weight] = [:]  // kernels packed while writing, straight into the output
        var converts: [Int: (weight: Weight, to: DType)] = [:]  // converted while writing
        for node in model.graph.nodes {
            for spec in node.weights {
                guard var weight = model.weights[node.name]?[spec.name] else { continue }
                let name = "\(node.name)/\(spec.name)"
                let layout: TensorLayout
                switch (node.op, spec.shape.count) {
                case (.conv2D, 4), (.depthwiseConv2D, 4): layout = .hwio
                case (.dense, 2): layout = .io
                default: layout = .plain
                }
                let isPending = stream?.hasPendingData(weight) ?? false
                if isPending, options.dtype != nil, let stream {
                    throw FormatError.cannotWrite(file: path, reason: "tensor '\(name)' is still in \(stream.path), and a dtype conversion needs it in memory")
                }
                let packed = spec.name == "kernel" && (layout == .hwio || layout == .io) && (options.packKernel?(node, model.graph) ?? false)
                if !isPending, let target = options.dtype, DTypeConversion.converts(weight.dtype, to: target) {
                    if !packed {
                        // Converted while writing, straight into the output; the error first,
                        // in small pieces, because the metadata that records it is laid out first.
                        report[name] = DTypeConversion.maxAbsError(weight, to: target)
                        converts[tensors.count] = (weight, target)
                        tensors.append(.init(name: name, dtype: target, shape: weight.shape, layout: layout, data: nil))
                        continue
                    }
                    let (converted, error) = DTypeConversion.convert(weight, to: target)
                    weight = converted
                    report[name] = error
                } else if !isPending, options.dtype != nil {
                    report[name] = 0
                }
                if packed {
                    guard weight.dtype == .float32, let size = PackedKernel.byteCount(shape: weight.shape),
                          isPending || weight.data.count == weight.elementCount * 4 else {
                        throw FormatError.cannotWrite(file: path, reason: "kernel '\(name)' is \(weight.dtype.rawValue) \(weight.shape); only float32 kernels can be stored packed")
                    }
                    if let panels = weight.kernelPanels, panels.count == size {
                        tensors.append(.init(name: name, dtype: .float32, shape: weight.shape, layout: .packed, data: panels))
                    } else {
                        // Packed while writing, straight into the output: no second copy of the kernel.
                        packs[tensors.count] = weight
                        tensors.append(.init(name: name, dtype: .float32, shape: weight.shape, layout: .packed, data: nil))
                    }
                    continue
                }
                if isPending {
                    pending[tensors.count] = weight
                    tensors.append(.init(name: name, dtype: weight.dtype, shape: weight.shape, layout: layout, data: nil))
                    continue
                }
                tensors.append(.init(name: name, dtype: weight.dtype, shape: weight.shape, layout: layout, data: weight.data))
            }
        }
        if options.dtype != nil { metadata.dtypeConversion = report }
        try ZooFileWriter.write(tensors, metadata: metadata, graph: model.graph, to: path, alignment: options.alignment, fill: { index, buffer in
            if let (weight, target) = converts[index] {
                weight.data.withUnsafeBytes { _ = DTypeConversion.convert($0, from: weight.dtype, to: target, into: buffer) }
                return
            }
            if let weight = packs[index] {
                guard var scatter = PackedKernel.Scatter(shape: weight.shape, into: buffer) else {
                    throw FormatError.cannotWrite(file: path, reason: "kernel '\(tensors[index].name)' \(weight.shape) cannot be packed")
                }
                if let stream, stream.hasPendingData(weight) {
                    try stream.readPieces(weight) { scatter.scatter($0) }
                } else {
                    weight.data.withUnsafeBytes { scatter.scatter($0) }
                }
                guard scatter.isComplete else {
                    throw FormatError.cannotWrite(file: path, reason: "kernel '\(tensors[index].name)' delivered \(scatter.delivered) of \(weight.elementCount) values")
                }
                return
            }
            guard let stream, let weight = pending[index] else {
                throw FormatError.cannotWrite(file: path, reason: "tensor '\(tensors[index].name)' has no data to write")
            }
            try stream.read(weight, into: buffer)
        }, finishMetadata: { metadata in
            metadata.source?.sha256 = try sourceSHA256.value()
        })
        return report
    }

    /// Writes a checkpoint that could not be bound to any graph: tensors only, as stored.
    public static func writeUnbound(_ checkpoint: Checkpoint, sourceFile: String, sourceSHA256: String, to path: String, options: Options) throws -> ConversionReport {
        var metadata = ZooMetadata()
        metadata.source = .init(file: sourceFile, sha256: sourceSHA256, format: checkpoint.format.rawValue,
                                kerasVersion: checkpoint.kerasVersion, backend: checkpoint.backend)
        metadata.kerasModelConfig = checkpoint.modelConfig
        metadata.slice = checkpoint.provenance
        var report: ConversionReport = [:]
        var tensors: [ZooFileWriter.Tensor] = []
        for layer in checkpoint.layers {
            for var weight in layer.weights {
                let separator = layer.name.contains(".") && !layer.name.contains("/") ? "." : "/"
                let name = layer.name + separator + weight.name
                if let target = options.dtype {
                    let (converted, error) = DTypeConversion.convert(weight, to: target)
                    weight = converted
                    report[name] = error
                }
                tensors.append(.init(name: name, dtype: weight.dtype, shape: weight.shape, layout: .plain, data: weight.data))
            }
        }
        if options.dtype != nil { metadata.dtypeConversion = report }
        try ZooFileWriter.write(tensors, metadata: metadata, graph: nil, to: path, alignment: options.alignment)
        return report
    }
}

extension ZooExport.SourceHash {
    /// What the metadata holds while the layout is planned: the hash, or as many zeros as it
    /// will have hex digits (so the metadata keeps its length when the hash arrives).
    var placeholder: String {
        switch self {
        case .known(let hex): return hex
        case .pending: return String(repeating: "0", count: 64)
        }
    }

    /// The hash, waiting for it when it is being computed.
    func value() throws -> String {
        switch self {
        case .known(let hex): return hex
        case .pending(let task): return try task.result()
        }
    }
}
