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
        // A full-model .h5 carries a tf-keras 2 config, which tf-keras and Keras 3 both load; a
        // .keras archive is Keras 3's own format.
        let config: String?
        var version = source.checkpoint.kerasVersion ?? "3.0.0"
        switch format {
        case .kerasH5Model:
            config = try KerasConfigExporter.json(for: model.graph, flavor: .tfKeras2)
            version = KerasConfigExporter.tfKeras2Version
        case .kerasArchive:
            config = try KerasConfigExporter.json(for: model.graph)
        default:
            config = nil
        }
        var checkpoint = model.checkpoint(format: format, kerasVersion: version, backend: format == .kerasH5Model ? "tensorflow" : source.checkpoint.backend ?? "tensorflow",
                                          modelConfig: config)
        checkpoint.provenance = provenance
        if format == .safetensors {
            try SafetensorsFile.write(checkpoint, to: output)
        } else {
            try CheckpointWriter.write(checkpoint, to: output, format: format)
        }
    }
}
