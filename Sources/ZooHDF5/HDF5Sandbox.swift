import CHDF5
import CZooSandbox
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses HDF5 files of unknown origin in a child process before the caller does.
///
/// libhdf5 is C code with known crashes on damaged files (1.10.8 segfaults on one flipped byte
/// of a variable-length string attribute). With a sandbox installed as `HDF5Sandbox.current`,
/// every `HDF5File.open` first runs `HDF5Probe` on the file in a child process under memory and
/// time limits. A crash, hang or blow-up there becomes a typed `HDF5Error.sandbox` naming the
/// file; a clean walk lets the caller parse the file in-process. Each file (by device, inode,
/// size and modification time) is probed once per process.
///
/// The child is an executable that answers `probeCommand`: the `zoo` CLI does, and an app can
/// too by calling `runProbeIfRequested()` first thing in `main`. The CLI installs a sandbox on
/// itself by default (`ZOO_HDF5_SANDBOX=off` turns that off); the library installs none, so
/// an app opts in:
///
/// ```swift
/// HDF5Sandbox.runProbeIfRequested()          // top of main: serve as the probe child
/// HDF5Sandbox.current = HDF5Sandbox.forCurrentExecutable()
/// ```
///
/// The probe reads what libhdf5 parses (groups, links, attributes, layouts, data); `.zoo`,
/// safetensors and zip parsing stay in-process, in bounds-checked Swift.
public struct HDF5Sandbox: Sendable, Equatable {
    /// The argument that makes an executable run the probe instead of its normal work.
    public static let probeCommand = "__hdf5-probe"
    /// The probe's exit status when libhdf5 reported an error inside a file that opened; its
    /// stdout then holds the first such error.
    static let damagedExitCode: Int32 = 3

    /// The probe executable (an absolute path).
    public var executable: String
    /// Arguments before the probe's own (by default just `probeCommand`).
    public var arguments: [String]
    /// Address space the child may map beyond its own start-up, in bytes; for in-memory
    /// images, twice the image is added (the image itself and libhdf5's copy of it).
    public var memoryLimit: Int
    /// Wall-clock seconds the child may take, plus `secondsPerGigabyte` for each GB of file.
    public var timeLimit: Double
    /// Extra seconds allowed per 10^9 bytes of file (reading and inflating data takes time).
    public var secondsPerGigabyte: Double

    /// A sandbox running `executable` (which must answer `probeCommand`). Defaults: 1 GiB
    /// above start-up, 5 s + 10 s per GB; `ZOO_HDF5_SANDBOX_MEMORY` (MiB) and
    /// `ZOO_HDF5_SANDBOX_TIMEOUT` (seconds) override them.
    public init(executable: String, arguments: [String] = [HDF5Sandbox.probeCommand],
                memoryLimit: Int? = nil, timeLimit: Double? = nil, secondsPerGigabyte: Double = 10) {
        self.executable = executable
        self.arguments = arguments
        self.memoryLimit = memoryLimit ?? HDF5Sandbox.environmentNumber("ZOO_HDF5_SANDBOX_MEMORY").map { Int($0) << 20 } ?? (1 << 30)
        self.timeLimit = timeLimit ?? HDF5Sandbox.environmentNumber("ZOO_HDF5_SANDBOX_TIMEOUT") ?? 5
        self.secondsPerGigabyte = secondsPerGigabyte
    }

    /// A sandbox whose child is this very executable (`/proc/self/exe` on Linux), or nil when
    /// its path cannot be found. The executable must call `runProbeIfRequested()` in `main`.
    public static func forCurrentExecutable() -> HDF5Sandbox? {
        guard let path = currentExecutablePath() else { return nil }
        return HDF5Sandbox(executable: path)
    }

    // MARK: The installed sandbox

    private final class State: @unchecked Sendable {
        var lock = pthread_mutex_t()
        var sandbox: HDF5Sandbox?
        /// Each probed file's outcome. A failure is kept too: a second open (a fallback reader)
        /// reports it again at once instead of probing for another full time limit.
        var outcomes: [String: Result<HDF5AttributeSnapshot, HDF5Error>] = [:]
        init() { pthread_mutex_init(&lock, nil) }
        func locked<T>(_ body: (State) -> T) -> T {
            pthread_mutex_lock(&lock)
            defer { pthread_mutex_unlock(&lock) }
            return body(self)
        }
    }
    private static let state = State()

    /// The sandbox `HDF5File.open` uses, or nil (the default) to parse in-process.
    public static var current: HDF5Sandbox? {
        get { state.locked { $0.sandbox } }
        set { state.locked { $0.sandbox = newValue; $0.outcomes.removeAll() } }
    }

    /// Probes the file with the installed sandbox, if any; returns the attributes the child
    /// read (nil without a sandbox, or for what is not a regular file).
    static func checkIfInstalled(path: String, name: String) throws -> HDF5AttributeSnapshot? {
        guard let sandbox = current else { return nil }
        return try sandbox.probe(path: path, name: name)
    }

