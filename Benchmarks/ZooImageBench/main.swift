// Decode + resize throughput of ZooImages on a folder of images, for Benchmarks/images/run.sh.
//
//   ZooImageBench DIR [--threads N] [--size 224] [--resize dataset|load-img] [--interpolation I] [--rounds R]
//
// Prints one JSON object: images, threads, seconds (best round), images_per_second. Every image
// is read from disk, decoded, resized to SIZE x SIZE RGB float32 and preprocessed (caffe), exactly
// the per-image work of `zoo extract`, spread over N threads by ImageBatchLoader.
import Foundation
import ZooImages

var arguments = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    let value = arguments[index + 1]
    arguments.removeSubrange(index...(index + 1))
    return value
}
let threads = Int(option("--threads") ?? "") ?? ProcessInfo.processInfo.activeProcessorCount
let size = Int(option("--size") ?? "") ?? 224
let resizePath = option("--resize") ?? "dataset"
let interpolation = option("--interpolation")
let rounds = Int(option("--rounds") ?? "") ?? 3
let stage = option("--stage") ?? "all"   // decode: decoding only (1 thread); resize: decode + resize (1 thread); all: the loader
guard let directory = arguments.first else {
    FileHandle.standardError.write(Data("usage: ZooImageBench DIR [--threads N] [--size S] [--resize dataset|load-img] [--interpolation I] [--rounds R]\n".utf8))
    exit(2)
}
do {
    let dataset = try ImageDataset.flatFolder(directory)
    let loading = ImageLoading(height: size, width: size, resize: try .named(resizePath, interpolation: interpolation))
    let loader = ImageBatchLoader(dataset: dataset, loading: loading, preprocessing: .caffe, threads: threads)
    var best = Double.infinity
    var failures = 0
    for _ in 0..<max(1, rounds) {
        let start = Date()
        failures = 0
        switch stage {
        case "decode":
            for index in dataset.records.indices { _ = try ImageDecoder.decode(contentsOf: dataset.filePath(index), options: loading.decodeOptions) }
        case "resize-only":
            let image = try ImageDecoder.decode(contentsOf: dataset.filePath(0), options: loading.decodeOptions)
            for _ in dataset.records.indices { _ = try loading.resized(image) }
        case "resize":
            for index in dataset.records.indices { _ = try loading.load(dataset.filePath(index)) }
        default:
            for batch in loader.batches(size: 32, prefetch: 0) { failures += batch.failures.count }
        }
        best = min(best, Date().timeIntervalSince(start))
    }
    let count = dataset.records.count
    print("{\"images\": \(count), \"failures\": \(failures), \"threads\": \(threads), \"seconds\": \(best), \"images_per_second\": \(Double(count) / best)}")
} catch {
    FileHandle.standardError.write(Data("ZooImageBench: \(error)\n".utf8))
    exit(1)
}
