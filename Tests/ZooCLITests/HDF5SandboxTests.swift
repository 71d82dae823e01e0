import Foundation
import Testing
import ZooHDF5

/// libhdf5 runs on files of unknown origin in a child process first (issue 11, item 1): a
/// crash there is one error line, not a dead `zoo`; the Swift API offers the same sandbox.
@Suite struct HDF5SandboxTests {
    static let crashing = Fixtures.path("bad_vlen_heap.h5")

    /// Every command that opens the file reports libhdf5's crash in one line and exits 1.
    @Test(arguments: [["inspect"], ["summary"], ["verify"], ["convert", "OUT.zoo"], ["convert", "OUT.safetensors"], ["diff", "OTHER"]])
    func everyCommandSurvivesTheCrashingFile(_ command: [String]) throws {
        let dir = TemporaryDirectory()
        var arguments = [command[0], Self.crashing]
        for extra in command.dropFirst() {
            arguments.append(extra == "OTHER" ? Fixtures.path("tiny.model.h5") : dir.file(extra))
        }
        let result = try ZooProcess.run(arguments)
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("zoo: error: \(Self.crashing): libhdf5 crashed (SIGSEGV"), "\(result.stderr)")
        #expect(dir.contents.isEmpty)
    }

    /// A `.keras` whose weights member is the crashing HDF5: the member goes to the sandbox
    /// from memory and the error names the member inside the archive.
    @Test func archiveMemberIsSandboxedToo() throws {
        let path = Fixtures.path("bad_vlen_heap.keras")
        let result = try ZooProcess.run(["summary", path])
        #expect(result.status == 1)
        #expect(result.stderr == "zoo: error: \(path):model.weights.h5: libhdf5 crashed (SIGSEGV, signal 11) parsing the file in zoo's sandbox process (its limits: 1024 MiB of memory, 5.0 s); the file is damaged or made to attack HDF5 readers, and nothing of it was parsed in this process.\n")
    }

    /// A file on which libhdf5 reports an error (one byte makes an attribute message lie about
    /// its dataspace size) is refused after the probe: in-process, libhdf5 1.10 decoded that
    /// attribute from heap garbage and segfaulted in H5Aexists, and a file like it made it
    /// allocate 3.4 GB. The error is libhdf5's, with the path inside the file.
    @Test(arguments: [["summary"], ["convert", "OUT.zoo"], ["inspect"]])
    func libraryErrorInTheProbeRefusesTheFile(_ command: [String]) throws {
        let dir = TemporaryDirectory()
        let path = Fixtures.path("bad_attribute_message.h5")
        let result = try ZooProcess.run([command[0], path] + command.dropFirst().map { dir.file($0) })
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("zoo: error: \(path): libhdf5 reports the file damaged: reading strings failed at HDF5 path '/fc@weight_names': "), "\(result.stderr)")
        #expect(result.stderr.contains("(H5Aread). After such an error"), "\(result.stderr)")
        #expect(dir.contents.isEmpty)
    }

    /// The sandbox does not change what a good file reads as.
    @Test func goodFilesReadTheSameWithAndWithoutIt() throws {
        for name in ["tiny.model.h5", "tiny.legacy.h5", "tiny.weights.h5", "tiny.keras"] {
            let on = try ZooProcess.run(["inspect", "--json", "--stats", Fixtures.path(name)])
            #expect(on.status == 0, "\(on.stderr)")
            let process = Process()
            process.executableURL = ZooProcess.executable
            process.arguments = ["inspect", "--json", "--stats", Fixtures.path(name)]
            var environment = ProcessInfo.processInfo.environment
            environment["ZOO_HDF5_SANDBOX"] = "off"
            process.environment = environment
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(String(decoding: data, as: UTF8.self) == on.stdout, "\(name)")
        }
    }

    /// The API: `check` passes good files and throws `.sandbox` for the crashing one, from many
    /// threads at once; a deadline stops a slow child; a missing executable is a plain error.
    @Test func apiChecksFromManyThreads() async throws {
        let sandbox = HDF5Sandbox(executable: ZooProcess.executable.path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask {
                    let sandbox = HDF5Sandbox(executable: sandbox.executable)
                    if index % 2 == 0 {
                        try sandbox.check(path: Fixtures.path("tiny.model.h5"))
                    } else {
                        #expect {
                            try sandbox.check(path: Self.crashing)
                        } throws: { error in
                            guard case HDF5Error.sandbox(let file, let reason) = error else { return false }
                            return file == Self.crashing && reason.hasPrefix("libhdf5 crashed (SIGSEGV, signal 11)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let image = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.crashing)))
        #expect(throws: HDF5Error.self) { try sandbox.check(image: image, name: "member.h5") }
        try sandbox.check(image: try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tiny.model.h5")))), name: "good.h5")

        let hurried = HDF5Sandbox(executable: sandbox.executable, timeLimit: 0.000_001, secondsPerGigabyte: 0)
        #expect {
            try hurried.check(path: Fixtures.path("tiny.split.h5"))
        } throws: { error in
            guard case HDF5Error.sandbox(_, let reason) = error else { return false }
            return reason.contains("was still parsing the file after 0.0 s")
        }
        // A failed probe is remembered: the next open of the same file (a fallback reader)
        // reports it at once rather than waiting out the limit again.
        let started = Date()
        #expect(throws: HDF5Error.self) { try hurried.check(path: Fixtures.path("tiny.split.h5")) }
        #expect(Date().timeIntervalSince(started) < 0.5)
        let missing = HDF5Sandbox(executable: "/nonexistent/zoo")
        #expect {
            try missing.check(path: Fixtures.path("tiny.model.h5"))
        } throws: { error in
            guard case HDF5Error.sandbox(_, let reason) = error else { return false }
            return reason.contains("could not start the HDF5 sandbox process /nonexistent/zoo: No such file or directory")
        }
    }

    /// Installed as `HDF5Sandbox.current`, the sandbox guards `HDF5File.open` in this process.
    @Test func installedSandboxGuardsOpen() throws {
        let previous = HDF5Sandbox.current
        defer { HDF5Sandbox.current = previous }
        HDF5Sandbox.current = HDF5Sandbox(executable: ZooProcess.executable.path)
        #expect(throws: HDF5Error.self) { _ = try HDF5File.open(Self.crashing) }
        let file = try HDF5File.open(Fixtures.path("tiny.model.h5"))
        #expect(try file.root().hasAttribute("model_config"))
    }
}
