import ArgumentParser
import Foundation
import ZooCompute
import ZooImages
import ZooModels

/// `zoo extract MODEL DIR --layer L -o OUT.npz`: features of a folder of images.
struct Extract: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Extract a model's features at a layer from a folder of images (class folders, a flat folder or a CSV list).",
        discussion: """
        Decodes and resizes like Keras (--resize dataset: image_dataset_from_directory; load-img: keras.utils.load_img), \
        applies the model's preprocessing, and writes OUT.npz with x (features, float32), y (labels, int32), class_names and \
        paths (relative to DIR). Features larger than --max-file-bytes go to OUT.x-NNNNN.npy shards that OUT.npz lists. \
        --shard K/N does the K-th of N deterministic slices (join them with zoo merge); --resume continues an interrupted run.
        """
    )

    @Argument(help: "A model file in any format zoo reads.") var model: String
    @Argument(help: "A directory of class folders (or of images with --labels none), or a .csv list of path,label.") var directory: String
    @Option(help: "The layer whose output is the feature (default: the model's output).") var layer: String?
    @Option(help: "Pooling of a 4-D layer output: avg, max or none (default none: the layer's output as Keras gives it).") var pooling: String = "none"
    @Option(help: "Images per model run.") var batch: Int = 32
    @Option(help: "Threads for decoding and for the compute core (default: all cores).") var threads: Int?
    @Option(name: .shortAndLong, help: "Output .npz.") var output: String
    @Option(help: "K/N: extract the K-th (0-based) of N contiguous slices of the dataset.") var shard: String?
    @Flag(help: "Continue an interrupted extraction into the same output, reusing its finished parts.") var resume = false
    @Option(name: .customLong("on-error"), help: "skip (default: leave undecodable files out and list them) or fail.") var onError: String = "skip"
    @Option(name: .customLong("max-file-bytes"), help: "Above this many bytes of features, x goes to .npy shards beside OUT.npz.") var maxFileBytes: Int = 2 << 30
    @Option(name: .customLong("part-size"), help: "Images per resumable part.") var partSize: Int = 512
    @Flag(help: "One JSON line on stdout with the outcome.") var json = false
    @OptionGroup var images: ImageOptions
    @OptionGroup var data: DatasetOptions
    @OptionGroup var options: ModelOptions

    func run() throws {
        guard batch >= 1, partSize >= 1 else { throw ValidationError("--batch and --part-size must be at least 1") }
        guard let poolingMode = FeatureExtractor.Pooling(rawValue: pooling) else {
            throw ValidationError("--pooling must be avg, max or none, got '\(pooling)'")
        }
        guard let policy = FeatureExtraction.ErrorPolicy(rawValue: onError) else {
            throw ValidationError("--on-error must be skip or fail, got '\(onError)'")
        }
        guard output.lowercased().hasSuffix(".npz") else { throw ValidationError("-o must name a .npz file, got '\(output)'") }
        let threadCount = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        var dataset = try data.dataset(directory)
        var shardInfo: (index: Int, count: Int, datasetSize: Int)?
        if let shard {
            let parts = shard.split(separator: "/")
            guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 0, k < n else {
                throw ValidationError("--shard takes K/N with 0 <= K < N (e.g. 0/4), got '\(shard)'")
            }
            shardInfo = (k, n, dataset.records.count)
            dataset = try dataset.shard(k, of: n)
        }
        let loaded = try options.loader(mode: .strict).load(model)
        let compiled = CompiledModel(model: loaded.model, architecture: loaded.architecture, threads: threadCount)
        let loading = try images.loading(inputShape: compiled.inputShape)
        let preprocessing = try images.preprocessing(model: model, loaded: loaded)
        let extractor = try FeatureExtractor(model: compiled, layer: layer, pooling: poolingMode)
        let loader = ImageBatchLoader(dataset: dataset, loading: loading, preprocessing: preprocessing, threads: threadCount)
        let modelDigest = (try? FileManager.default.attributesOfItem(atPath: model)).map { "\($0[.size] ?? 0)|\(($0[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)" } ?? ""
        let settings = [model, modelDigest, extractor.layer, poolingMode.rawValue, "\(loading)", preprocessing.rawValue, shard ?? ""].joined(separator: "|")
        let job = FeatureExtraction(loader: loader, extractor: extractor, batchSize: batch, partSize: partSize, maxFileBytes: maxFileBytes,
                                    errorPolicy: policy, shard: shardInfo,
                                    fingerprint: FeatureExtraction.fingerprint(dataset: dataset, settings: settings))
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1)
        let summary: FeatureExtraction.Summary
        do {
            summary = try job.run(to: output, resume: resume, waiting: {
                FileHandle.standardError.write(Data("zoo: another zoo extract is writing \(Zoo.printable(output)); waiting for it to finish\n".utf8))
            }) { progress in
                let rate = progress.seconds > 0 ? Double(progress.processedThisRun) / progress.seconds : 0
                bar.show("extract", done: progress.done, total: progress.total, rate: rate, skipped: progress.skipped)
            }
        } catch {
            bar.finish()
            if FeatureExtraction.hasResumableParts(output) {
                FileHandle.standardError.write(Data("zoo: the finished parts are kept in \(Zoo.printable(output)).partial; run again with --resume to continue\n".utf8))
            }
            throw error
        }
        bar.finish()
        for failure in summary.failures.prefix(20) { FileHandle.standardError.write(Data("zoo: skipped \(Zoo.printable(failure.message))\n".utf8)) }
        if summary.failures.count > 20 { FileHandle.standardError.write(Data("zoo: ... and \(summary.failures.count - 20) more skipped files (listed in \(output) as 'skipped')\n".utf8)) }
        let shape = [summary.extracted] + summary.featureShape
        if json {
            let value = JSONValue.object([
                ("output", .string(output)), ("images", .int(summary.extracted)), ("skipped", .int(summary.failures.count)),
                ("features", .array(shape.map { .int($0) })), ("layer", .string(extractor.layer)), ("pooling", .string(poolingMode.rawValue)),
                ("class_names", .array(dataset.classNames.map { .string($0) })), ("preprocessing", .string(preprocessing.rawValue)),
                ("image_size", .array([.int(loading.height), .int(loading.width)])), ("x_shards", .array(summary.shardFiles.map { .string($0) })),
                ("resumed_parts", .int(summary.resumedParts)), ("seconds", .double(summary.seconds)),
                ("images_per_second", .double(summary.imagesPerSecond)), ("kernel", .string(compiled.kernelName)),
            ])
            FileHandle.standardOutput.write(Data((value.rendered() + "\n").utf8))
        } else {
            FileHandle.standardError.write(Data("zoo: wrote \(output) (x \(shape), \(dataset.classNames.count) classes, \(summary.failures.count) skipped, \(String(format: "%.1f", summary.imagesPerSecond)) img/s)\n".utf8))
        }
    }
}

/// `zoo merge OUT.npz IN...`: join the outputs of `zoo extract --shard K/N`.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the outputs of zoo extract --shard K/N (all N of them, any order) into one .npz in dataset order."
    )

    @Option(name: .shortAndLong, help: "Output .npz.") var output: String
    @Argument(help: "The shard outputs.") var inputs: [String]

    func run() throws {
        try FeatureFile.merge(inputs, to: output)
        let merged = try FeatureFile.read(output)
        FileHandle.standardError.write(Data("zoo: wrote \(output) (x \(merged.features.shape) from \(inputs.count) shards)\n".utf8))
    }
}
