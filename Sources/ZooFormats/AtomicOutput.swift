import Foundation

/// Writes an output file through a temporary file in the same directory, then fsyncs and renames
/// it into place, so a failed or interrupted run never leaves a partial file and never replaces
/// an existing good one.
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
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            let result = try write(temporary)
            try sync(temporary)
            guard rename(temporary, path) == 0 else {
                throw FormatError.io(file: path, reason: "cannot rename the finished output into place (\(String(cString: strerror(errno))))")
            }
            return result
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    private static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FormatError.io(file: path, reason: "cannot reopen the output to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FormatError.io(file: path, reason: "fsync failed (\(String(cString: strerror(errno))))") }
    }
}
