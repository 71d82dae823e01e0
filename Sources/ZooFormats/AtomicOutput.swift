import CZooCleanup
import Foundation

/// Writes an output file through a temporary file in the same directory, then fsyncs and renames
/// it into place, so a failed or interrupted run never leaves a partial file and never replaces
/// an existing good one. The temporary file is removed on failure, on SIGINT, SIGTERM and SIGHUP
/// (unless the application handles those itself), and, after a SIGKILL or a crash, by the next
/// write to the same output (temporary files of processes that no longer exist).
public enum AtomicOutput {
    /// Calls `write` with a temporary path next to `path`; on success the temporary file is
    /// synced and renamed to `path`, on failure it is removed and the error rethrown.
    public static func write<T>(to path: String, _ write: (_ temporaryPath: String) throws -> T) throws -> T {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FormatError.io(file: path, reason: "the output directory '\(directory)' does not exist")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw FormatError.io(file: path, reason: "is a directory, expected an output file name")
        }
        removeStaleTemporaries(in: directory, of: url.lastPathComponent)
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let slot = zoo_cleanup_register(temporary)
        defer { zoo_cleanup_unregister(slot) }
        do {
            let result = try write(temporary)
            try sync(temporary)
            guard rename(temporary, path) == 0 else {
                throw FormatError.io(file: path, reason: "cannot rename the finished output into place (\(String(cString: strerror(errno))))")
            }
            return result
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw naming(error, temporary: temporary, output: path)
        }
    }

    /// The error of a failed write, naming the requested output instead of the temporary file
    /// (and its staging folder) the user never asked for.
    static func naming(_ error: Error, temporary: String, output: String) -> Error {
        // A staging folder's member reads as OUTPUT:member, as members of archives do elsewhere.
        func clean(_ text: String) -> String {
            text.replacingOccurrences(of: temporary + ".members/", with: output + ":")
                .replacingOccurrences(of: temporary, with: output)
        }
        if let format = error as? FormatError {
            switch format {
            case .notKeras(let file, let reason): return FormatError.notKeras(file: clean(file), reason: clean(reason))
            case .malformed(let file, let path, let expected): return FormatError.malformed(file: clean(file), path: path, expected: clean(expected))
            case .invalid(let file, let location, let expected): return FormatError.invalid(file: clean(file), location: location, expected: clean(expected))
            case .unsupportedDType(let file, let path, let type): return FormatError.unsupportedDType(file: clean(file), path: path, type: type)
            case .archive(let file, let reason): return FormatError.archive(file: clean(file), reason: clean(reason))
            case .cannotWrite(let file, let reason): return FormatError.cannotWrite(file: clean(file), reason: clean(reason))
            case .io(let file, let reason): return FormatError.io(file: clean(file), reason: clean(reason))
            case .hdf5(let inner):
                let text = inner.description
                guard text.contains(temporary) else { return format }
                var reason = clean(text)
                if reason.hasPrefix(output + ": ") { reason.removeFirst(output.count + 2) }  // named once
                else if reason.hasPrefix(output + ":") { reason.removeFirst(output.count + 1) }
                return FormatError.io(file: output, reason: reason)
            }
        }
        let text = "\(error)"
        return text.contains(temporary) ? FormatError.io(file: output, reason: clean(plainReason(error))) : error
    }

    /// A one-line reason for a Foundation or other error: `localizedDescription` instead of the
    /// raw `Error Domain=NSCocoaErrorDomain Code=... UserInfo={...}` dump.
    public static func plainReason(_ error: Error) -> String {
        if error is FormatError { return "\(error)" }
        let text = (error as NSError).localizedDescription
        return text.isEmpty ? "\(error)" : text
    }

    /// Runs `body` with `path` (a file or folder of scratch data) registered for removal if a
    /// stop signal arrives meanwhile.
    public static func removingOnStop<T>(_ path: String, _ body: () throws -> T) rethrows -> T {
        let slot = zoo_cleanup_register(path)
        defer { zoo_cleanup_unregister(slot) }
        return try body()
    }

    /// Removes `.NAME.tmp-PID-*` files (and their `.members` folders) left by processes that no
    /// longer exist, e.g. killed with SIGKILL mid-write. Files of live processes are left alone.
    static func removeStaleTemporaries(in directory: String, of name: String) {
        let prefix = "." + name + ".tmp-"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for entry in entries where entry.hasPrefix(prefix) {
            let rest = entry.dropFirst(prefix.count)
            guard let pid = Int32(rest.prefix { $0 != "-" }), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) == -1 && errno == ESRCH {
                try? FileManager.default.removeItem(atPath: directory + "/" + entry)
            }
        }
    }

    private static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FormatError.io(file: path, reason: "cannot reopen the output to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FormatError.io(file: path, reason: "fsync failed (\(String(cString: strerror(errno))))") }
    }
}
