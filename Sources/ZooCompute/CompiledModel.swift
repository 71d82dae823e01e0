import Dispatch
import Foundation
import ZooFormats
import ZooGraph
import ZooModels
import ZooNative

/// A backbone ready to run on the CPU. Plans are made once per batch size and set of requested
/// outputs and cached; `run` may be called from many threads at once (each run has its own
/// activation arena; weights are shared read-only).
///
/// How a run uses the threads: a batch of at least `threads` images is shared out image by
/// image, each thread running whole images through a single-threaded plan (no hand-offs between
/// the threads inside a layer, and each thread's activations stay in its own caches); images
/// left over (batch 1, or the remainder of 9 images on 2 threads) run with every layer split
/// across all threads. A thread runs all its images as one batch: weights then stream from
/// memory once per thread rather than once per image (VGG16's Dense layers hold 470 MiB), and
/// the last ResNet stage has enough tiles for Winograd (measured: 4% faster at batch 8 than one
/// image at a time, which was as fast as this without Winograd there).
public final class CompiledModel: @unchecked Sendable {
    public let model: BoundModel
    public let architecture: Architecture?
    /// Threads a run uses.
    public let threads: Int
    private var plans: [String: ExecutionPlan] = [:]
    private let lock = NSLock()
    private let prepared = PreparedWeights()

    public init(model: BoundModel, architecture: Architecture? = nil, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.model = model
        self.architecture = architecture
        self.threads = max(1, threads)
    }

    /// The matrix-multiply implementation in use.
    public var kernelName: String { MatrixMultiply.implementation }

    /// The matrix-multiply implementation this CPU runs ("avx512", "avx2" or "portable").
    public static var activeKernel: String { MatrixMultiply.implementation }

    /// The input shape without the batch dimension (height, width, channels).
    public var inputShape: [Int] { model.graph.inputNodes.first?.outputShape ?? [] }

    /// What a plan costs.
    public struct PlanInfo: Sendable {
        /// Floating-point operations of one run of the whole batch (convolutions and Dense).
        public var flops: Double
        /// Activation and im2col memory of one run (every thread's arena together).
        public var peakActivationBytes: Int
        /// Steps of the plan each image goes through.
        public var steps: Int
        /// Images each thread runs on its own (0: every layer is split across the threads).
        public var imagesPerThread: Int
    }

    public func planInfo(batch: Int, outputs: [String] = []) throws -> PlanInfo {
        let (perThread, rest) = share(batch)
        var flops = 0.0, bytes = 0, steps = 0
        if perThread > 0 {
            let plan = try self.plan(batch: perThread, outputs: outputs, threads: 1)
            flops += plan.flops * Double(threads)
            bytes += plan.peakActivationBytes * threads
            steps = plan.steps.count
        }
        if rest > 0 {
            let plan = try self.plan(batch: rest, outputs: outputs, threads: threads)
            flops += plan.flops
            bytes += plan.peakActivationBytes
            steps = plan.steps.count
        }
        return PlanInfo(flops: flops, peakActivationBytes: bytes, steps: steps, imagesPerThread: perThread)
    }

    /// Images each thread runs alone (as one batch, through a single-threaded plan), and the
    /// images left for the layer-split plan.
    private func share(_ batch: Int) -> (perThread: Int, rest: Int) {
        guard threads > 1 else { return (0, batch) }
        let perThread = batch / threads
        return (perThread, batch - perThread * threads)
    }

    func plan(batch: Int, outputs: [String], threads: Int) throws -> ExecutionPlan {
        let key = "\(batch)|\(threads)|" + outputs.joined(separator: ",")
        lock.lock()
        if let plan = plans[key] { lock.unlock(); return plan }
        lock.unlock()
        let plan = try ExecutionPlan(model: model, batch: batch, outputs: outputs, threads: threads, prepared: prepared)
        lock.lock()
        defer { lock.unlock() }
        if let existing = plans[key] { return existing }
        plans[key] = plan
        return plan
    }

    /// Runs the model on `input` (NHWC float32, batch first, already preprocessed) and returns
    /// the requested layers' outputs by name (the model's outputs when `outputs` is empty).
    public func run(_ input: Tensor, outputs: [String] = []) throws -> [String: Tensor] {
        try run(input, outputs: outputs, stepTimes: nil)
    }

    /// One executed step's cost, from `profile`.
    public struct StepProfile: Sendable {
        /// The layer the step computes (a fused step is named after its first layer).
        public var name: String
        /// What runs: "conv 3x3/1 64->64 rows 3136 +res +relu", "maxpool", "add", ...
        public var kind: String
        /// Median wall time of the step over the profiled runs, in milliseconds (per image on
        /// one thread when the batch runs image-parallel, while the other threads run theirs).
        public var milliseconds: Double
        /// Floating-point operations of the step (convolutions and Dense only; 0 otherwise).
        public var flops: Double
    }

