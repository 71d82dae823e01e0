import ArgumentParser
import Foundation
import ZooFormats
import ZooModels
import ZooCompute
import ZooGraph
import ZooNative

/// `zoo convert IN OUT`: rewrite a checkpoint in another format, layout, naming or dtype.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert between Keras layouts, .zoo and safetensors; rename, change dtype, fold BatchNormalization.",
        discussion: """
        The output format comes from --format or from OUT's name (.zoo, .safetensors, .weights.h5: \
        keras3-weights, .keras: keras-archive, .model.h5: keras-h5-model, other .h5: keras-h5-weights). \
        The output is written to a temporary file and renamed, so a failed run leaves nothing behind.
        """
    )

    @Argument(help: "The file to read (any format zoo reads).")
    var input: String

    @Argument(help: "The file to write.")
    var output: String

    @Option(name: [.customLong("format"), .customLong("layout")],
            help: "Output format: keras-h5-weights, keras-h5-model, keras3-weights, keras-archive, zoo, safetensors.")
    var format: String?

    @Option(help: "Rename (and relayout) the weights into this scheme: keras, keras-v1, torchvision (OIHW convs, (out, in) Dense).")
    var naming: String?

    @Option(help: "Store float weights as float32, float16 or bfloat16 (round to nearest even); prints the max abs error per tensor.")
    var dtype: String?

    @Flag(name: .customLong("fold-bn"), help: "Fold inference BatchNormalization into the preceding convolution and drop it from the graph.")
    var foldBN = false

    @Flag(help: "Write a .zoo ready for zoo's compute core: BatchNormalization folded, and the kernels it multiplies as plain matrices (Dense, convolutions that do not run as Winograd) stored in its GEMM panel layout (tensor layout 'packed'), used in place at load instead of being repacked. Other readers see the usual values.")
    var pack = false

    @Option(help: "Tensor alignment in a .zoo file: a power of two from 64 to 65536.")
    var align: Int = 64

    @Option(help: "Architecture of a source without a config (default: detected from the names).")
    var arch: String?

    @Option(name: .customLong("from-naming"), help: "Naming scheme of the source (default: detected from the names).")
    var fromNaming: String?

    func run() throws {
        let target = try Self.outputFormat(layout: format, output: output)
        let targetDType = try dtype.map { name -> DType in
            guard let value = DType(rawValue: name), [.float32, .float16, .bfloat16].contains(value) else {
                throw ValidationError("unknown --dtype '\(name)'; expected float32, float16 or bfloat16")
            }
            return value
        }
        if pack {
            guard target == .zoo else { throw ValidationError("--pack writes the compute core's layout, which only .zoo files hold; name the output .zoo") }
            guard targetDType == nil || targetDType == .float32 else { throw ValidationError("--pack stores float32 kernels; drop --dtype \(dtype ?? "")") }
        }
        // A packed file is a folded one: the panels hold the kernels the core multiplies by.
        let foldBN = self.foldBN || pack
        let source = ModelOptions.with(arch: arch, naming: fromNaming)
        let name = URL(fileURLWithPath: input).lastPathComponent
        if target == .zoo, targetDType == nil {
            // Keras sources stream: bound from their structure, each weight read (packed, with
            // --pack), hashed and written in turn while the source's SHA-256 is computed beside it.
            var options = ZooExport.Options(foldBatchNorm: foldBN, alignment: align)
            if pack {
                options.packKernel = { node, graph in CompiledModel.usesKernelPanels(node, in: graph) }
            }
            if let structure = try ZooExport.convertStreaming(input, sourceFile: name, to: output, loader: try source.loader(mode: .strict), options: options) {
                Self.reportWritten(output, target: target, from: structure, notes: "")
                return
            }
        }
        var (raw, storedGraph, _) = try AnyCheckpointReader.read(input)
        let sourceWeights = raw.allWeights.count, sourceParameters = raw.parameterCount
        var report: [String: Double] = [:]

        if target == .zoo {
            var options = ZooExport.Options(dtype: targetDType, foldBatchNorm: foldBN, alignment: align)
            if pack {
                let usesPanels: @Sendable (Node, Graph) -> Bool = { node, graph in CompiledModel.usesKernelPanels(node, in: graph) }
                options.packKernel = usesPanels
            }
            let sha = try SHA256.hexDigest(ofFile: input)
            if let loaded = try? source.loader(mode: .strict).load(raw, file: input, graph: storedGraph) {
                report = try ZooExport.write(loaded, sourceFile: name, sourceSHA256: sha, to: output, options: options)
            } else {
                guard !foldBN else {
                    throw ValidationError("--\(pack ? "pack" : "fold-bn") needs the model's graph, and \(input)'s architecture is unknown; pass --arch")
                }
                FileHandle.standardError.write(Data("zoo: warning: \(input) does not bind to a known graph; writing its tensors without a graph (pass --arch to add one)\n".utf8))
                report = try ZooExport.writeUnbound(raw, sourceFile: name, sourceSHA256: sha, to: output, options: options)
            }
        } else {
            var checkpoint = raw
            // tf-keras records `x + 3.0` as a TFOpLambda and allows '/' in layer names, neither of
            // which Keras 3 loads: a .keras archive of such a model gets its config written anew
            // from the graph (op nodes, '_' names).
            // So does one from a legacy `.h5` with keras.applications' own layer classes
            // (ConvNeXt's LayerScale, InceptionResNetV2's CustomScaleLayer): the legacy writers
            // drop the `module` that lets Keras 3 find them.
            // And one with a nested model from a legacy `.h5`: tf-keras reads its output as call
            // 1 and writes a nested Sequential in a form Keras 3 does not rebuild.
            let rewritesConfig = target == .kerasArchive && raw.modelConfig.map { config in
                let layers = (try? KerasModelConfig(json: config, file: input))?.layers ?? []
                return config.contains("\"TFOpLambda\"")
                    || raw.format != .kerasArchive && (config.contains("\"LayerScale\"") || config.contains("\"CustomScaleLayer\"")
                                                       || layers.contains { !$0.nested.isEmpty })
                    || layers.contains { $0.name.contains("/") }
            } == true
            let needsGraph = naming != nil || foldBN || rewritesConfig || (target == .kerasH5Model || target == .kerasArchive) && raw.modelConfig == nil
                || raw.format == .keras3Weights && (target == .kerasH5Weights || target == .kerasH5Model)
            if needsGraph {
                do {
                    var loaded = try source.loader(mode: .strict).load(raw, file: input, graph: storedGraph)
                    if foldBN {
                        guard target != .kerasH5Weights && target != .keras3Weights else {
                            throw ValidationError("a folded model no longer matches its architecture; write .zoo, .safetensors, .model.h5 or .keras")
                        }
                        loaded.model = try BatchNormFolding.fold(loaded.model).model
                    }
                    let scheme = try naming.map { name -> NamingScheme in
                        guard let value = NamingScheme(rawValue: name), value != .keras3 else {
                            throw ValidationError("unknown --naming '\(name)'; expected keras, keras-v1 or torchvision")
                        }
                        return value
                    } ?? .keras
                    var renamed = try loaded.model.checkpoint(naming: scheme, format: target)
                    // Weights the target scheme has no name for (torchvision ResNets have no conv
                    // biases) are dropped: say so when they carry information.
                    let dropped = try WeightNameMap(graph: loaded.model.graph, scheme: scheme).unmapped.filter { name in
                        let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
                        guard parts.count == 2, let weight = loaded.model.weights[parts[0]]?[parts[1]] else { return false }
                        return DTypeConversion.floats(weight).contains { $0 != 0 }
                    }
                    if !dropped.isEmpty {
                        FileHandle.standardError.write(Data("zoo: warning: the \(scheme.rawValue) naming has no place for \(dropped.count) non-zero weights, which are dropped (e.g. \(dropped[0])); a model loading this file computes different outputs\n".utf8))
                    }
                    renamed.kerasVersion = raw.kerasVersion
                    renamed.backend = raw.backend
                    renamed.provenance = raw.provenance
                    if target == .kerasH5Model || target == .kerasArchive {
                        renamed.modelConfig = foldBN || rewritesConfig || raw.modelConfig == nil ? try KerasConfigExporter.json(for: loaded.model.graph) : raw.modelConfig
                        renamed.trainingConfig = foldBN ? nil : raw.trainingConfig
                    }
                    checkpoint = renamed
                } catch let error as BindingError where naming == nil && !foldBN {
                    // A file that should bind but does not: that is the real problem to report.
                    if case .incomplete(_, let report) = error {
                        throw FormatError.cannotWrite(file: output, reason: "\(input) does not fit its architecture: \(report.summaryLine); `zoo summary \(input)` lists every problem")
                    }
                    // Without a graph the writer says what is missing; a Keras 3 source gets a hint.
                    if raw.format == .keras3Weights && (target == .kerasH5Weights || target == .kerasH5Model) {
                        FileHandle.standardError.write(Data("zoo: warning: \(input) records no layer order and its architecture is unknown; layers are written by class and counter, so load with by_name=True (or pass --arch)\n".utf8))
                    }
                }
            }
            if let targetDType {
                // `raw` lets go of the source's tensors (only its counts are reported), so each
                // goes as it is converted: the model once plus one converted tensor at a time.
                raw.layers = []
                for l in checkpoint.layers.indices {
                    for w in checkpoint.layers[l].weights.indices {
                        let (converted, error) = DTypeConversion.convert(checkpoint.layers[l].weights[w], to: targetDType)
                        checkpoint.layers[l].weights[w] = converted
                        report["\(checkpoint.layers[l].name)/\(converted.name)"] = error
                    }
                }
            }
            if target == .safetensors {
                try SafetensorsFile.write(checkpoint, to: output)
            } else {
                try CheckpointWriter.write(checkpoint, to: output, format: target)
            }
        }
        if targetDType != nil {
            for (name, error) in report.sorted(by: { $0.key < $1.key }) { print("\(name)\tmax_abs_error=\(error)") }
        }
        let notes = (foldBN ? ", BatchNormalization folded" : "") + (pack ? ", kernels packed for the compute core" : "") + (targetDType.map { ", stored as \($0.rawValue)" } ?? "")
        Self.reportWritten(output, target: target, weights: sourceWeights, parameters: sourceParameters, notes: notes)
    }

    private static func reportWritten(_ output: String, target: CheckpointFormat, from checkpoint: Checkpoint, notes: String) {
        reportWritten(output, target: target, weights: checkpoint.allWeights.count, parameters: checkpoint.parameterCount, notes: notes)
    }

    private static func reportWritten(_ output: String, target: CheckpointFormat, weights: Int, parameters: Int, notes: String) {
        FileHandle.standardError.write(Data("zoo: wrote \(output) (\(target.rawValue)) from \(weights) weights, \(parameters) parameters\(notes)\n".utf8))
    }

    static func outputFormat(layout: String?, output: String) throws -> CheckpointFormat {
        if let layout {
            guard let format = CheckpointFormat(rawValue: layout) else {
                throw ValidationError("unknown --format '\(layout)'; expected one of \(CheckpointFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return format
        }
        let lower = output.lowercased()
        if lower.hasSuffix(".zoo") { return .zoo }
        if lower.hasSuffix(".safetensors") { return .safetensors }
        guard let format = CheckpointFormat.guess(fromOutputName: output) else {
            throw ValidationError("cannot tell the output format from '\(output)'; name it .zoo, .safetensors, .h5, .model.h5, .weights.h5 or .keras, or pass --format")
        }
        return format
    }
}
