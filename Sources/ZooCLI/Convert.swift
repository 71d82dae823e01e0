import ArgumentParser
import Foundation
import ZooFormats
import ZooModels

/// `zoo convert IN OUT`: rewrite a checkpoint in another Keras layout.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rewrite a Keras weight file in another layout.",
        discussion: """
        The layout comes from --layout or from OUT's name (.weights.h5: keras3-weights, \
        .keras: keras-archive, .model.h5: keras-h5-model, other .h5: keras-h5-weights). \
        The output is written to a temporary file and renamed, so a failed run leaves nothing behind.
        """
    )

    @Argument(help: "The file to read (any Keras layout).")
    var input: String

    @Argument(help: "The file to write.")
    var output: String

    @Option(help: "Output layout: keras-h5-weights, keras-h5-model, keras3-weights or keras-archive.")
    var layout: String?

    @Option(help: "Rename (and relayout) the weights into this scheme: keras, keras-v1, torchvision (OIHW convs, (out, in) Dense).")
    var naming: String?

    @Option(help: "Architecture of a source without a config (default: detected from the names).")
    var arch: String?

    @Option(name: .customLong("from-naming"), help: "Naming scheme of the source (default: detected from the names).")
    var fromNaming: String?

    func run() throws {
        let format = try Self.outputFormat(layout: layout, output: output)
        var checkpoint = try CheckpointReader.read(input)
        if let naming {
            guard let target = NamingScheme(rawValue: naming), target != .keras3 else {
                throw ValidationError("unknown --naming '\(naming)'; expected keras, keras-v1 or torchvision")
            }
            let source = ModelOptions.with(arch: arch, naming: fromNaming)
            let loaded = try source.loader(mode: .strict).load(checkpoint, file: input)
            checkpoint = try loaded.model.checkpoint(naming: target, format: format)
            checkpoint.kerasVersion = loaded.checkpoint.kerasVersion
            checkpoint.backend = loaded.checkpoint.backend
        }
        else if checkpoint.format == .keras3Weights, format == .kerasH5Weights || format == .kerasH5Model, checkpoint.modelConfig == nil {
            // A Keras 3 weights file does not record layer order, which legacy files load by;
            // recover it from the architecture when the names tell it.
            if let loaded = try? ModelOptions.with(arch: arch, naming: fromNaming).loader(mode: .strict).load(checkpoint, file: input) {
                var ordered = loaded.model.checkpoint(format: format)
                ordered.kerasVersion = checkpoint.kerasVersion
                ordered.backend = checkpoint.backend
                checkpoint = ordered
            } else {
                FileHandle.standardError.write(Data("zoo: warning: \(input) records no layer order and its architecture is unknown; layers are written by class and counter, so load with by_name=True (or pass --arch)\n".utf8))
            }
        }
        try CheckpointWriter.write(checkpoint, to: output, format: format)
        let layers = checkpoint.layers.filter { !$0.weights.isEmpty }.count
        FileHandle.standardError.write(Data("zoo: wrote \(output) (\(format.rawValue), \(layers) layers with weights, \(checkpoint.parameterCount) parameters)\n".utf8))
    }

    static func outputFormat(layout: String?, output: String) throws -> CheckpointFormat {
        if let layout {
            guard let format = CheckpointFormat(rawValue: layout), CheckpointFormat.writable.contains(format) else {
                throw ValidationError("unknown --layout '\(layout)'; expected one of \(CheckpointFormat.writable.map(\.rawValue).joined(separator: ", "))")
            }
            return format
        }
        guard let format = CheckpointFormat.guess(fromOutputName: output) else {
            throw ValidationError("cannot tell the output layout from '\(output)'; name it .h5, .model.h5, .weights.h5 or .keras, or pass --layout")
        }
        return format
    }
}