    /// Runs the model `iterations` times (after one warm-up run) timing every step, and returns
    /// each step's median time: the profile that says where a run's time goes. With a batch run
    /// image-parallel, the steps are those of one thread's images (timed on the first thread).
    public func profile(_ input: Tensor, outputs: [String] = [], iterations: Int) throws -> [StepProfile] {
        let batch = input.shape.first ?? 1
        let (perThread, _) = share(batch)
        let plan = perThread > 0 ? try self.plan(batch: perThread, outputs: outputs, threads: 1) : try self.plan(batch: batch, outputs: outputs, threads: threads)
        let samples = StepSamples(steps: plan.steps.count)
        _ = try run(input, outputs: outputs, stepTimes: nil)
        for _ in 0..<max(1, iterations) {
            _ = try run(input, outputs: outputs, stepTimes: { samples.add($1, step: $0) })
        }
        return plan.steps.enumerated().map { index, step in
            let sorted = samples.sorted(step: index)
            let median = sorted.isEmpty ? 0 : Double(sorted[sorted.count / 2]) / 1e6
            return StepProfile(name: step.name, kind: step.kind.summary, milliseconds: median, flops: step.kind.flops)
        }
    }

    private func run(_ input: Tensor, outputs: [String], stepTimes: (@Sendable (Int, UInt64) -> Void)?) throws -> [String: Tensor] {
        guard input.shape.count == inputShape.count + 1, Array(input.shape.dropFirst()) == inputShape, let batch = input.shape.first, batch > 0 else {
            throw ComputeError.badInput(reason: "expected shape [batch] + \(inputShape), got \(input.shape)")
        }
        guard input.data.count == input.elementCount * 4 else {
            throw ComputeError.badInput(reason: "the data holds \(input.data.count) bytes, not \(input.elementCount) float32 values")
        }
        let (perThread, rest) = share(batch)
        let single = perThread > 0 ? try plan(batch: perThread, outputs: outputs, threads: 1) : nil
        let split = rest > 0 ? try plan(batch: rest, outputs: outputs, threads: threads) : nil
        guard let layout = single ?? split else { return [:] }
        let imageFloats = inputShape.reduce(1, *)
        // One buffer per output for the whole batch; every run writes its images' slice.
        let buffers = layout.outputs.mapValues { value in OutputBuffer(count: layout.shapes[value].dropFirst().reduce(1, *) * batch) }
        try input.data.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress?.assumingMemoryBound(to: Float.self) else { return }
            if let single {
                nonisolated(unsafe) let base = base
                let failure = FirstError()
                Parallel.forEach(threads) { worker in
                    let first = worker * perThread
                    do {
                        try execute(single, input: base + first * imageFloats, outputs: buffers, firstImage: first,
                                    stepTimes: worker == 0 ? stepTimes : nil)
                    } catch {
                        failure.record(error)
                    }
                }
                try failure.rethrow()
            }
            if let split {
                let first = perThread * threads
                try execute(split, input: base + first * imageFloats, outputs: buffers, firstImage: first, stepTimes: single == nil ? stepTimes : nil)
            }
        }
        var result: [String: Tensor] = [:]
        for (name, buffer) in buffers {
            guard let value = layout.outputs[name] else { continue }
            result[name] = Tensor(shape: [batch] + layout.shapes[value].dropFirst(),
                                  data: TensorData(viewing: UnsafeRawPointer(buffer.floats), count: buffer.count * 4, owner: buffer))
        }
        return result
    }

    /// Runs `plan` on its batch of images starting at `input`, copying each requested output
    /// into `outputs` at image `firstImage`.
    private func execute(_ plan: ExecutionPlan, input: UnsafePointer<Float>, outputs: [String: OutputBuffer], firstImage: Int,
                         stepTimes: (@Sendable (Int, UInt64) -> Void)?) throws {
        // Arenas are reused across runs (no page faults after the first), one per concurrent run.
        let arena = takeArena(for: plan)
        defer { returnArena(arena, for: plan) }
        let pointer = { (value: Int) -> UnsafeMutablePointer<Float> in arena.base + arena.offsets[plan.slotOfValue[value]] }
        for (index, step) in plan.steps.enumerated() {
            let start = stepTimes == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            try execute(step, plan: plan, pointer: pointer, input: input, arena: arena)
            if let stepTimes { stepTimes(index, DispatchTime.now().uptimeNanoseconds - start) }
        }
        for (name, value) in plan.outputs {
            guard let buffer = outputs[name] else { continue }
            let count = plan.shapes[value].reduce(1, *)
            (buffer.floats + firstImage * (count / plan.batch)).update(from: pointer(value), count: count)
        }
    }

    /// Activation slots plus the im2col scratch area, allocated once and reused.
    final class Arena: @unchecked Sendable {
        let base: UnsafeMutablePointer<Float>
        let offsets: [Int]
        let scratch: UnsafeMutablePointer<Float>

        init(plan: ExecutionPlan) {
            var offsets: [Int] = []
            var running = 0
            for size in plan.slotSizes {
                offsets.append(running)
                running += (size + 15) / 16 * 16  // keep every slot 64-byte aligned
            }
            let total = running + (plan.maxScratchFloats + 15) / 16 * 16
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1) * 4, alignment: 64)
            base = raw.bindMemory(to: Float.self, capacity: max(total, 1))
            self.offsets = offsets
            scratch = base + running
        }

        deinit { base.deallocate() }
    }

    /// Each plan keeps the arenas made for it (an arena's offsets belong to one plan).
    private func takeArena(for plan: ExecutionPlan) -> Arena {
        plan.arenaLock.lock()
        defer { plan.arenaLock.unlock() }
        if let arena = plan.idleArenas.popLast() as? Arena { return arena }
        return Arena(plan: plan)
    }

    private func returnArena(_ arena: Arena, for plan: ExecutionPlan) {
        plan.arenaLock.lock()
        plan.idleArenas.append(arena)
        plan.arenaLock.unlock()
    }

    private func execute(_ step: Step, plan: ExecutionPlan, pointer: (Int) -> UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, arena: Arena) throws {
        let out = pointer(step.output)
        let outShape = plan.shapes[step.output]
        let outCount = outShape.reduce(1, *)
        let inPtr = step.inputs.first.map { UnsafePointer(pointer($0)) }
        switch step.kind {
        case .input:
            out.update(from: input, count: outCount)
        case .convolution(let kernel, let residual):
            guard let inPtr else { return }
            kernel.run(input: inPtr, residual: residual.map { UnsafePointer(pointer($0)) }, output: out, scratch: arena.scratch)
        case .winograd(let convolution, let residual):
            guard let inPtr else { return }
            convolution.run(input: inPtr, residual: residual.map { UnsafePointer(pointer($0)) }, output: out, scratch: arena.scratch)
        case .op(let op):
            op.op.infer(InferenceCall(inputs: step.inputs.map { UnsafePointer(pointer($0)) }, inputShapes: step.inputs.map { plan.shapes[$0] },
                                      output: out, outputShape: outShape, threads: plan.threads), weights: op.weights)
        }
    }
}

