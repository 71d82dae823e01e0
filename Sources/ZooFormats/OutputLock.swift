#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on an output path across processes, for work that keeps state beside the
/// output while it runs (`zoo extract`'s resumable `OUT.npz.partial/`): a second run on the same
/// output waits for the first instead of sharing, or deleting, its work folder.
///
/// The lock is `flock` on `.NAME.lock` beside the output, removed on release. A waiter that wakes
/// holding a lock file someone already removed takes the new one (inode check), so two holders
/// never coexist.
public enum OutputLock {
    /// Runs `body` while holding the lock for `output`; `waiting` is called once if another
    /// process holds it (to say so on a terminal).
    public static func holding<T>(_ output: String, waiting: (() -> Void)? = nil, _ body: () throws -> T) throws -> T {
        let slash = output.lastIndex(of: "/")
        let directory = slash.map { String(output[..<$0]) } ?? "."
        let name = slash.map { String(output[output.index(after: $0)...]) } ?? output
        let path = (directory.isEmpty ? "" : directory) + "/." + name + ".lock"
        var told = false
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                // No lock without a writable folder; the output's own write reports that folder.
                return try body()
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                if !told { told = true; waiting?() }
                while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
            }
            var held = stat(), current = stat()
            if fstat(fd, &held) == 0, stat(path, &current) == 0, held.st_ino == current.st_ino, held.st_dev == current.st_dev {
                defer {
                    unlink(path)
                    close(fd)
                }
                // A stop signal removes the lock file with the other unfinished outputs.
                return try AtomicOutput.removingOnStop(path, body)
            }
            close(fd)  // the file was removed (and maybe replaced) while we waited: take the current one
        }
    }
}
