import Dispatch
import Foundation
import ZooFormats
import ZooGraph
import ZooModels

/// A backbone ready to run on the CPU. Plans are made once per batch size and set of requested
/// outputs and cached; `run` may be called from many threads at once (each run has its own
/// activation arena; weights are shared read-only).
public final class CompiledModel: @unchecked Sendable {
    public let model: BoundModel
    public let architecture: Architecture?
    /// Threads each convolution splits its rows across.
    public let threads: Int
    private var plans: [String: ExecutionPlan] = [:]
    private let lock = NSLock()

    public init(model: BoundModel, architecture: Architecture? = nil, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.model = model
        self.architecture = architecture
        self.threads = max(1, threads)
    }

    /// The matrix-multiply implementation in use.
    public var kernelName: String { MatrixMultiply.implementation }

    /// The input shape without the batch dimension (height, width, channels).
    public var inputShape: [Int] { model.graph.inputNodes.first?.outputShape ?? [] }

    /// What a plan costs.
    public struct PlanInfo: Sendable {
        public var flops: Double
        public var peakActivationBytes: Int
        public var steps: Int
    }

    public func planInfo(batch: Int, outputs: [String] = []) throws -> PlanInfo {
        let plan = try self.plan(batch: batch, outputs: outputs)
        return PlanInfo(flops: plan.flops, peakActivationBytes: plan.peakActivationBytes, steps: plan.steps.count)
    }

    func plan(batch: Int, outputs: [String]) throws -> ExecutionPlan {
        let key = "\(batch)|" + outputs.joined(separator: ",")
        lock.lock()
        if let plan = plans[key] { lock.unlock(); return plan }
        lock.unlock()
        let plan = try ExecutionPlan(model: model, batch: batch, outputs: outputs, threads: threads)
        lock.lock()
        plans[key] = plan
        lock.unlock()
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
        /// What runs: "conv 3x3/1 64->64 (+res) (+relu)", "maxpool", "add", ...
        public var kind: String
        /// Median wall time of the step over the profiled runs, in milliseconds.
        public var milliseconds: Double
        /// Floating-point operations of the step (convolutions and Dense only; 0 otherwise).
        public var flops: Double
    }

    /// Runs the model `iterations` times (after one warm-up run) timing every step, and returns
    /// each step's median time: the profile that says where a run's time goes.
    public func profile(_ input: Tensor, outputs: [String] = [], iterations: Int) throws -> [StepProfile] {
        let plan = try self.plan(batch: input.shape.first ?? 1, outputs: outputs)
        var samples = [[UInt64]](repeating: [], count: plan.steps.count)
        _ = try run(input, outputs: outputs, stepTimes: nil)
        for _ in 0..<max(1, iterations) {
            _ = try run(input, outputs: outputs, stepTimes: { samples[$0].append($1) })
        }
        return plan.steps.enumerated().map { index, step in
            let sorted = samples[index].sorted()
            let median = sorted.isEmpty ? 0 : Double(sorted[sorted.count / 2]) / 1e6
            return StepProfile(name: step.name, kind: step.kind.summary, milliseconds: median, flops: step.kind.flops)
        }
    }