extension CompiledModel {
    /// Whether the compute core multiplies by this layer's kernel as a plain matrix, so that a
    /// `.zoo` file may store it in the GEMM's panel layout (`packed`) for the core to use in
    /// place: Dense layers, and convolutions that never run as Winograd (a Winograd layer
    /// transforms its kernel from the plain layout instead; ResNet's 7x7 stage does so from
    /// batches of 4 up, so it stays plain too).
    public static func usesKernelPanels(_ node: Node, in graph: Graph) -> Bool {
        switch node.op {
        case .dense: return true
        case .conv2D(let attributes) where attributes.groups > 1: return false
        case .conv2D(let attributes):
            guard let input = node.inputs.first.flatMap({ graph.node($0)?.outputShape }), input.count == 3, node.outputShape.count == 3 else { return true }
            let geometry = ConvGeometry(batch: 64, input: input, output: node.outputShape, attributes: attributes, outChannels: attributes.filters)
            return WinogradConvolution.tile(for: geometry) == nil
        default: return false
        }
    }
}

/// Step times collected by `profile`.
private final class StepSamples: @unchecked Sendable {
    private var samples: [[UInt64]]
    private let lock = NSLock()

    init(steps: Int) { samples = Array(repeating: [], count: steps) }

    func add(_ nanoseconds: UInt64, step: Int) {
        lock.lock()
        samples[step].append(nanoseconds)
        lock.unlock()
    }

    func sorted(step: Int) -> [UInt64] {
        lock.lock()
        defer { lock.unlock() }
        return samples[step].sorted()
    }
}

/// The first error thrown by any of several threads.
private final class FirstError: @unchecked Sendable {
    private var error: Error?
    private let lock = NSLock()

    func record(_ error: Error) {
        lock.lock()
        if self.error == nil { self.error = error }
        lock.unlock()
    }

    func rethrow() throws {
        lock.lock()
        let error = self.error
        lock.unlock()
        if let error { throw error }
    }
}

/// Loading models for the compute core.
public enum Zoo {
    /// Loads any file `zoo` reads (.zoo mapped zero-copy, Keras layouts, safetensors), binds it
    /// strictly onto its graph and returns it ready to run.
    /// A `.zoo` file's tensors are checksummed first (`verification: .none` skips that).
    public static func load(_ path: String, architecture: Architecture? = nil, scheme: NamingScheme? = nil,
                            threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                            verification: ZooFileReader.Verification = .eager) throws -> CompiledModel {
        let loaded = try ModelLoader(architecture: architecture, scheme: scheme, mode: .strict, verification: verification).load(path)
        return CompiledModel(model: loaded.model, architecture: loaded.architecture, threads: threads)
    }
}
