import Foundation
import Testing

@Suite struct ConvertCommandTests {
    func inspectJSON(_ path: String) throws -> [String: Any] {
        try zooJSON(["inspect", "--json", "--stats", path])
    }

    @Test(arguments: [
        ("tiny.keras", "out.h5", "keras-h5-weights"),
        ("tiny.keras", "out.model.h5", "keras-h5-model"),
        ("tiny.keras", "out.keras", "keras-archive"),
        ("tiny.model.h5", "out.h5", "keras-h5-weights"),
        ("tiny.tfera.h5", "out.h5", "keras-h5-weights"),
    ])
    func convertsByOutputName(source: String, output: String, format: String) throws {
        let dir = TemporaryDirectory()
        let target = dir.file(output)
        let result = try ZooProcess.run(["convert", Fixtures.path(source), target])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("zoo: wrote \(target) (\(format)"))
        let back = try inspectJSON(target)
        #expect(back["format"] as? String == format)
        #expect(weightSums(back) == weightSums(try inspectJSON(Fixtures.path(source))))
        #expect(dir.contents == [output])
    }

    /// Issue 11's most common crash: `zoo convert` printed its error, then died in OpenSSL's exit
    /// handlers because the source's SHA-256 thread was still hashing (7 of 200 runs on an empty
    /// input). Every run must now end with the one error line and status 1, never a signal.
    @Test func errorPathNeverCrashesWhileTheSourceIsHashed() throws {
        let dir = TemporaryDirectory()
        let empty = dir.file("empty.h5")
        FileManager.default.createFile(atPath: empty, contents: Data())
        let truncated = dir.file("truncated.h5")
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tiny.tfera.h5")))
        FileManager.default.createFile(atPath: truncated, contents: whole.prefix(whole.count / 2))
        for round in 0..<40 {
            let source = round % 2 == 0 ? empty : truncated
            let result = try ZooProcess.run(["convert", source, dir.file("out.zoo")])
            #expect(result.status == 1, "round \(round): status \(result.status), stderr \(result.stderr)")
            #expect(result.stderr.hasPrefix("zoo: error: "), "round \(round): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "round \(round): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("out.zoo")))
    }

    /// A full disk (here a file-size limit, which fails writes the same way, with SIGXFSZ
    /// ignored) is one error line naming the output and the system's reason, exit 1, and no
    /// file left: libhdf5's outputs used to print 50 lines, then crash in its exit handler.
    @Test(arguments: ["out.h5", "out.weights.h5", "out.keras", "out.zoo", "out.safetensors"])
    func fullDiskIsOneErrorLine(_ name: String) throws {
        let dir = TemporaryDirectory()
        let output = dir.file(name)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // 16 blocks of 512 bytes (dash's unit): smaller than any of the outputs of this model.
        process.arguments = ["-c", "trap '' XFSZ; ulimit -f 16; exec \"$0\" convert \"$1\" \"$2\"",
                             ZooProcess.executable.path, Fixtures.path("tiny.model.h5"), output]
        let err = Pipe()
        process.standardError = err
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(message)")
        #expect(message.split(separator: "\n").count == 1, "\(message)")
        #expect(message.hasPrefix("zoo: error: \(output): "), "\(message)")
        #expect(message.contains("File too large"), "\(message)")
        #expect(!message.contains(".tmp-"), "the temporary file is not named: \(message)")
        #expect(dir.contents.isEmpty)
    }

    @Test func layoutFlagOverridesTheName() throws {
        let dir = TemporaryDirectory()
        let target = dir.file("anything.bin")
        let result = try ZooProcess.run(["convert", Fixtures.path("tiny.legacy.h5"), target, "--layout", "keras3-weights"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try inspectJSON(target)["format"] as? String == "keras3-weights")
    }

    @Test func impossibleConversionsFailWithoutLeavingFiles() throws {
        let dir = TemporaryDirectory()
        let target = dir.file("model.keras")
        let result = try ZooProcess.run(["convert", Fixtures.path("tiny.legacy.h5"), target])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("zoo: error: \(target): cannot write: a .keras archive needs the model config"))
        #expect(dir.contents.isEmpty)
        let badLayout = try ZooProcess.run(["convert", Fixtures.path("tiny.legacy.h5"), dir.file("x.h5"), "--layout", "onnx"])
        #expect(badLayout.status != 0)
        #expect(badLayout.stderr.contains("unknown --format 'onnx'"))
        let badName = try ZooProcess.run(["convert", Fixtures.path("tiny.legacy.h5"), dir.file("x.bin")])
        #expect(badName.stderr.contains("cannot tell the output format"))
        let badInput = try ZooProcess.run(["convert", Fixtures.path("bad_dtype.h5"), dir.file("x.h5")])
        #expect(badInput.status == 1)
        #expect(dir.contents.isEmpty)
    }
}
