import ArgumentParser
import Foundation
import ZooFormats
import ZooGraph
import ZooModels

/// Writing a whole model (graph, weights, trainable flags) in the format an output name or
/// `--layout` asks for: what `zoo slice` and `zoo train` produce.
enum ModelOutput {
    /// The output format for a model that carries a structure the weights-only layouts cannot
    /// hold (a new head, trainable flags, a config of its own): `.h5` means a full-model file
    /// unless `--layout` says otherwise, and a weights-only layout asked for by name is refused.
    static func format(layout: String?, output: String, carriesStructure: Bool) throws -> CheckpointFormat {
        let format = try Convert.outputFormat(layout: layout, output: output)
        guard carriesStructure, format == .kerasH5Weights || format == .keras3Weights || format == .safetensors else { return format }
        if layout == nil && format == .kerasH5Weights { return .kerasH5Model }
        throw ValidationError("\(output): the \(format.rawValue) layout holds weights only and would drop the model's new layers and trainable flags; write .keras, .model.h5 or .zoo (or --layout keras-h5-model)")
    }

    /// Writes `model` to `output` in `format`, recording `provenance` and the source's versions.
    static func write(_ model: BoundModel, to output: String, format: CheckpointFormat, source: ModelLoader.Loaded, sourcePath: String,
                      provenance: String?) throws {
        if format == .zoo {
            var loaded = source
            loaded.model = model
            loaded.checkpoint.provenance = provenance
            try ZooExport.write(loaded, sourceFile: URL(fileURLWithPath: sourcePath).lastPathComponent,
                                sourceSHA256: try SHA256.hexDigest(ofFile: sourcePath), to: output, options: ZooExport.Options())
            return
        }
        let full = format == .kerasH5Model || format == .kerasArchive
        var checkpoint = model.checkpoint(format: format, kerasVersion: source.checkpoint.kerasVersion ?? "3.0.0",
                                          backend: source.checkpoint.backend ?? "tensorflow",
                                          modelConfig: full ? try KerasConfigExporter.json(for: model.graph) : nil)
        checkpoint.provenance = provenance
        if format == .safetensors {
            try SafetensorsFile.write(checkpoint, to: output)
        } else {
            try CheckpointWriter.write(checkpoint, to: output, format: format)
        }
    }
}
