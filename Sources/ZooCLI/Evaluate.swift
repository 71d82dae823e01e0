import ArgumentParser
import Foundation
import ZooCompute
import ZooTraining

/// `zoo evaluate MODEL --data D.npz`: loss and accuracy in inference mode.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Loss and accuracy of a model on a NumPy dataset (inference mode, like Keras's evaluate).",
        discussion: "D.npz holds x (N, H, W, C) float32, preprocessed for the model, and y (N,) integer labels or (N, C) label rows."
    )

    @Argument(help: "The model (any format zoo reads).") var model: String
    @Option(help: "The data: .npz with x and y.") var data: String
    @Option(help: "Samples per run.") var batch: Int = 32
    @Option(help: "Loss: sparse_categorical_crossentropy (default), categorical_crossentropy or binary_crossentropy.") var loss: String = "sparse_categorical_crossentropy"
    @Option(name: .customLong("top-k"), help: "Also report top-k accuracy.") var topK: Int?
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup var options: ModelOptions
    @OptionGroup var build: BuildOptions

    func run() throws {
        guard batch > 0 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        let kind = try TrainingFlags.loss(loss)
        let loaded = try options.loader(mode: .strict, build: build).load(model)
        let dataset = try Dataset.load(data, binary: kind == .binaryCrossentropy)
        var bound = loaded.model
        // Evaluation runs every layer in inference mode: with nothing marked trainable the whole
        // model runs on the inference core.
        for node in bound.graph.nodes { try bound.graph.setTrainable(node.name, false) }
        let configuration = TrainingConfiguration(epochs: 1, batchSize: batch, optimizer: Optimizer(.sgd), loss: Loss(kind), topK: topK)
        let result = try Trainer(model: bound, configuration: configuration, evaluationOnly: true).evaluate(dataset)
        if json {
            print(JSONValue.object([("loss", .double(result.loss)), ("accuracy", .double(result.accuracy)),
                                    ("top_k_accuracy", result.topKAccuracy.map { .double($0) } ?? .null), ("samples", .int(result.samples))]).rendered())
        } else {
            print(String(format: "loss %.6f\naccuracy %.6f", result.loss, result.accuracy) + (result.topKAccuracy.map { String(format: "\ntop-%d accuracy %.6f", topK ?? 0, $0) } ?? ""))
            print("samples \(result.samples)")
        }
    }
}
