import ArgumentParser
import Foundation
import ZooCompute
import ZooFormats
import ZooTraining

/// `zoo gradients MODEL --data D.npz -o G.npz`: the loss on one batch and the gradient of every
/// trainable weight (training mode), for checking against another framework or a custom loop.
struct Gradients: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The loss of a batch and the gradient of every trainable weight (training mode), written to an .npz.",
        discussion: "G.npz holds 'loss' (a 0-d float64 array), 'output' (the model's output) and one array LAYER/WEIGHT per trainable weight. Trainable flags come from the file or from --freeze-through / --train-from."
    )

    @Argument(help: "The model (any format zoo reads).") var model: String
    @Option(help: "The batch: .npz with x and y (every sample is one batch).") var data: String
    @Option(name: .customLong("freeze-through"), help: "Freeze every layer up to and including this one; the rest train.") var freezeThrough: String?
    @Option(name: .customLong("train-from"), help: "Train this layer and every later one; freeze everything before it.") var trainFrom: String?
    @Option(help: "Loss: sparse_categorical_crossentropy (default), categorical_crossentropy or binary_crossentropy.") var loss: String = "sparse_categorical_crossentropy"
    @Option(name: .customLong("label-smoothing"), help: "Label smoothing in [0, 1).") var labelSmoothing: Double = 0
    @Option(help: "Threads (default: every core).") var threads: Int?
    @Option(name: [.customShort("o"), .customLong("output")], help: "The .npz to write.") var output: String
    @OptionGroup var options: ModelOptions
    @OptionGroup var build: BuildOptions

    func run() throws {
        let kind = try TrainingFlags.loss(loss)
        let loaded = try options.loader(mode: .strict, build: build).load(model)
        var bound = loaded.model
        try TrainingFlags.applyTrainable(freezeThrough: freezeThrough, trainFrom: trainFrom, to: &bound.graph, architecture: loaded.architecture)
        let dataset = try Dataset.load(data, binary: kind == .binaryCrossentropy)
        let configuration = TrainingConfiguration(epochs: 1, batchSize: dataset.count, optimizer: Optimizer(.sgd), loss: Loss(kind, labelSmoothing: labelSmoothing))
        let trainer = try Trainer(model: bound, configuration: configuration, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let (value, gradients) = try trainer.valueAndGradient(x: dataset.x, labels: dataset.labels)
        let output = try trainer.graph.forward(frontier: try trainer.graph.frontierValues(dataset.x), parameters: trainer.parameters, training: true).output
        var arrays: [(name: String, array: NumpyArray)] = [("loss", NumpyArray(dtype: .float64, shape: [], data: TensorData(values: [value]))),
                                                            ("output", NumpyArray(float32: output.values, shape: output.shape))]
        for (variable, gradient) in zip(trainer.graph.variables, gradients) {
            arrays.append(("\(variable.layer)/\(variable.name)", NumpyArray(float32: gradient, shape: variable.shape)))
        }
        try NumpyArchive.write(arrays, to: self.output)
        FileHandle.standardError.write(Data("zoo: wrote \(self.output) (loss \(value), \(gradients.count) gradients)\n".utf8))
    }
}
