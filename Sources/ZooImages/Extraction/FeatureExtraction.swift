import Foundation
import ZooCompute
import ZooFormats

/// A resumable feature-extraction run over an image dataset: batches are decoded ahead on the
/// loader's threads while the model computes, features are written part by part (atomically,
/// into `OUTPUT.partial/`), and at the end joined into the output `.npz` (or into `.npy`
/// shards beside it when they exceed `maxFileBytes`). An interrupted run continues with
/// `resume: true` without redoing the finished parts.
public struct FeatureExtraction: Sendable {
    /// What to do with a file that cannot be decoded.
    public enum ErrorPolicy: String, Sendable, CaseIterable {
        /// Leave it out and report it (the output's `skipped` list).
        case skip
        /// Stop with its error.
        case fail
    }

    /// Progress so far.
    public struct Progress: Sendable {
        /// Images processed (extracted or skipped), including those of resumed parts.
        public var done: Int
        /// Images in the dataset (or shard).
        public var total: Int
        /// Images skipped so far.
        public var skipped: Int
        /// Images processed in this run (not counting resumed parts).
        public var processedThisRun: Int
        /// Seconds since the run started.
        public var seconds: Double
    }

    /// The result of a run.
    public struct Summary: Sendable {
        /// Images whose features were written.
        public var extracted: Int
        /// Files that failed and were left out.
        public var failures: [ImageBatchLoader.Failure]
        /// Parts reused from an interrupted run.
        public var resumedParts: Int
        /// The `.npy` shards of `x` written beside the output (empty when `x` is in the `.npz`).
        public var shardFiles: [String]
        /// The shape of one feature row.
        public var featureShape: [Int]
        /// Seconds the run took.
        public var seconds: Double
        /// Images per second processed in this run.
        public var imagesPerSecond: Double
    }

    /// Loads the images.
    public let loader: ImageBatchLoader
    /// Computes the features.
    public let extractor: FeatureExtractor
    /// Images per model run.
    public var batchSize: Int
    /// Images per part (the unit of resumption).
    public var partSize: Int
    /// Above this many bytes of features, `x` goes to `.npy` shards beside the `.npz`.
    public var maxFileBytes: Int
    /// Skip or fail on undecodable files.
    public var errorPolicy: ErrorPolicy
    /// `(K, N, full dataset size)` when the loader's dataset is shard K of N.
    public var shard: (index: Int, count: Int, datasetSize: Int)?
    /// Identifies the settings and dataset; a resumed run must match it.
    public var fingerprint: String

    /// A run over `loader`'s dataset with `extractor`.
    public init(loader: ImageBatchLoader, extractor: FeatureExtractor, batchSize: Int = 32, partSize: Int = 512,
                maxFileBytes: Int = 2 << 30, errorPolicy: ErrorPolicy = .skip,
                shard: (index: Int, count: Int, datasetSize: Int)? = nil, fingerprint: String? = nil) {
        self.loader = loader
        self.extractor = extractor
        self.batchSize = max(1, batchSize)
        self.partSize = max(1, partSize)
        self.maxFileBytes = max(1, maxFileBytes)
        self.errorPolicy = errorPolicy
        self.shard = shard
        self.fingerprint = fingerprint ?? Self.fingerprint(dataset: loader.dataset, settings: "\(extractor.layer)|\(extractor.pooling)|\(loader.loading)|\(loader.preprocessing)")
    }

    /// A digest of the dataset's paths and labels and a settings description.
    public static func fingerprint(dataset: ImageDataset, settings: String) -> String {
        let digest = SHA256()
        for record in dataset.records {
            let line = "\(record.path)\u{0}\(record.label)\n"
            Array(line.utf8).withUnsafeBytes { digest.update($0) }
        }
        Array(("|" + dataset.classNames.joined(separator: "\u{0}") + "|" + settings).utf8).withUnsafeBytes { digest.update($0) }
        return digest.finalizeHex()
    }

    private struct Manifest: Codable, Equatable {
        var fingerprint: String
        var images: Int
        var partSize: Int
    }

