import Foundation
import Testing

/// Runs the built `zoo` executable and captures what it prints.
struct ZooProcess {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The `zoo` binary next to the test bundle in the build folder.
    static var executable: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("zoo")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return Bundle.main.bundleURL.appendingPathComponent("zoo")
    }

    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting so a large output cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

final class TemporaryDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "swiftzoo-cli-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path).sorted()) ?? [] }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs `zoo` with `arguments`, expects success, and parses its single JSON object.
func zooJSON(_ arguments: [String]) throws -> [String: Any] {
    let result = try ZooProcess.run(arguments)
    #expect(result.status == 0, "\(result.stderr)")
    return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
}

/// Per layer name, the weight sums of a `zoo inspect --json --stats` object (layers with weights only).
func weightSums(_ object: [String: Any]) -> [String: [Double]] {
    var out: [String: [Double]] = [:]
    for layer in object["layers"] as? [[String: Any]] ?? [] {
        let weights = layer["weights"] as? [[String: Any]] ?? []
        if !weights.isEmpty { out[layer["name"] as? String ?? ""] = weights.map { $0["sum"] as? Double ?? .nan } }
    }
    return out
}
