import ArgumentParser
import Foundation
import ZooFormats
import ZooHDF5

/// The `zoo` command: inspect and convert Keras checkpoints.
@main
struct Zoo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoo",
        abstract: "Inspect, convert and slice pretrained Keras vision backbones (ResNet, VGG, ...).",
        version: "0.1.0",
        subcommands: [Inspect.self, Summary.self, Models.self, Convert.self, Slice.self, Verify.self, Diff.self, Predict.self, Bench.self, Train.self, Evaluate.self, Gradients.self, Extract.self, Merge.self]
    )

    /// A message made safe for one terminal line: control characters (ESC sequences, newlines
    /// that would forge another `zoo: error:` line) escaped as `\xNN`, as `ls` does, and the
    /// whole capped at 4,000 characters (a 1 MB layer name must not make a 2 MB error line).
    static func printable(_ message: String, limit: Int = 4000) -> String {
        var out = ""
        var count = 0
        for scalar in message.unicodeScalars {
            guard count < limit else { out += "... (\(message.unicodeScalars.count - limit) more characters)"; break }
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                out += String(format: "\\x%02X", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out
    }

    /// Runs the command; every failure becomes one `zoo: error: ...` line on stderr and exit 1.
    static func main() {
        // As its own HDF5 sandbox child, zoo only walks the file and exits (HDF5Sandbox).
        HDF5Sandbox.runProbeIfRequested()
        MappedFile.exitCleanlyOnTruncation(program: "zoo")
        if ProcessInfo.processInfo.environment["ZOO_HDF5_SANDBOX"]?.lowercased() != "off" {
            HDF5Sandbox.current = HDF5Sandbox.forCurrentExecutable()
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if let exitCode = (error as? ExitCode) {
                Foundation.exit(exitCode.rawValue)
            }
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)  // --help and --version print through the parser as usual
            }
            let message: String
            if let validation = error as? ValidationError {
                message = validation.message
            } else if String(describing: type(of: error)).contains("CommandError") {
                message = fullMessage(for: error).replacingOccurrences(of: "Error: ", with: "").split(separator: "\n").first.map(String.init) ?? "\(error)"
            } else {
                message = "\(error)"
            }
            FileHandle.standardError.write(Data("zoo: error: \(Self.printable(message))\n".utf8))
            Foundation.exit(1)  // every failure, usage errors too, exits 1 (README)
        }
    }
}
