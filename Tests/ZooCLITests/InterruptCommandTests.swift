import Foundation
import Testing
import ZooFormats

/// Stopping `zoo` mid-write (SIGTERM, SIGINT) leaves nothing behind, and temporary files a
/// SIGKILLed run left are removed by the next write to the same output (issue 11, item 6).
@Suite(.serialized) struct InterruptCommandTests {
    /// Starts `zoo convert vggFile OUTPUT`, waits until its temporary file exists, sends `signal`.
    func interrupt(output name: String, signal: Int32) throws -> (dir: TemporaryDirectory, process: Process, sawTemporary: Bool) {
        let dir = TemporaryDirectory()
        let process = Process()
        process.executableURL = ZooProcess.executable
        process.arguments = ["convert", vggFile, dir.file(name)]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var saw = false
        while process.isRunning && Date() < deadline {
            if dir.contents.contains(where: { $0.hasPrefix(".\(name).tmp-") }) { saw = true; break }
            usleep(1_000)
        }
        if saw { usleep(20_000) }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return (dir, process, saw)
    }

    @Test(arguments: [("vgg.keras", SIGTERM), ("vgg.zoo", SIGINT), ("vgg.h5", SIGTERM), ("vgg.safetensors", SIGHUP)])
    func stopSignalsRemoveTheTemporaryFiles(_ name: String, _ signal: Int32) throws {
        let (dir, process, saw) = try interrupt(output: name, signal: signal)
        #expect(saw, "the temporary file of \(name) never appeared")
        if process.terminationReason == .exit {
            // The conversion finished before the signal landed: the output is whole and alone.
            #expect(process.terminationStatus == 0)
            #expect(dir.contents == [name])
            return
        }
        #expect(process.terminationStatus == signal, "the exit status still names the signal")
        #expect(dir.contents.isEmpty, "left behind: \(dir.contents)")
    }

    @Test func staleTemporariesOfDeadProcessesAreRemoved() throws {
        let dir = TemporaryDirectory()
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = finished.processIdentifier
        let live = ProcessInfo.processInfo.processIdentifier
        let stale = ".vgg.zoo.tmp-\(dead)-1"
        #expect(FileManager.default.createFile(atPath: dir.file(stale), contents: Data(repeating: 7, count: 1000)))
        try FileManager.default.createDirectory(atPath: dir.file(".vgg.zoo.tmp-\(dead)-2.members"), withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: dir.file(".vgg.zoo.tmp-\(dead)-2.members/model.weights.h5"), contents: Data([1])))
        let busy = ".vgg.zoo.tmp-\(live)-3"
        #expect(FileManager.default.createFile(atPath: dir.file(busy), contents: Data([1])))
        let other = ".other.zoo.tmp-\(dead)-4"
        #expect(FileManager.default.createFile(atPath: dir.file(other), contents: Data([1])))
        let result = try ZooProcess.run(["convert", vggFile, dir.file("vgg.zoo")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(dir.contents.sorted() == [busy, other, "vgg.zoo"].sorted(), "a live process's and another output's files stay")
    }

    /// A mapped input truncated by another program while `zoo predict` reads it: one error line
    /// naming the file, exit 1, no output (issue 11, item 8), where the kernel sends SIGBUS.
    @Test func inputTruncatedWhileMappedIsOneErrorLine() throws {
        let dir = TemporaryDirectory()
        let input = dir.file("big.npy")
        let images = 200_000  // 8x8x1 floats each: 51 MB, about 10 s at batch 1, so it is mid-run when cut
        let values = (0..<(images * 64)).map { Float($0 % 97) / 97 }
        try NumpyArray(dtype: .float32, shape: [images, 8, 8, 1], data: TensorData(values: values)).write(to: input)
        let process = Process()
        process.executableURL = ZooProcess.executable
        process.arguments = ["predict", Fixtures.path("transfer/digits_backbone.keras"), "--input", input,
                             "--output", dir.file("out.npy"), "--batch", "1"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until the input is mapped (its path appears in the process's memory map), then cut it.
        let deadline = Date().addingTimeInterval(60)
        var mapped = false
        while process.isRunning && Date() < deadline && !mapped {
            mapped = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/maps", encoding: .utf8))?.contains(input) ?? false
            if !mapped { usleep(2_000) }
        }
        #expect(mapped)
        #expect(truncate(input, 4096) == 0)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(message)")
        #expect(message.split(separator: "\n").count == 1, "\(message)")
        #expect(message.hasPrefix("zoo: error: \(input): the file shrank while it was being read"), "\(message)")
        #expect(dir.contents == ["big.npy"])
    }

    /// SIGTERM to `zoo extract` removes its output lock (`.NAME.lock`) with the other unfinished
    /// files; the resumable `OUT.partial/` stays on purpose (found by the hostile suite).
    @Test func stoppedExtractLeavesNoLock() throws {
        let dir = TemporaryDirectory()
        let process = Process()
        process.executableURL = ZooProcess.executable
        process.arguments = ["extract", Fixtures.path("transfer/digits_backbone.keras"), Fixtures.path("images/digits"),
                             "--layer", "avg_pool", "--image-size", "8", "8", "--color-mode", "grayscale",
                             "--preprocessing", "none", "-o", dir.file("f.npz")]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        var sawLock = false
        while process.isRunning && Date() < deadline && !sawLock {
            sawLock = dir.contents.contains(".f.npz.lock")
            if !sawLock { usleep(500) }
        }
        #expect(sawLock, "the run holds its lock while it extracts")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(!dir.contents.contains(".f.npz.lock"), "\(dir.contents)")
        #expect(dir.contents.allSatisfy { $0 == "f.npz" || $0 == "f.npz.partial" }, "\(dir.contents)")
    }
}