    /// Runs (or resumes) the extraction into `output` (an `.npz` path). When it fails after
    /// finishing some parts, they stay in `OUTPUT.partial/` for `resume: true`; otherwise that
    /// folder is removed.
    ///
    /// Runs on the same output from several processes take turns (`OutputLock`): each waits
    /// for the one before, then does its own extraction, so the work folder is never shared.
    /// `waiting` is called if this one has to wait.
    public func run(to output: String, resume: Bool = false, waiting: (() -> Void)? = nil,
                    progress: ((Progress) -> Void)? = nil) throws -> Summary {
        try OutputLock.holding(output, waiting: waiting) {
            do {
                return try runParts(to: output, resume: resume, progress: progress)
            } catch {
                let partial = output + ".partial"
                if !Self.hasResumableParts(output) { try? FileManager.default.removeItem(atPath: partial) }
                throw error
            }
        }
    }

    /// Whether `output` has finished parts of an interrupted run to resume.
    public static func hasResumableParts(_ output: String) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: output + ".partial")) ?? []).contains { $0.hasSuffix(".meta.npz") }
    }

    private func runParts(to output: String, resume: Bool, progress: ((Progress) -> Void)?) throws -> Summary {
        let started = Date()
        let dataset = loader.dataset
        let total = dataset.records.count
        let partial = output + ".partial"
        let manager = FileManager.default
        let manifest = Manifest(fingerprint: fingerprint, images: total, partSize: partSize)
        let manifestPath = (partial as NSString).appendingPathComponent("manifest.json")
        if manager.fileExists(atPath: partial) {
            let existing = (try? Data(contentsOf: URL(fileURLWithPath: manifestPath))).flatMap { try? JSONDecoder().decode(Manifest.self, from: $0) }
            if resume {
                guard existing == manifest else {
                    throw ImageError.invalidArgument("\(partial): the interrupted extraction there used other settings, another dataset or another part size; remove the folder (or run without --resume) to start over")
                }
            } else {
                try? manager.removeItem(atPath: partial)
            }
        }
        do {
            try manager.createDirectory(atPath: partial, withIntermediateDirectories: true)
            if !manager.fileExists(atPath: manifestPath) {
                let data = try JSONEncoder().encode(manifest)
                try AtomicOutput.write(to: manifestPath) { try data.write(to: URL(fileURLWithPath: $0)) }
            }
        } catch let error as FormatError {
            throw error
        } catch {
            throw ImageError.unreadable(file: partial, reason: "cannot create the work folder (\(error.localizedDescription))")
        }

        let parts = stride(from: 0, to: total, by: partSize).map { $0..<min($0 + partSize, total) }
        var failures: [ImageBatchLoader.Failure] = []
        var done = 0, processed = 0, resumed = 0
        var kept: [[Int]] = []
        let featureShape = extractor.featureShape
        for (number, range) in parts.enumerated() {
            let xPath = Self.partFile(partial, number, "x.npy"), metaPath = Self.partFile(partial, number, "meta.npz")
            if resume, let part = Self.finishedPart(metaPath: metaPath, xPath: xPath, range: range, featureShape: extractor.featureShape) {
                kept.append(part.kept)
                for (index, message) in part.skipped {
                    failures.append(.init(index: index, path: dataset.records[index].path, message: message))
                }
                resumed += 1
                done += range.count
                progress?(Progress(done: done, total: total, skipped: failures.count, processedThisRun: processed, seconds: Date().timeIntervalSince(started)))
                continue
            }
            var rows: [Float] = []
            var indices: [Int] = []
            var partFailures: [ImageBatchLoader.Failure] = []
            for batch in loader.batches(in: range, size: batchSize, prefetch: 1) {
                if let failure = batch.failures.first, errorPolicy == .fail {
                    throw ImageError.invalidArgument(failure.message)
                }
                partFailures += batch.failures
                if let input = batch.input {
                    let features = try extractor.features(input)
                    rows += features.values
                    indices += batch.indices
                }
                done += batch.indices.count + batch.failures.count
                processed += batch.indices.count + batch.failures.count
                progress?(Progress(done: done, total: total, skipped: failures.count + partFailures.count, processedThisRun: processed,
                                   seconds: Date().timeIntervalSince(started)))
            }
            try NumpyArray(dtype: .float32, shape: [indices.count] + featureShape, data: TensorData(values: rows)).write(to: xPath)
            try NumpyArchive.write([("index", NumpyArray(dtype: .int64, shape: [indices.count], data: TensorData(values: indices.map { Int64($0) }))),
                                    ("skipped_index", NumpyArray(dtype: .int64, shape: [partFailures.count], data: TensorData(values: partFailures.map { Int64($0.index) })))],
                                   strings: [("skipped", NumpyStrings(partFailures.map(\.message)))], to: metaPath)
            failures += partFailures
            kept.append(indices)
        }

        // Join the parts.
        let allKept = kept.flatMap { $0 }
        let (arrays, strings) = FeatureFile.metadataMembers(labels: allKept.map { dataset.records[$0].label }, classNames: dataset.classNames,
                                                            paths: allKept.map { dataset.records[$0].path },
                                                            skipped: failures.map(\.path), shard: shard)
        let rowBytes = featureShape.reduce(4, *)
        var shardFiles: [String] = []
        let pieces = parts.indices.map { Self.partFile(partial, $0, "x.npy") }
        if allKept.isEmpty {
            try NumpyArchive.write([("x", NumpyArray(dtype: .float32, shape: [0] + featureShape, data: TensorData(values: [Float]())))] + arrays, strings: strings, to: output)
        } else if allKept.count * rowBytes <= maxFileBytes {
            let nonEmpty = zip(pieces, kept).filter { !$0.1.isEmpty }.map(\.0)
            try NumpyArchive.write(arrays, strings: strings, concatenations: [.init(name: "x", pieces: nonEmpty)], to: output)
        } else {
            let stem = ((output as NSString).lastPathComponent as NSString).deletingPathExtension
            let folder = (output as NSString).deletingLastPathComponent
            var number = 0
            for (piece, indices) in zip(pieces, kept) where !indices.isEmpty {
                let name = "\(stem).x-\(String(format: "%05d", number)).npy"
                let target = folder.isEmpty ? name : (folder as NSString).appendingPathComponent(name)
                try? manager.removeItem(atPath: target)
                do { try manager.moveItem(atPath: piece, toPath: target) } catch {
                    throw ImageError.unreadable(file: target, reason: "cannot move the feature shard into place (\(error.localizedDescription))")
                }
                shardFiles.append(name)
                number += 1
            }
            try NumpyArchive.write(arrays, strings: strings + [("x_shards", NumpyStrings(shardFiles))], to: output)
        }
        try? manager.removeItem(atPath: partial)
        let seconds = Date().timeIntervalSince(started)
        return Summary(extracted: allKept.count, failures: failures, resumedParts: resumed, shardFiles: shardFiles, featureShape: featureShape,
                       seconds: seconds, imagesPerSecond: seconds > 0 ? Double(processed) / seconds : 0)
    }

    /// A finished part of an interrupted run, if its files are whole and consistent: the kept
    /// and skipped dataset indices lie in the part's range, cover it exactly once, and `x` has one
    /// row of `featureShape` per kept image. Anything else is redone, never trusted.
    static func finishedPart(metaPath: String, xPath: String, range: Range<Int>, featureShape: [Int]) -> (kept: [Int], skipped: [(Int, String)])? {
        guard let meta = try? NumpyArchive.contents(metaPath),
              let index = meta.array("index"), index.dtype == .int64, index.shape.count == 1,
              let skippedIndex = meta.array("skipped_index"), skippedIndex.dtype == .int64, skippedIndex.shape.count == 1,
              let x = try? NumpyArray.read(xPath), x.dtype == .float32, x.shape == [index.shape[0]] + featureShape else { return nil }
        let kept = index.data.array(of: Int64.self).map { Int($0) }
        let skipped = skippedIndex.data.array(of: Int64.self).map { Int($0) }
        let messages = meta.strings("skipped") ?? []
        guard messages.count == skipped.count, kept == kept.sorted(), (kept + skipped).sorted() == Array(range) else { return nil }
        return (kept, Array(zip(skipped, messages)))
    }

    private static func partFile(_ folder: String, _ number: Int, _ suffix: String) -> String {
        (folder as NSString).appendingPathComponent("part-\(String(format: "%06d", number)).\(suffix)")
    }
}