    private func run(_ input: Tensor, outputs: [String], stepTimes: ((Int, UInt64) -> Void)?) throws -> [String: Tensor] {
        guard input.shape.count == inputShape.count + 1, Array(input.shape.dropFirst()) == inputShape, let batch = input.shape.first, batch > 0 else {
            throw ComputeError.badInput(reason: "expected shape [batch] + \(inputShape), got \(input.shape)")
        }
        guard input.data.count == input.elementCount * 4 else {
            throw ComputeError.badInput(reason: "the data holds \(input.data.count) bytes, not \(input.elementCount) float32 values")
        }
        let plan = try self.plan(batch: batch, outputs: outputs)
        // Arenas are reused across runs (no page faults after the first), one per concurrent run.
        let arena = takeArena(for: plan)
        defer { returnArena(arena, for: plan) }
        let pointer = { (value: Int) -> UnsafeMutablePointer<Float> in arena.base + arena.offsets[plan.slotOfValue[value]] }
        for (index, step) in plan.steps.enumerated() {
            let start = stepTimes == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            try execute(step, plan: plan, pointer: pointer, input: input, arena: arena)
            if let stepTimes { stepTimes(index, DispatchTime.now().uptimeNanoseconds - start) }
        }
        var result: [String: Tensor] = [:]
        for (name, value) in plan.outputs {
            let shape = plan.shapes[value]
            let count = shape.reduce(1, *)
            let source = pointer(value)
            result[name] = Tensor(shape: shape, data: TensorData(byteCount: count * 4) { out in
                out.baseAddress?.copyMemory(from: source, byteCount: count * 4)
            })
        }
        return result
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

    private func execute(_ step: Step, plan: ExecutionPlan, pointer: (Int) -> UnsafeMutablePointer<Float>, input: Tensor, arena: Arena) throws {
        let out = pointer(step.output)
        let outShape = plan.shapes[step.output]
        let outCount = outShape.reduce(1, *)
        let inPtr = step.inputs.first.map { UnsafePointer(pointer($0)) }
        let inShape = step.inputs.first.map { plan.shapes[$0] } ?? []
        switch step.kind {
        case .input:
            input.data.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress { UnsafeMutableRawPointer(out).copyMemory(from: base, byteCount: outCount * 4) }
            }
        case .convolution(let kernel, let residual):
            guard let inPtr else { return }
            kernel.run(input: inPtr, residual: residual.map { UnsafePointer(pointer($0)) }, output: out, scratch: arena.scratch)
        case .depthwise(let g, let multiplier, let kernel, let bias, let activation):
            guard let inPtr else { return }
            LayerKernels.depthwise(g, multiplier: multiplier, kernel: kernel, bias: bias, activation: activation, input: inPtr, output: out)
        case .scaleShift(let scale, let shift):
            guard let inPtr else { return }
            let channels = scale.count
            for i in 0..<outCount { out[i] = inPtr[i] * scale[i % channels] + shift[i % channels] }
        case .activation(let activation):
            if let inPtr, inPtr != UnsafePointer(out) { out.update(from: inPtr, count: outCount) }
            LayerKernels.applyActivation(activation, out, count: outCount, rowLength: outShape.last ?? 1)
        case .pad(let top, let left):
            guard let inPtr else { return }
            LayerKernels.zeroPad(batch: plan.batch, input: Array(inShape.dropFirst()), top: top, left: left,
                                 output: Array(outShape.dropFirst()), input: inPtr, output: out)
        case .pool(let isMax, let attributes, let zeroPad):
            guard let inPtr else { return }
            LayerKernels.pool(max: isMax, batch: plan.batch, input: Array(inShape.dropFirst()), output: Array(outShape.dropFirst()),
                              attributes: attributes, zeroPad: zeroPad, input: inPtr, output: out, threads: threads)
        case .globalPool(let isMax):
            guard let inPtr else { return }
            LayerKernels.globalPool(max: isMax, batch: plan.batch, pixels: inShape[1] * inShape[2], channels: inShape[3], input: inPtr, output: out)
        case .add:
            guard let inPtr else { return }
            if inPtr != UnsafePointer(out) { out.update(from: inPtr, count: outCount) }
            for other in step.inputs.dropFirst() {
                let p = pointer(other)
                for i in 0..<outCount { out[i] += p[i] }
            }
        case .concatenate(let axis):
            // Copy each input's blocks: outer = product of dims before the axis (batch included).
            let outer = outShape[..<axis].reduce(1, *)
            var offset = 0
            let outInner = outShape[axis...].reduce(1, *)
            for value in step.inputs {
                let shape = plan.shapes[value]
                let inner = shape[axis...].reduce(1, *)
                let source = pointer(value)
                for o in 0..<outer { (out + o * outInner + offset).update(from: source + o * inner, count: inner) }
                offset += inner
            }
        case .rescale(let scale, let offset):
            guard let inPtr else { return }
            for i in 0..<outCount { out[i] = inPtr[i] * scale + offset }
        }
    }
}

/// Loading models for the compute core.
public enum Zoo {
    /// Loads any file `zoo` reads (.zoo mapped zero-copy, Keras layouts, safetensors), binds it
    /// strictly onto its graph and returns it ready to run.
    public static func load(_ path: String, architecture: Architecture? = nil, scheme: NamingScheme? = nil,
                            threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> CompiledModel {
        let loaded = try ModelLoader(architecture: architecture, scheme: scheme, mode: .strict).load(path)
        return CompiledModel(model: loaded.model, architecture: loaded.architecture, threads: threads)
    }
}
