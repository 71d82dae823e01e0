import ArgumentParser
import Foundation
import ZooCompute
import ZooFormats

/// `zoo bench MODEL`: images per second and GFLOP/s on random input, after a warm-up.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure inference speed: images/s and GFLOP/s (with a warm-up run).")

    @Argument(help: "A model file in any format zoo reads.") var model: String
    @Option(help: "Images per batch.") var batch: Int = 1
    @Option(help: "Timed runs.") var iterations: Int = 10
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Option(help: "Layer to run up to (default: the model's outputs).") var layer: [String] = []
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "Also time every step (median over the runs) and print where the time goes, slowest first; with --json, as `profile`.") var profile = false
    @OptionGroup var options: ModelOptions
    @OptionGroup var build: BuildOptions

    func run() throws {
        guard batch > 0, iterations > 0 else { throw ValidationError("--batch and --iterations must be positive") }
        let loadStart = DispatchTime.now()
        // A detected backbone built at another input size or with pooling (--input-shape,
        // --pooling), as `zoo predict` builds it.
        let loaded = try options.loader(mode: .strict, build: build).load(model)
        let compiled = CompiledModel(model: loaded.model, architecture: loaded.architecture,
                                     threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let loadMs = Double(DispatchTime.now().uptimeNanoseconds - loadStart.uptimeNanoseconds) / 1e6
        let shape = [batch] + compiled.inputShape
        var state: UInt64 = 0x2545F4914F6CDD1D
        let values = (0..<shape.reduce(1, *)).map { _ -> Float in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(state % 2000) / 10 - 100
        }
        let input = Tensor(shape: shape, values: values)
        // Planning folds BatchNormalization and prepares (packs, transforms) every kernel.
        let planStart = DispatchTime.now()
        let info = try compiled.planInfo(batch: batch, outputs: layer)
        let planMs = Double(DispatchTime.now().uptimeNanoseconds - planStart.uptimeNanoseconds) / 1e6
        _ = try compiled.run(input, outputs: layer)  // warm-up: plans, page faults, caches
        var times: [Double] = []
        for _ in 0..<iterations {
            let start = DispatchTime.now()
            _ = try compiled.run(input, outputs: layer)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
        }
        times.sort()
        let median = times[times.count / 2]
        let imagesPerSecond = Double(batch) / median
        let gflops = info.flops / median / 1e9
        let steps = profile ? try compiled.profile(input, outputs: layer, iterations: iterations) : []
        let total = steps.reduce(0) { $0 + $1.milliseconds }
        var byKind: [String: Double] = [:]
        for step in steps { byKind[step.kind.split(separator: " ").first.map(String.init) ?? step.kind, default: 0] += step.milliseconds }
        let slowest = steps.sorted { $0.milliseconds > $1.milliseconds }
        func rate(_ step: CompiledModel.StepProfile) -> Double? {
            step.flops > 0 && step.milliseconds > 0 ? step.flops / step.milliseconds / 1e6 : nil
        }
        if json {
            var fields: [(String, JSONValue)] = [
                ("model", .string(model)), ("batch", .int(batch)), ("iterations", .int(iterations)), ("threads", .int(compiled.threads)),
                ("median_ms", .double(median * 1000)), ("min_ms", .double((times.first ?? 0) * 1000)),
                ("images_per_second", .double(imagesPerSecond)), ("gflops", .double(gflops)), ("flops_per_run", .double(info.flops)),
                ("peak_activation_bytes", .int(info.peakActivationBytes)), ("load_ms", .double(loadMs)), ("plan_ms", .double(planMs)),
                ("kernel", .string(compiled.kernelName)), ("input_shape", .array(compiled.inputShape.map { .int($0) })),
                ("cpu", .string(CPUInfo.modelName)), ("kernels_supported", .array(CPUInfo.supportedKernels.map { .string($0) })),
                ("images_per_thread", .int(info.imagesPerThread)),
            ]
            if profile {
                fields.append(("profile_ms_by_kind", .object(byKind.sorted { $0.value > $1.value }.map { ($0.key, .double($0.value)) })))
                fields.append(("profile", .array(slowest.map { step in
                    .object([("name", .string(step.name)), ("kind", .string(step.kind)), ("ms", .double(step.milliseconds)),
                             ("flops", .double(step.flops)), ("gflops", rate(step).map(JSONValue.double) ?? .null)])
                })))
            }
            print(JSONValue.object(fields).rendered())
            return
        }
        print("\(model): batch \(batch), \(iterations) runs, \(compiled.threads) threads, kernel \(compiled.kernelName)"
              + (info.imagesPerThread > 0 ? ", \(info.imagesPerThread) images per thread" : ""))
        print("  cpu \(CPUInfo.modelName) (kernels it runs: \(CPUInfo.supportedKernels.joined(separator: ", ")))")
        print(String(format: "  median %.2f ms, min %.2f ms: %.1f images/s, %.1f GFLOP/s (%.2f GFLOP per run)",
                     median * 1000, (times.first ?? 0) * 1000, imagesPerSecond, gflops, info.flops / 1e9))
        print(String(format: "  peak activation memory %.1f MiB; load %.1f ms, plan %.1f ms", Double(info.peakActivationBytes) / 1048576, loadMs, planMs))
        guard profile else { return }
        print(String(format: "profile: %d steps, %.2f ms summed medians; by kind: ", steps.count, total)
              + byKind.sorted { $0.value > $1.value }.map { String(format: "%@ %.2f ms", $0.key, $0.value) }.joined(separator: ", "))
        for step in slowest {
            let gflops = rate(step).map { String(format: "%7.1f GFLOP/s", $0) } ?? String(repeating: " ", count: 15)
            print(String(format: "  %8.3f ms %5.1f%%  %@  %@  %@", step.milliseconds, step.milliseconds / max(total, 1e-9) * 100, gflops,
                         step.name.padding(toLength: 28, withPad: " ", startingAt: 0), step.kind))
        }
    }
}
