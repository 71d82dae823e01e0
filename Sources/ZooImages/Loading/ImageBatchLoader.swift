import CZooCodecs
import Foundation
import ZooCompute
import ZooFormats

/// Decodes, resizes and preprocesses a dataset's images in batches, on `threads` worker threads,
/// with the next batches prepared in the background while the caller computes on the current
/// one. Memory is bounded by `batch size x (prefetch + 1)` images, whatever the dataset size.
///
/// A file that cannot be read or decoded becomes a `Failure` of its batch (it names the file
/// and the reason); the batch holds the images that loaded, with their dataset indices.
public final class ImageBatchLoader: Sendable {
    /// A batch of model input.
    public struct Batch: Sendable {
        /// The dataset indices of the images in `input`, in order.
        public var indices: [Int]
        /// `[indices.count, height, width, channels]` float32, preprocessed; nil when every
        /// image of the batch failed.
        public var input: Tensor?
        /// The files of this batch that failed.
        public var failures: [Failure]
    }

    /// An image that could not be loaded.
    public struct Failure: Sendable, Equatable, CustomStringConvertible {
        /// Its dataset index.
        public var index: Int
        /// Its path relative to the dataset root.
        public var path: String
        /// What went wrong (the decoder's error, naming the file).
        public var message: String

        public var description: String { message }
    }

    /// The images to load.
    public let dataset: ImageDataset
    /// How each file is decoded and resized.
    public let loading: ImageLoading
    /// What is applied to the resized pixels.
    public let preprocessing: Preprocessing
    /// Decoding threads.
    public let threads: Int

    /// A loader over `dataset`.
    public init(dataset: ImageDataset, loading: ImageLoading, preprocessing: Preprocessing,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.dataset = dataset
        self.loading = loading
        self.preprocessing = preprocessing
        self.threads = max(1, threads)
        Self.keepImageBuffersInTheHeap
    }

    /// Every image costs a few buffers of 0.5-1 MB (the file, the decoded pixels, the resized
    /// floats). Above glibc's default mmap threshold each is a fresh mapping, page-faulted and
    /// zeroed by the kernel and unmapped on free, which cost a third of the decoding time; with
    /// the threshold raised they are recycled from the heap. Done once per process.
    private static let keepImageBuffersInTheHeap: Void = {
        zoo_keep_large_buffers_in_heap()
    }()

