import Foundation
import Testing
import ZooCompute
import ZooFormats
import ZooModels
@testable import ZooImages

/// `zoo extract`'s library side on Fixtures/images/digits (20 digit PNGs, a truncated PNG and a
/// text file), against Keras's features from Fixtures/images/make_extract_fixtures.py.
@Suite struct FeatureExtractionTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let digits = fixtures.appendingPathComponent("images/digits").path
    static let model = fixtures.appendingPathComponent("transfer/digits_backbone.keras").path

    static func expected() throws -> NumpyArchive.Contents {
        try NumpyArchive.contents(fixtures.appendingPathComponent("images/expected_features.npz").path)
    }

    static func compiled() throws -> CompiledModel {
        let loaded = try ModelLoader(mode: .strict).load(model)
        return CompiledModel(model: loaded.model, threads: 2)
    }

    static func extraction(_ resize: ImageLoading.Resize = .dataset(.bilinear, .stretch), layer: String = "avg_pool",
                           pooling: FeatureExtractor.Pooling = .none, partSize: Int = 512, maxFileBytes: Int = 1 << 30,
                           policy: FeatureExtraction.ErrorPolicy = .skip, dataset: ImageDataset? = nil) throws -> FeatureExtraction {
        let loading = ImageLoading(height: 8, width: 8, resize: resize, colorMode: .grayscale)
        let loader = ImageBatchLoader(dataset: try dataset ?? ImageDataset.classFolders(digits), loading: loading, preprocessing: .none, threads: 2)
        return FeatureExtraction(loader: loader, extractor: try FeatureExtractor(model: compiled(), layer: layer, pooling: pooling),
                                 batchSize: 6, partSize: partSize, maxFileBytes: maxFileBytes, errorPolicy: policy)
    }

    static func temporary(_ name: String) -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("extract-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent(name).path
    }

    static func maxRelative(_ got: [Float], _ want: [Float]) -> Double {
        guard got.count == want.count else { return .infinity }
        let scale = Double(want.map { abs($0) }.max() ?? 0)
        let diff = zip(got, want).map { Double(abs($0 - $1)) }.max() ?? 0
        return scale == 0 ? diff : diff / scale
    }

    @Test func datasetPathMatchesKerasAndSkipsTheBrokenFile() throws {
        let expected = try Self.expected()
        let output = Self.temporary("digits.npz")
        let summary = try Self.extraction().run(to: output)
        #expect(summary.extracted == 20)
        #expect(summary.failures.count == 1)
        #expect(summary.failures.first?.path == "2/broken.png")
        #expect(summary.failures.first?.message.contains("broken.png") == true)
        let file = try FeatureFile.read(output)
        #expect(file.paths == expected.strings("paths"))
        #expect(file.labels == expected.array("y")?.data.array(of: Int32.self))
        #expect(file.classNames == ["0", "1", "2", "3", "4"])
        #expect(file.skipped == ["2/broken.png"])
        #expect(file.features.shape == [20, 64])
        let want = try #require(expected.array("dataset_avg_pool")).data.array(of: Float.self)
        #expect(Self.maxRelative(file.features.data.array(of: Float.self), want) < 1e-5)
        #expect(!FileManager.default.fileExists(atPath: output + ".partial"), "the work folder is removed")
    }

    @Test func loadImagePathMatchesKeras() throws {
        let output = Self.temporary("digits-load-img.npz")
        _ = try Self.extraction(.loadImage(.bilinear, keepAspectRatio: false)).run(to: output)
        let want = try #require(try Self.expected().array("load_img_avg_pool")).data.array(of: Float.self)
        #expect(Self.maxRelative(try FeatureFile.read(output).features.data.array(of: Float.self), want) < 1e-5)
    }

    @Test func poolingOfASpatialLayer() throws {
        let raw = try #require(try Self.expected().array("dataset_block2_pool"))
        #expect(raw.shape == [20, 4, 4, 32])
        let values = raw.data.array(of: Float.self)
        var mean = [Float](repeating: 0, count: 20 * 32), maximum = [Float](repeating: -.infinity, count: 20 * 32)
        for image in 0..<20 {
            for position in 0..<16 {
                for channel in 0..<32 {
                    let value = values[(image * 16 + position) * 32 + channel]
                    mean[image * 32 + channel] += value / 16
                    maximum[image * 32 + channel] = max(maximum[image * 32 + channel], value)
                }
            }
        }
        for (pooling, want) in [(FeatureExtractor.Pooling.avg, mean), (.max, maximum)] {
            let output = Self.temporary("pool.npz")
            _ = try Self.extraction(layer: "block2_pool", pooling: pooling).run(to: output)
            let got = try FeatureFile.read(output)
            #expect(got.features.shape == [20, 32])
            #expect(Self.maxRelative(got.features.data.array(of: Float.self), want) < 1e-5, "\(pooling)")
        }
        let output = Self.temporary("raw.npz")
        _ = try Self.extraction(layer: "block2_pool").run(to: output)
        #expect(Self.maxRelative(try FeatureFile.read(output).features.data.array(of: Float.self), values) < 1e-5)
        #expect(throws: ImageError.self) { try FeatureExtractor(model: Self.compiled(), layer: "avg_pool", pooling: .avg) }
        #expect(throws: ImageError.self) { try FeatureExtractor(model: Self.compiled(), layer: "no_such_layer") }
    }

    @Test func shardsMergeIntoTheSingleRun() throws {
        let full = Self.temporary("full.npz")
        _ = try Self.extraction().run(to: full)
        let dataset = try ImageDataset.classFolders(Self.digits)
        var outputs: [String] = []
        for k in [2, 0, 1] {
            var job = try Self.extraction(dataset: dataset.shard(k, of: 3))
            job.shard = (k, 3, dataset.records.count)
            let output = Self.temporary("shard-\(k).npz")
            _ = try job.run(to: output)
            outputs.append(output)
        }
        let merged = Self.temporary("merged.npz")
        try FeatureFile.merge(outputs, to: merged)
        let a = try FeatureFile.read(full), b = try FeatureFile.read(merged)
        #expect(a.paths == b.paths && a.labels == b.labels && a.skipped == b.skipped)
        #expect(Self.maxRelative(b.features.data.array(of: Float.self), a.features.data.array(of: Float.self)) < 1e-6)
        #expect(throws: ImageError.self) { try FeatureFile.merge(Array(outputs.prefix(2)), to: Self.temporary("short.npz")) }
        #expect(throws: ImageError.self) { try FeatureFile.merge([full], to: Self.temporary("plain.npz")) }
    }

    @Test func resumeReusesFinishedParts() throws {
        let output = Self.temporary("resume.npz")
        // Failing on the broken file (index 8, in part 2 of parts of 4) leaves parts 0 and 1 on disk.
        #expect(throws: ImageError.self) { try Self.extraction(partSize: 4, policy: .fail).run(to: output) }
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(FileManager.default.fileExists(atPath: output + ".partial/part-000001.meta.npz"))
        // A damaged part (an index outside its range) is redone, not trusted.
        try NumpyArchive.write([("index", NumpyArray(dtype: .int64, shape: [4], data: TensorData(values: [Int64(4), 5, 6, 999]))),
                                ("skipped_index", NumpyArray(dtype: .int64, shape: [0], data: TensorData(values: [Int64]())))],
                               strings: [("skipped", NumpyStrings([]))], to: output + ".partial/part-000001.meta.npz")
        let summary = try Self.extraction(partSize: 4).run(to: output, resume: true)
        #expect(summary.resumedParts == 1, "part 0 is reused, the damaged part 1 redone")
        let fresh = Self.temporary("fresh.npz")
        _ = try Self.extraction(partSize: 4).run(to: fresh)
        let a = try FeatureFile.read(output), b = try FeatureFile.read(fresh)
        #expect(a.paths == b.paths && a.features == b.features && a.skipped == b.skipped)
        // A work folder made with other settings (another layer) is not resumed.
        #expect(throws: ImageError.self) { try Self.extraction(partSize: 4, policy: .fail).run(to: output) }
        #expect(FileManager.default.fileExists(atPath: output + ".partial/part-000001.meta.npz"))
        #expect(throws: ImageError.self) { try Self.extraction(layer: "block2_pool", partSize: 4).run(to: output, resume: true) }
        try FileManager.default.createDirectory(atPath: output + ".partial", withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: output + ".partial/manifest.json"))
        #expect(throws: ImageError.self) { try Self.extraction(partSize: 4).run(to: output, resume: true) }
    }

    @Test func largeFeaturesGoToNpyShards() throws {
        let output = Self.temporary("big.npz")
        let summary = try Self.extraction(partSize: 8, maxFileBytes: 1000).run(to: output)
        #expect(summary.shardFiles.count == 3)
        let folder = (output as NSString).deletingLastPathComponent
        #expect(summary.shardFiles.allSatisfy { FileManager.default.fileExists(atPath: folder + "/" + $0) })
        let joined = try FeatureFile.read(output)
        let single = Self.temporary("single.npz")
        _ = try Self.extraction().run(to: single)
        #expect(joined.features == (try FeatureFile.read(single)).features)
    }

    @Test func concurrentExtractionsAgree() async throws {
        let results = try await withThrowingTaskGroup(of: FeatureFile.self) { group in
            for index in 0..<3 {
                group.addTask {
                    let output = Self.temporary("concurrent-\(index).npz")
                    _ = try Self.extraction().run(to: output)
                    return try FeatureFile.read(output)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 3)
        #expect(results.allSatisfy { $0.features == results[0].features && $0.paths == results[0].paths })
    }

    @Test func loadingIntoABufferEqualsLoadingAnImage() throws {
        let photo = Self.fixtures.appendingPathComponent("images/decode/jpeg_china_422_odd.jpg").path
        let resizes: [ImageLoading.Resize] = [.dataset(.bilinear, .stretch), .dataset(.bicubic, .crop), .dataset(.area, .pad),
                                              .loadImage(.bicubic, keepAspectRatio: true), .loadImage(.nearest, keepAspectRatio: false)]
        for resize in resizes {
            let loading = ImageLoading(height: 20, width: 9, resize: resize)
            let image = try loading.load(photo)
            var buffer = [Float](repeating: .nan, count: 20 * 9 * 3)
            try buffer.withUnsafeMutableBufferPointer { try loading.load(photo, into: $0) }
            #expect(buffer == image.pixels, "\(resize)")
            var short = [Float](repeating: 0, count: 10)
            #expect(throws: ImageError.self) { try short.withUnsafeMutableBufferPointer { try loading.load(photo, into: $0) } }
        }
    }

    @Test func batchLoaderBoundsAndOrders() throws {
        let dataset = try ImageDataset.classFolders(Self.digits)
        let loader = ImageBatchLoader(dataset: dataset, loading: ImageLoading(height: 8, width: 8, colorMode: .grayscale), preprocessing: .none, threads: 3)
        let batches = Array(loader.batches(size: 5, prefetch: 2))
        #expect(batches.count == 5)
        #expect(batches.flatMap(\.indices) == Array(0..<21).filter { $0 != 8 })
        #expect(batches.flatMap(\.failures).map(\.index) == [8])
        #expect(batches[0].input?.shape == [5, 8, 8, 1])
        #expect(loader.load(100..<200).indices.isEmpty, "ranges are clamped")
    }
}
