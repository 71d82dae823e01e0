import ArgumentParser
import Foundation

/// The `zoo` command: inspect and convert Keras checkpoints.
@main
struct Zoo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoo",
        abstract: "Inspect, convert and slice pretrained Keras vision backbones (ResNet, VGG, ...).",
        version: "0.1.0",
        subcommands: [Inspect.self, Summary.self, Models.self, Convert.self, Slice.self, Verify.self, Diff.self, Predict.self, Bench.self, Train.self, Evaluate.self, Gradients.self]
    )

    /// Runs the command; every failure becomes one `zoo: error: ...` line on stderr and exit 1.
    static func main() {
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
            let message = error is ValidationError || String(describing: type(of: error)).contains("CommandError")
                ? fullMessage(for: error).replacingOccurrences(of: "Error: ", with: "").split(separator: "\n").first.map(String.init) ?? "\(error)"
                : "\(error)"
            FileHandle.standardError.write(Data("zoo: error: \(message)\n".utf8))
            Foundation.exit(1)  // every failure, usage errors too, exits 1 (README)
        }
    }
}