    /// Loads the images at dataset indices `range` (clamped to the dataset), in parallel.
    public func load(_ range: Range<Int>) -> Batch {
        let range = range.clamped(to: 0..<dataset.records.count)
        let count = range.count
        let perImage = loading.height * loading.width * loading.channels
        let slots = SlotResults()
        let next = AtomicCounter()
        let workers = min(threads, max(count, 1))
        let loading = self.loading, preprocessing = self.preprocessing, dataset = self.dataset
        // The batch tensor is filled in place: one allocation per batch, no copies.
        let data = TensorData(byteCount: count * perImage * MemoryLayout<Float>.stride) { raw in
            let base = UncheckedBuffer(raw.bindMemory(to: Float.self))
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while true {
                    let slot = next.take()
                    if slot >= count { return }
                    let index = range.lowerBound + slot
                    let target = UnsafeMutableBufferPointer(rebasing: base.buffer[(slot * perImage)..<((slot + 1) * perImage)])
                    do {
                        try loading.load(dataset.filePath(index), into: target)
                        try preprocessing.apply(to: target, channels: loading.channels)
                    } catch {
                        slots.fail(slot, message: "\(error)")
                        target.initialize(repeating: 0)
                    }
                }
            }
        }
        let failed = slots.failures()
        var failures: [Failure] = []
        var indices: [Int] = []
        let input: Tensor?
        if failed.isEmpty {
            indices = Array(range)
            input = count == 0 ? nil : Tensor(shape: [count, loading.height, loading.width, loading.channels], data: data)
        } else {
            for slot in 0..<count {
                let index = range.lowerBound + slot
                if let message = failed[slot] {
                    failures.append(Failure(index: index, path: dataset.records[index].path, message: message))
                } else {
                    indices.append(index)
                }
            }
            let keptSlots = (0..<count).filter { failed[$0] == nil }
            let bytesPerImage = perImage * MemoryLayout<Float>.stride
            let kept = data.withUnsafeBytes { source in
                TensorData(byteCount: keptSlots.count * bytesPerImage) { target in
                    for (position, slot) in keptSlots.enumerated() {
                        target.baseAddress!.advanced(by: position * bytesPerImage)
                            .copyMemory(from: source.baseAddress!.advanced(by: slot * bytesPerImage), byteCount: bytesPerImage)
                    }
                }
            }
            input = indices.isEmpty ? nil : Tensor(shape: [indices.count, loading.height, loading.width, loading.channels], data: kept)
        }
        return Batch(indices: indices, input: input, failures: failures)
    }

    /// The batches of `size` images covering `range`, each prepared ahead in the background
    /// (`prefetch` batches at most), in order.
    public func batches(in range: Range<Int>? = nil, size: Int, prefetch: Int = 1) -> Batches {
        let range = (range ?? 0..<dataset.records.count).clamped(to: 0..<dataset.records.count)
        let step = max(1, size)
        let ranges = stride(from: range.lowerBound, to: range.upperBound, by: step).map { $0..<min($0 + step, range.upperBound) }
        return Batches(loader: self, ranges: ranges, prefetch: max(0, prefetch))
    }

    /// An ordered sequence of batches loaded ahead on a background thread.
    public final class Batches: Sequence, IteratorProtocol, @unchecked Sendable {
        private let loader: ImageBatchLoader
        private let ranges: [Range<Int>]
        private let prefetch: Int
        private let condition = NSCondition()
        private var ready: [Int: Batch] = [:]
        private var produced = 0
        private var consumed = 0
        private var cancelled = false
        private var started = false

        init(loader: ImageBatchLoader, ranges: [Range<Int>], prefetch: Int) {
            self.loader = loader
            self.ranges = ranges
            self.prefetch = prefetch
        }

        deinit { cancel() }

        /// The dataset ranges of the batches, in order.
        public var batchRanges: [Range<Int>] { ranges }

        /// Stops background loading.
        public func cancel() {
            condition.lock()
            cancelled = true
            condition.broadcast()
            condition.unlock()
        }

        public func next() -> Batch? {
            guard consumed < ranges.count else { return nil }
            if prefetch == 0 {
                defer { consumed += 1 }
                return loader.load(ranges[consumed])
            }
            condition.lock()
            if !started {
                started = true
                let thread = Thread { [weak self] in self?.produce() }
                thread.name = "zoo.images.prefetch"
                thread.start()
            }
            while ready[consumed] == nil && !cancelled { condition.wait() }
            let batch = ready.removeValue(forKey: consumed)
            consumed += 1
            condition.broadcast()
            condition.unlock()
            return batch
        }

        private func produce() {
            while true {
                condition.lock()
                while !cancelled && produced < ranges.count && produced - consumed > prefetch { condition.wait() }
                if cancelled || produced >= ranges.count { condition.unlock(); return }
                let index = produced
                produced += 1
                condition.unlock()
                let batch = loader.load(ranges[index])
                condition.lock()
                ready[index] = batch
                condition.broadcast()
                condition.unlock()
            }
        }
    }
}

/// Per-slot failure messages, filled from many threads.
private final class SlotResults: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [Int: String] = [:]

    func fail(_ slot: Int, message: String) {
        lock.lock(); messages[slot] = message; lock.unlock()
    }

    func failures() -> [Int: String] {
        lock.lock(); defer { lock.unlock() }
        return messages
    }
}

/// A shared work counter.
private final class AtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func take() -> Int {
        lock.lock(); defer { lock.unlock() }
        value += 1
        return value - 1
    }
}

/// A buffer whose disjoint slices are written by different threads.
private struct UncheckedBuffer: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Float>
    init(_ buffer: UnsafeMutableBufferPointer<Float>) { self.buffer = buffer }
}
