import Foundation

extension SHA256 {
    /// The SHA-256 of a file, computed on a thread of its own while the caller does other work
    /// (a converter reads and writes the weights meanwhile); `result()` waits for it.
    public final class FileTask: @unchecked Sendable {
        private let condition = NSCondition()
        private var outcome: Result<String, any Error>?
        private var cancelled = false

        /// Starts hashing `path`.
        public init(path: String) {
            let thread = Thread { [self] in
                let result = Result { try SHA256.hexDigest(ofFile: path, isCancelled: { self.isCancelled }) }
                condition.lock()
                outcome = result
                condition.broadcast()
                condition.unlock()
            }
            thread.name = "zoo-sha256"
            thread.start()
        }

        private var isCancelled: Bool {
            condition.lock()
            defer { condition.unlock() }
            return cancelled
        }

        /// Waits for the digest (64 lowercase hex characters) and returns it, or throws the
        /// error reading the file.
        public func result() throws -> String {
            condition.lock()
            defer { condition.unlock() }
            while true {
                if let outcome { return try outcome.get() }
                condition.wait()
            }
        }

        /// Asks the hashing thread to stop early (when the result is no longer wanted); a
        /// later `result()` then throws unless the hash had already finished.
        public func cancel() {
            condition.lock()
            cancelled = true
            condition.unlock()
        }

        /// Cancels the hash and waits until its thread has left OpenSSL. Call it before the
        /// result is abandoned on an error path: a process that exits while the thread is still
        /// hashing runs OpenSSL's exit handlers under it, which crashed `zoo convert` after its
        /// error line (SIGSEGV, or glibc's "corrupted size vs. prev_size").
        public func cancelAndWait() {
            condition.lock()
            cancelled = true
            while outcome == nil { condition.wait() }
            condition.unlock()
        }
    }
}