    static func checkIfInstalled(image: [UInt8], name: String) throws -> HDF5AttributeSnapshot? {
        guard let sandbox = current else { return nil }
        return try sandbox.probe(image: image, name: name)
    }

    // MARK: Checking

    /// Probes the file at `path` in a child process; returns when libhdf5 parsed all of it
    /// without crashing, hanging or exceeding the limits (typed errors inside the file are left
    /// for the in-process parse to report), throws `HDF5Error.sandbox` otherwise.
    /// - Parameter name: the file's name in errors (default: `path`).
    public func check(path: String, name: String? = nil) throws {
        _ = try probe(path: path, name: name)
    }

    func probe(path: String, name: String?) throws -> HDF5AttributeSnapshot? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }  // the in-process open reports it
        guard (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        #if canImport(Glibc)
        let modified = "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        #else
        let modified = "\(info.st_mtimespec.tv_sec).\(info.st_mtimespec.tv_nsec)"
        #endif
        let key = "\(info.st_dev):\(info.st_ino):\(info.st_size):\(modified):\(path):\(executable):\(memoryLimit):\(timeLimit):\(secondsPerGigabyte)"
        if let known = HDF5Sandbox.state.locked({ $0.outcomes[key] }) { return try known.get() }
        let outcome = Result<HDF5AttributeSnapshot, HDF5Error> { () throws(HDF5Error) in
            try run(file: name ?? path, probeArguments: ["--path", path], input: nil, fileBytes: Int(info.st_size), memory: memoryLimit)
        }
        HDF5Sandbox.state.locked { $0.outcomes[key] = outcome }
        return try outcome.get()
    }

    /// Probes an in-memory HDF5 image (sent to the child on its stdin).
    public func check(image: [UInt8], name: String) throws {
        _ = try probe(image: image, name: name)
    }

    func probe(image: [UInt8], name: String) throws -> HDF5AttributeSnapshot {
        let memory = memoryLimit.addingReportingOverflow(image.count.multipliedReportingOverflow(by: 2).partialValue).partialValue
        return try run(file: name, probeArguments: ["--stdin", String(image.count), name], input: image, fileBytes: image.count, memory: memory)
    }

    /// The most attribute bytes a child may send back: more is refused (Keras files hold a
    /// few MB of attributes at most, the model config being the largest).
    static let attributeBytesLimit = 256 << 20

    private func run(file: String, probeArguments: [String], input: [UInt8]?, fileBytes: Int, memory: Int) throws(HDF5Error) -> HDF5AttributeSnapshot {
        let seconds = timeLimit + secondsPerGigabyte * Double(fileBytes) / 1e9
        let arguments = [executable] + self.arguments
            + ["--memory", String(memory), "--seconds", String(Int(seconds.rounded(.up)) + 1)] + probeArguments
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cArguments.append(nil)
        defer { for pointer in cArguments { free(pointer) } }
        let limit = HDF5Sandbox.attributeBytesLimit
        let result: zoo_child_result
        if let input {
            result = input.withUnsafeBytes { zoo_run_child(executable, &cArguments, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), $0.count, seconds, 1, limit) }
        } else {
            result = zoo_run_child(executable, &cArguments, nil, 0, seconds, 1, limit)
        }
        defer { free(result.output) }
        let output = UnsafeRawBufferPointer(start: result.output, count: result.output == nil ? 0 : result.output_length)
        let shown = seconds < 10 ? "\((seconds * 10).rounded() / 10)" : "\(Int(seconds.rounded()))"
        let limits = "its limits: \(memory >> 20) MiB of memory, \(shown) s"
        let override = "if the file is trusted, ZOO_HDF5_SANDBOX=off (CLI) or HDF5Sandbox.current = nil (Swift) parses it in-process"
        guard result.spawned != 0 else {
            throw HDF5Error.sandbox(file: file, reason: "could not start the HDF5 sandbox process \(executable): \(String(cString: strerror(result.error))); \(override)")
        }
        if result.timed_out != 0 {
            throw HDF5Error.sandbox(file: file, reason: "libhdf5 was still parsing the file after \(shown) s in zoo's sandbox process (\(limits)), so it was stopped; a damaged or hostile file can make it loop. Set ZOO_HDF5_SANDBOX_TIMEOUT=SECONDS to allow more")
        }
        if result.signal == SIGXCPU {
            throw HDF5Error.sandbox(file: file, reason: "libhdf5 used up its CPU time parsing the file in zoo's sandbox process (\(limits)); a damaged or hostile file can make it loop. Set ZOO_HDF5_SANDBOX_TIMEOUT=SECONDS to allow more")
        }
        if result.signal != 0 {
            let name = HDF5Sandbox.signalName(result.signal)
            let outOfMemory = [SIGKILL, SIGTRAP, SIGILL, SIGABRT].contains(result.signal)
            let what = outOfMemory ? "crashed or ran out of memory" : "crashed"
            let hint = outOfMemory ? " Set ZOO_HDF5_SANDBOX_MEMORY=MiB if it is a genuine file that needs more memory." : ""
            throw HDF5Error.sandbox(file: file, reason: "libhdf5 \(what) (\(name)) parsing the file in zoo's sandbox process (\(limits)); the file is damaged or made to attack HDF5 readers, and nothing of it was parsed in this process.\(hint)")
        }
        if result.exit_code == HDF5Sandbox.damagedExitCode {
            let message = String(decoding: output.prefix(1600), as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            let detail = message.isEmpty ? "" : ": \(message)"
            throw HDF5Error.sandbox(file: file, reason: "libhdf5 reports the file damaged\(detail). After such an error libhdf5 1.10 is not to be trusted with the rest of the file (it has been seen to crash or allocate gigabytes), so nothing of it was parsed in this process; \(override)")
        }
        if result.exit_code != 0 {
            throw HDF5Error.sandbox(file: file, reason: "zoo's HDF5 sandbox process \(executable) failed with exit status \(result.exit_code) (\(limits)); it must be a zoo executable that answers '\(HDF5Sandbox.probeCommand)'")
        }
        if result.output_truncated != 0 {
            throw HDF5Error.sandbox(file: file, reason: "the file's attributes come to more than \(limit >> 20) MiB (read in zoo's sandbox process); Keras files hold a few MB, so it is refused as damaged or hostile")
        }
        guard let snapshot = HDF5AttributeSnapshot.decode(output) else {
            throw HDF5Error.sandbox(file: file, reason: "zoo's HDF5 sandbox process \(executable) exited without sending back the file's attributes; it must be a zoo executable of the same version that answers '\(HDF5Sandbox.probeCommand)'")
        }
        return snapshot
    }

    // MARK: The child side

    /// The probe child's entry point: when the process's first argument is `probeCommand`,
    /// applies the limits, walks the file, and exits (0 once the walk finishes); otherwise
    /// returns at once. Call it first thing in `main` of an executable used as the sandbox.
    public static func runProbeIfRequested(_ arguments: [String] = CommandLine.arguments) {
        guard arguments.count > 1, arguments[1] == probeCommand else { return }
        exit(runProbe(Array(arguments.dropFirst(2))))
    }

    /// Runs the probe with its own arguments (`--memory B --seconds S` then `--path FILE` or
    /// `--stdin LENGTH NAME`); returns the exit status.
    static func runProbe(_ arguments: [String]) -> Int32 {
        current = nil
        var memory = 0, seconds = 0
        var index = 0
        while index + 1 < arguments.count, arguments[index] == "--memory" || arguments[index] == "--seconds" {
            guard let value = Int(arguments[index + 1]), value >= 0 else { return 64 }
            if arguments[index] == "--memory" { memory = value } else { seconds = value }
            index += 2
        }
        guard zoo_limit_self(memory, UInt32(clamping: seconds)) == 0 else { return 71 }
        let rest = Array(arguments[index...])
        if rest.count == 2, rest[0] == "--path" {
            return report(HDF5Probe.walkKeepingAttributes(path: rest[1]))
        }
        if rest.count == 3, rest[0] == "--stdin", let length = Int(rest[1]), length >= 0 {
            var image = [UInt8](repeating: 0, count: length)
            var filled = 0
            while filled < length {
                let n = image.withUnsafeMutableBytes { read(0, $0.baseAddress! + filled, length - filled) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return 65 }
                filled += n
            }
            return report(HDF5Probe.walkKeepingAttributes(image: image, name: rest[2]))
        }
        return 64
    }

    /// The child's exit status for a finished walk; on stdout, the attributes it read, or the
    /// damage libhdf5 reported.
    private static func report(_ walk: HDF5Probe.Walk) -> Int32 {
        guard let damage = walk.summary.damage else {
            let bytes = HDF5AttributeSnapshot(objects: walk.attributes).encoded()
            return writeAll(bytes) ? 0 : 74
        }
        _ = writeAll(Array((String(damage.prefix(1500)) + "\n").utf8))
        return damagedExitCode
    }

    private static func writeAll(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { write(1, $0.baseAddress! + sent, bytes.count - sent) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    // MARK: Helpers

    private static func environmentNumber(_ name: String) -> Double? {
        guard let text = getenv(name), let value = Double(String(cString: text)), value > 0 else { return nil }
        return value
    }

    private static func currentExecutablePath() -> String? {
        #if os(Linux)
        var buffer = [CChar](repeating: 0, count: 4097)
        let length = readlink("/proc/self/exe", &buffer, 4096)
        guard length > 0 else { return nil }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #else
        let path = CommandLine.arguments.first ?? ""
        guard path.hasPrefix("/") else { return nil }
        return path
        #endif
    }

    static func signalName(_ number: Int32) -> String {
        let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGABRT: "SIGABRT", SIGILL: "SIGILL",
                                      SIGFPE: "SIGFPE", SIGTRAP: "SIGTRAP", SIGKILL: "SIGKILL", SIGXCPU: "SIGXCPU"]
        return names[number].map { "\($0), signal \(number)" } ?? "signal \(number)"
    }
}
