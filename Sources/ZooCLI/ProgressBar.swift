import Foundation
import ZooTraining

/// A one-line progress bar on stderr for long work (training, feature caching), redrawn in
/// place at most 10 times a second; silent when stderr is not a terminal.
final class ProgressBar: @unchecked Sendable {
    private let enabled: Bool
    private var lastDraw: UInt64 = 0
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    private func draw(_ line: String, force: Bool) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard force || now - lastDraw > 100_000_000 else { return }
        lastDraw = now
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
        drawn = true
    }

    private static func bar(_ done: Int, _ total: Int, width: Int = 24) -> String {
        let filled = total > 0 ? min(width, done * width / total) : 0
        return "[" + String(repeating: "=", count: filled) + (filled < width ? ">" : "") + String(repeating: " ", count: max(0, width - filled - 1)) + "]"
    }

    /// Renders one training event.
    func show(_ event: TrainingEvent) {
        switch event {
        case .caching(let done, let total):
            draw("features of the frozen layers \(Self.bar(done, total)) \(done)/\(total)", force: done == total)
        case .step(let epoch, let epochs, let step, let steps, let loss, let accuracy, let rate, let eta):
            draw(String(format: "epoch %d/%d %@ %d/%d  ETA %.0fs  %.1f img/s  loss %.4f  accuracy %.4f",
                        epoch, epochs, Self.bar(step, steps), step, steps, eta, rate, loss, accuracy), force: step == steps)
        case .epoch(let log):
            guard enabled else { return }
            var line = String(format: "epoch %d: loss %.4f  accuracy %.4f", log.epoch, log.loss, log.accuracy)
            if let v = log.validationLoss, let a = log.validationAccuracy { line += String(format: "  val_loss %.4f  val_accuracy %.4f", v, a) }
            line += String(format: "  %.2fs  %.1f img/s", log.seconds, log.imagesPerSecond)
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)\n".utf8))
            drawn = false
        }
    }

    /// Renders progress of work over `total` items (feature extraction).
    func show(_ label: String, done: Int, total: Int, rate: Double, skipped: Int) {
        let eta = rate > 0 ? Double(total - done) / rate : 0
        draw(String(format: "%@ %@ %d/%d  %.1f img/s  ETA %.0fs%@", label, Self.bar(done, total), done, total, rate, eta,
                    skipped > 0 ? "  \(skipped) skipped" : ""), force: done == total)
    }

    /// Ends the line if a bar is on screen.
    func finish() {
        if enabled && drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }
}
