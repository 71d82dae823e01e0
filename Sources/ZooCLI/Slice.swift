import ArgumentParser
import Foundation
import ZooFormats
import ZooGraph
import ZooModels

/// `zoo slice IN OUT --at LAYER`: cut a backbone at a transfer point, freeze, add a new head.
struct Slice: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cut a model at a layer, optionally freeze it and add a new classification head.",
        discussion: "Writes the kept weights in OUT's layout (see `zoo convert`); full-model .h5 and .keras outputs carry a config Keras loads. The output records its parent (architecture, source SHA-256) and cut point."
    )

    @Argument(help: "The source weight file.") var input: String
    @Argument(help: "The file to write.") var output: String
    @Option(help: "Keep this layer and everything it depends on (e.g. conv4_block6_out, block5_pool).") var at: String
    @Option(name: .customLong("freeze-through"), help: "Mark every layer up to and including this one as not trainable.") var freezeThrough: String?
    @Option(name: .customLong("head-classes"), help: "Add global pooling + Dense(N, softmax) with freshly initialised weights.") var headClasses: Int?
    @Option(help: "Pooling for the new head: avg or max.") var pooling: String = "avg"
    @Option(help: "Seed for the new head's initial weights.") var seed: UInt64 = 0
    @Option(help: "Dropout rate of a Dropout layer before the new head's Dense layer (0: none).") var dropout: Double = 0
    @Option(name: [.customLong("layout"), .customLong("format")], help: "Output layout (default: from OUT's name; a plain .h5 is a full model when the slice adds a head or freezes layers, or the source has a config).") var layout: String?
    @OptionGroup var model: ModelOptions

    func run() throws {
        let loaded = try model.loader().load(input)
        // Never drop what was asked for: a head, frozen layers or a config of its own need a full model.
        let format = try ModelOutput.format(layout: layout, output: output,
                                            carriesStructure: headClasses != nil || freezeThrough != nil || loaded.checkpoint.modelConfig != nil)
        guard loaded.model.graph.node(at) != nil else {
            let points = loaded.architecture?.transferPoints() ?? []
            throw ValidationError("no layer '\(at)' in the model" + (points.isEmpty ? "" : "; transfer points: \(points.joined(separator: ", "))"))
        }
        var head: Transfer.Head?
        if let classes = headClasses {
            guard classes > 0, let kind = ArchitectureOptions.Pooling(rawValue: pooling), kind != .none else {
                throw ValidationError("--head-classes needs a positive count and --pooling avg or max")
            }
            head = Transfer.Head(classes: classes, pooling: kind, seed: seed, dropout: dropout)
        }
        let sliced = try Transfer.slice(loaded.model, at: at, freezeThrough: freezeThrough, head: head)
        let record = SliceRecord(parentArchitecture: loaded.architecture?.rawValue, sourceFile: URL(fileURLWithPath: input).lastPathComponent,
                                 sourceSHA256: try SHA256.hexDigest(ofFile: input), cutPoint: at, frozenThrough: freezeThrough,
                                 headClasses: headClasses, headPooling: head.map { _ in pooling })
        try ModelOutput.write(sliced, to: output, format: format, source: loaded, sourcePath: input, provenance: record.json)
        let graph = sliced.graph
        FileHandle.standardError.write(Data("zoo: wrote \(output) (\(format.rawValue), \(graph.nodes.count) layers up to \(at), \(graph.totalParameterCount) parameters, \(graph.trainableParameterCount) trainable)\n".utf8))
    }
}
