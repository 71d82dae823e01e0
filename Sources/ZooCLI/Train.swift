import ArgumentParser
import Foundation
import ZooCompute
import ZooFormats
import ZooGraph
import ZooModels
import ZooTraining

/// `zoo train MODEL --data TRAIN.npz -o OUT`: feature extraction (a new head on a frozen
/// backbone) and fine-tuning, step for step like Keras's `model.fit`.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model (a new head, or fine-tune layers after a transfer point) on a NumPy dataset, like Keras's fit.",
        discussion: """
        TRAIN.npz holds x (N, H, W, C) float32, preprocessed for the model, and y (N,) integer labels (or (N, C) label rows), \
        the layout `zoo extract` writes. Trainable flags come from the file, from --freeze-through / --train-from, or from \
        the cut and head made with --at / --head-classes. Frozen layers run on the inference core; when nothing but frozen \
        layers precedes the trainable ones and there is no augmentation, their features are computed once. OUT is any \
        model format (.keras, .model.h5, .zoo), written atomically at the end; --checkpoint DIR keeps DIR/checkpoint.npz \
        after every epoch for --resume.
        """
    )

    @Argument(help: "The model to train (any format zoo reads).") var model: String
    @Option(help: "Training data: .npz with x and y.") var data: String
    @Option(help: "Validation data: .npz with x and y.") var validation: String?
    @Option(name: .customLong("validation-split"), help: "Use the last fraction F of the training data for validation (Keras's validation_split).") var validationSplit: Double?
    @Option(help: "Cut the model at this layer (keeping it and everything it depends on) before adding a head.") var at: String?
    @Option(name: .customLong("head-classes"), help: "Add global pooling + Dense(N, softmax) after --at (or after the model's last layer).") var headClasses: Int?
    @Option(help: "Pooling of the new head: avg or max.") var pooling: String = "avg"
    @Option(help: "Dropout rate before the new head's Dense layer.") var dropout: Double = 0
    @Option(name: .customLong("freeze-through"), help: "Freeze every layer up to and including this one; the rest train.") var freezeThrough: String?
    @Option(name: .customLong("train-from"), help: "Train this layer and every later one; freeze everything before it.") var trainFrom: String?
    @Option(help: "Passes over the training data.") var epochs: Int
    @Option(help: "Samples per step.") var batch: Int
    @Option(help: "Optimiser: sgd, adam, adamw or rmsprop.") var optimizer: String
    @Option(name: .customLong("learning-rate"), help: "Learning rate (> 0); the start of --schedule.") var learningRate: Double
    @Option(help: "Momentum (SGD; RMSprop).") var momentum: Double?
    @Flag(help: "Nesterov momentum (SGD).") var nesterov = false
    @Option(name: .customLong("weight-decay"), help: "Decoupled weight decay (AdamW's default 0.004; any optimiser takes it, as in Keras).") var weightDecay: Double?
    @Option(help: "L2 kernel regularisation for every trainable kernel (replaces the layers' own kernel_regularizer).") var l2: Double?
    @Option(help: "Learning-rate schedule: constant, step:FACTOR:EVERY_STEPS, or cosine:DECAY_STEPS[:WARMUP_STEPS[:ALPHA]].") var schedule: String = "constant"
    @Option(help: "Clip each gradient to this norm (Keras clipnorm).") var clipnorm: Double?
    @Option(name: .customLong("global-clipnorm"), help: "Clip all gradients together to this norm (Keras global_clipnorm).") var globalClipnorm: Double?
    @Option(help: "Loss: sparse_categorical_crossentropy (default), categorical_crossentropy or binary_crossentropy.") var loss: String = "sparse_categorical_crossentropy"
    @Option(name: .customLong("label-smoothing"), help: "Label smoothing in [0, 1).") var labelSmoothing: Double = 0
    @Option(name: .customLong("class-weight"), help: "Class weights: 'balanced' or CLASS:WEIGHT,... (Keras class_weight).") var classWeight: String?
    @Option(help: "Augmentation of training batches, e.g. flip,translate=0.1,rotate=0.05,zoom=0.1,contrast=0.2.") var augment: String?
    @Flag(name: .customLong("no-shuffle"), help: "Visit the samples in order every epoch (Keras's shuffle=False).") var noShuffle = false
    @Option(help: "Seed of shuffling, augmentation, Dropout and the new head's initial weights.") var seed: UInt64 = 0
    @Option(name: .customLong("early-stopping"), help: "Stop after PATIENCE epochs without improvement of --monitor, restoring the best weights.") var earlyStopping: Int?
    @Option(help: "What early stopping watches: val_loss (default with validation data), val_accuracy, loss, accuracy.") var monitor: String?
    @Option(name: .customLong("top-k"), help: "Also report top-k accuracy.") var topK: Int?
    @Option(name: .customLong("lr-multiplier"), help: "LAYER=FACTOR: scale the learning rate of one layer (repeatable; discriminative fine-tuning).") var lrMultiplier: [String] = []
    @Option(help: "Directory for the per-epoch checkpoint (DIR/checkpoint.npz).") var checkpoint: String?
    @Flag(help: "Continue from the checkpoint in --checkpoint DIR.") var resume = false
    @Flag(help: "One JSON line per epoch on stdout, and a last one with the outcome.") var json = false
    @Option(help: "Threads (default: every core).") var threads: Int?
    @Flag(name: .customLong("no-feature-cache"), help: "Run the frozen layers on every step instead of computing their features once (what Keras does; for comparisons).") var noFeatureCache = false
    @Option(name: [.customShort("o"), .customLong("output")], help: "The trained model to write (.keras, .model.h5, .zoo).") var output: String
    @Option(name: [.customLong("layout"), .customLong("format")], help: "Output layout (default: from OUT's name; a plain .h5 is a full model).") var layout: String?
    @OptionGroup var options: ModelOptions

    func validate() throws {
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be > 0, got \(learningRate)") }
        guard epochs > 0 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard batch > 0 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if freezeThrough != nil && trainFrom != nil { throw ValidationError("pass --freeze-through or --train-from, not both") }
        if validation != nil && validationSplit != nil { throw ValidationError("pass --validation or --validation-split, not both") }
        if resume && checkpoint == nil { throw ValidationError("--resume needs --checkpoint DIR") }
        if headClasses == nil && at != nil { throw ValidationError("--at cuts the model for a new head; add --head-classes N") }
        if dropout != 0 && headClasses == nil { throw ValidationError("--dropout belongs to the new head; add --head-classes N") }
    }

    func run() throws {
        let format = try ModelOutput.format(layout: layout, output: output, carriesStructure: true)
        let loaded = try options.loader(mode: .strict).load(model)
        var bound = loaded.model
        // The cut and the new head.
        if let classes = headClasses {
            guard classes > 0, let kind = ArchitectureOptions.Pooling(rawValue: pooling), kind != .none else {
                throw ValidationError("--head-classes needs a positive count and --pooling avg or max")
            }
            let cut = at ?? bound.graph.effectiveOutputs.first ?? ""
            try Self.requireLayer(cut, in: bound.graph, option: "--at", architecture: loaded.architecture)
            bound = try Transfer.slice(bound, at: cut, head: Transfer.Head(classes: classes, pooling: kind, seed: seed, dropout: dropout))
        }
        try TrainingFlags.applyTrainable(freezeThrough: freezeThrough, trainFrom: trainFrom, to: &bound.graph, architecture: loaded.architecture)
        var train = try Dataset.load(data, binary: loss == "binary_crossentropy")
        var validationSet: Dataset?
        if let validation { validationSet = try Dataset.load(validation, binary: loss == "binary_crossentropy") }
        if let fraction = validationSplit { (train, validationSet) = try train.split(validationFraction: fraction) }
        let configuration = try makeConfiguration(train: train, hasValidation: validationSet != nil)
        let trainer = try Trainer(model: bound, configuration: configuration, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        try trainer.validate(train)
        if let validationSet { try trainer.validate(validationSet) }
        let frozen = trainer.graph.frozenLayers.count
        let trainable = trainer.graph.variables.reduce(0) { $0 + $1.count }
        FileHandle.standardError.write(Data("zoo: training \(trainer.graph.variables.count) weights (\(trainable) parameters) of \(bound.graph.nodes.count) layers; \(frozen) frozen layers run inference-only\(frozen > 0 ? " up to \(trainer.graph.frontier.joined(separator: ", "))" : ""); \(train.count) training samples\(validationSet.map { ", \($0.count) validation" } ?? "")\n".utf8))
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1)
        let history = try trainer.fit(train, validation: validationSet, checkpoint: checkpoint.map { Trainer.CheckpointOptions(directory: $0, resume: resume) }) { event in
            bar.show(event)
            if json, case .epoch(let log) = event { Self.printJSON(Self.epochJSON(log)) }
        }
        bar.finish()
        let trained = try trainer.trainedModel()
        let record = SliceRecord(parentArchitecture: loaded.architecture?.rawValue, sourceFile: URL(fileURLWithPath: model).lastPathComponent,
                                 sourceSHA256: try SHA256.hexDigest(ofFile: model), cutPoint: at ?? trained.graph.effectiveOutputs.first ?? "",
                                 frozenThrough: freezeThrough, headClasses: headClasses, headPooling: headClasses.map { _ in pooling })
        try ModelOutput.write(trained, to: output, format: format, source: loaded, sourcePath: model, provenance: record.json)
        if let last = history.epochs.last {
            let val = last.validationAccuracy.map { String(format: ", val_loss %.4f, val_accuracy %.4f", last.validationLoss ?? 0, $0) } ?? ""
            let stop = history.stoppedEpoch.map { ", stopped early at epoch \($0)" + (history.restoredEpoch.map { ", restored epoch \($0)" } ?? "") } ?? ""
            FileHandle.standardError.write(Data("zoo: wrote \(output) (\(format.rawValue)) after \(history.epochs.count) epochs: loss \(String(format: "%.4f", last.loss)), accuracy \(String(format: "%.4f", last.accuracy))\(val)\(stop)\n".utf8))
        }
        if json {
            Self.printJSON(.object([("event", .string("done")), ("output", .string(output)), ("epochs", .int(history.epochs.count)),
                                    ("stopped_epoch", history.stoppedEpoch.map { .int($0) } ?? .null),
                                    ("restored_epoch", history.restoredEpoch.map { .int($0) } ?? .null)]))
        }
    }

    private func makeConfiguration(train: Dataset, hasValidation: Bool) throws -> TrainingConfiguration {
        guard let kind = Optimizer.Kind(rawValue: optimizer.lowercased()) else {
            throw ValidationError("unknown --optimizer '\(optimizer)'; expected sgd, adam, adamw or rmsprop")
        }
        let rate = try Self.schedule(schedule, learningRate: learningRate)
        var clipping = GradientClipping()
        clipping.clipNorm = clipnorm
        clipping.globalClipNorm = globalClipnorm
        let optimizerValue = Optimizer(kind, learningRate: rate, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay, clipping: clipping)
        let lossKind = try TrainingFlags.loss(loss)
        var stopping: TrainingConfiguration.EarlyStopping?
        if let patience = earlyStopping {
            stopping = TrainingConfiguration.EarlyStopping(monitor: monitor ?? (hasValidation ? "val_loss" : "loss"), patience: patience)
        }
        var multipliers: [String: Double] = [:]
        for entry in lrMultiplier {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let factor = Double(parts[1]) else { throw ValidationError("--lr-multiplier takes LAYER=FACTOR, got '\(entry)'") }
            multipliers[parts[0]] = factor
        }
        return TrainingConfiguration(epochs: epochs, batchSize: batch, optimizer: optimizerValue, loss: Loss(lossKind, labelSmoothing: labelSmoothing),
                                     shuffle: !noShuffle, seed: seed, earlyStopping: stopping, classWeights: try classWeights(train),
                                     augmentation: try augment.map { try Augmentation.parse($0) } ?? .none, l2: l2, topK: topK,
                                     learningRateMultipliers: multipliers, cacheFeatures: !noFeatureCache)
    }

    /// `balanced` is scikit-learn's n_samples / (n_classes * count(c)).
    private func classWeights(_ train: Dataset) throws -> [Int: Double]? {
        guard let classWeight else { return nil }
        if classWeight == "balanced" {
            let classes = train.classIndices
            let counts = Dictionary(grouping: classes, by: { $0 }).mapValues(\.count)
            return counts.mapValues { Double(classes.count) / (Double(counts.count) * Double($0)) }
        }
        var weights: [Int: Double] = [:]
        for entry in classWeight.split(separator: ",") {
            let parts = entry.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let c = Int(parts[0]), let w = Double(parts[1]) else {
                throw ValidationError("--class-weight takes 'balanced' or CLASS:WEIGHT,..., got '\(entry)'")
            }
            weights[c] = w
        }
        return weights
    }

    static func schedule(_ text: String, learningRate: Double) throws -> LearningRateSchedule {
        let parts = text.split(separator: ":").map(String.init)
        func number(_ i: Int) throws -> Double {
            guard i < parts.count, let value = Double(parts[i]) else { throw ValidationError("--schedule '\(text)': expected a number in field \(i + 1)") }
            return value
        }
        switch parts.first ?? "constant" {
        case "constant": return .constant(learningRate)
        case "step":
            guard parts.count == 3 else { throw ValidationError("--schedule step takes step:FACTOR:EVERY_STEPS, got '\(text)'") }
            return .step(initial: learningRate, factor: try number(1), every: Int(try number(2)))
        case "cosine":
            guard parts.count >= 2, parts.count <= 4 else { throw ValidationError("--schedule cosine takes cosine:DECAY_STEPS[:WARMUP_STEPS[:ALPHA]], got '\(text)'") }
            let warmup = parts.count > 2 ? Int(try number(2)) : 0
            let alpha = parts.count > 3 ? try number(3) : 0
            // With warm-up the rate climbs from 0 to --learning-rate, then decays (Keras's CosineDecay).
            return warmup > 0 ? .cosine(initial: 0, decaySteps: Int(try number(1)), alpha: alpha, warmupTarget: learningRate, warmupSteps: warmup)
                              : .cosine(initial: learningRate, decaySteps: Int(try number(1)), alpha: alpha, warmupTarget: nil, warmupSteps: 0)
        default:
            throw ValidationError("unknown --schedule '\(text)'; expected constant, step:FACTOR:EVERY_STEPS or cosine:DECAY_STEPS[:WARMUP_STEPS[:ALPHA]]")
        }
    }

    /// A layer the user named must exist; the error suggests the nearest names and the transfer points.
    static func requireLayer(_ name: String, in graph: Graph, option: String, architecture: Architecture?) throws {
        guard graph.node(name) == nil else { return }
        let names = graph.nodes.map(\.name)
        let near = names.sorted { editDistance($0, name) < editDistance($1, name) }.prefix(3)
        let points = architecture?.transferPoints() ?? []
        throw ValidationError("\(option): no layer '\(name)' in the model; nearest: \(near.joined(separator: ", "))" + (points.isEmpty ? "" : "; transfer points: \(points.joined(separator: ", "))"))
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }

    static func epochJSON(_ log: EpochLog) -> JSONValue {
        func number(_ value: Double?) -> JSONValue { value.map { .double($0) } ?? .null }
        return .object([("event", .string("epoch")), ("epoch", .int(log.epoch)), ("loss", .double(log.loss)), ("accuracy", .double(log.accuracy)),
                        ("top_k_accuracy", number(log.topKAccuracy)), ("val_loss", number(log.validationLoss)),
                        ("val_accuracy", number(log.validationAccuracy)), ("learning_rate", .double(log.learningRate)),
                        ("seconds", .double(log.seconds)), ("images_per_second", .double(log.imagesPerSecond))])
    }

    static func printJSON(_ value: JSONValue) {
        FileHandle.standardOutput.write(Data((value.rendered() + "\n").utf8))
    }
}
