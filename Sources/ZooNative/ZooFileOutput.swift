import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The temporary file `ZooFileWriter` writes into.
///
/// The data section is assembled in two page-aligned staging buffers: the writer asks for the
/// region of the file a tensor occupies (`region(at:length:)`), fills it in place (a source
/// file's read lands there directly) and hashes it there. A full buffer goes to a background
/// queue that writes it with `O_DIRECT` where the system allows (DMA from the buffer: no copy
/// into the page cache, whose fresh pages are expensive here, and nothing left for the final
/// fsync), while the other buffer fills. Where direct I/O is refused, the same buffers are
/// written through the page cache with writeback started early. The header, the preamble and the
/// last partial page are written through the page cache at the end.
final class ZooFileOutput {
    /// The output the user named, for errors.
    private let path: String
    /// Buffered descriptor: header, preamble, tail, and the fallback for everything.
    private let fd: Int32
    /// The same file opened with `O_DIRECT`, or nil.
    private var directFD: Int32?
    private let page = 4096
    private let bufferSize: Int
    private var buffers: [UnsafeMutableRawBufferPointer]
    private var current = 0
    /// File offset of `buffers[current]`'s first byte (a multiple of `page`).
    private var windowStart: Int
    /// File offset up to which the data section has been handed out.
    private var filled: Int
    /// Bytes before this offset have had page-cache writeback started (buffered mode).
    private var flushedUpTo = 0
    private let queue = DispatchQueue(label: "zoo.file-output")
    private let inFlight = DispatchGroup()
    private let failure = FailureBox()

    /// Opens `temporary` for writing a data section that starts at `dataOffset` (a multiple of
    /// 4096) and whose largest tensor plus padding is `largestRegion` bytes; `directIO` false
    /// keeps every write in the page cache.
    init(temporary: String, path: String, dataOffset: Int, largestRegion: Int, directIO: Bool = true) throws {
        self.path = path
        fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw ZooFileError.cannotWrite(file: path, reason: "cannot create the temporary file \(temporary) (\(String(cString: strerror(errno))))")
        }
        if directIO, let flag = Self.directFlag {
            let direct = open(temporary, O_WRONLY | O_CLOEXEC | flag)
            directFD = direct >= 0 ? direct : nil
        }
        let size = ZooFilePreamble.roundUp(max(largestRegion + 2 * 4096, Self.minimumBufferSize), 4096)
        bufferSize = size
        buffers = (0..<2).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096) }
        windowStart = dataOffset
        filled = dataOffset
    }

    deinit {
        inFlight.wait()
        for buffer in buffers { buffer.deallocate() }
        if let directFD { close(directFD) }
        close(fd)
    }

    /// Staging buffers are at least this large (each flush is one write of about this size).
    static let minimumBufferSize = 8 << 20

    /// `O_DIRECT`, which Swift's Glibc module does not export; nil where unknown.
    private static var directFlag: Int32? {
        #if os(Linux) && (arch(x86_64) || arch(i386))
        return 0o40000
        #elseif os(Linux) && (arch(arm64) || arch(arm))
        return 0o200000
        #else
        return nil
        #endif
    }

    /// The writable bytes of file range `offset ..< offset + length` (`offset` at or after the
    /// end of the previous region; the gap between them is zeroed). Valid until the next call.
    func region(at offset: Int, length: Int) throws -> UnsafeMutableRawBufferPointer {
        precondition(offset >= filled && offset - filled + length + 2 * page <= bufferSize, "region outside the planned layout")
        if offset + length - windowStart > bufferSize {
            // Hand the whole pages written so far to the writer; carry the partial last page
            // over to the other buffer.
            let flushEnd = filled / page * page
            // `submit` first waits for the other buffer's write, so the other buffer is free.
            try submit(UnsafeRawBufferPointer(rebasing: buffers[current][0..<(flushEnd - windowStart)]), at: windowStart)
            let next = 1 - current
            if filled > flushEnd {
                UnsafeMutableRawBufferPointer(rebasing: buffers[next][0..<(filled - flushEnd)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: buffers[current][(flushEnd - windowStart)..<(filled - windowStart)]))
            }
            current = next
            windowStart = flushEnd
        }
        let gap = UnsafeMutableRawBufferPointer(rebasing: buffers[current][(filled - windowStart)..<(offset - windowStart)])
        gap.initializeMemory(as: UInt8.self, repeating: 0)
        filled = offset + length
        return UnsafeMutableRawBufferPointer(rebasing: buffers[current][(offset - windowStart)..<(offset + length - windowStart)])
    }

    /// Writes what is left of the data section and waits for every write.
    func finishData() throws {
        let flushEnd = filled / page * page
        try submit(UnsafeRawBufferPointer(rebasing: buffers[current][0..<(flushEnd - windowStart)]), at: windowStart)
        inFlight.wait()
        try checkFailure()
        if filled > flushEnd {
            try write(UnsafeRawBufferPointer(rebasing: buffers[current][(flushEnd - windowStart)..<(filled - windowStart)]), at: flushEnd)
        }
    }

    /// Writes all of `bytes` at `offset` through the page cache (the header and the tail).
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        if let message = Self.writeAll(fd, bytes, at: offset) {
            throw ZooFileError.cannotWrite(file: path, reason: message)
        }
    }

    /// Queues the write of `bytes` (whole pages of a staging buffer) at `offset`, after the
    /// previous one.
    private func submit(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        guard bytes.count > 0 else { return }
        inFlight.wait()
        try checkFailure()
        let job = Job(bytes: bytes, offset: offset, fd: fd, directFD: directFD, failure: failure)
        queue.async(group: inFlight) { job.run() }
        if directFD == nil { startWriteback(upTo: offset + bytes.count) }
    }

    private func checkFailure() throws {
        if let message = failure.message { throw ZooFileError.cannotWrite(file: path, reason: message) }
    }

    /// Starts (does not wait for) page-cache writeback of everything before `end`.
    private func startWriteback(upTo end: Int) {
        guard end > flushedUpTo else { return }
        if let syncFileRange = Self.syncFileRange {
            _ = syncFileRange(fd, Int64(flushedUpTo), Int64(end - flushedUpTo), Self.syncFileRangeWrite)
        }
        flushedUpTo = end
    }

    /// Writes all of `bytes` at `offset` to `fd`; the error message, or nil.
    fileprivate static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) -> String? {
        guard let base = bytes.baseAddress else { return nil }
        var done = 0
        while done < bytes.count {
            let written = pwrite(fd, base + done, bytes.count - done, off_t(offset + done))
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                return "write failed at byte \(offset + done) (\(written < 0 ? String(cString: strerror(errno)) : "no progress"))"
            }
            done += written
        }
        return nil
    }

    /// Linux's `sync_file_range`, which Swift's Glibc module does not export (it is a GNU
    /// extension), looked up once at run time; nil elsewhere.
    private static let syncFileRange: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = {
        #if os(Linux)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
        #else
        return nil
        #endif
    }()
    /// `SYNC_FILE_RANGE_WRITE`: start writeback of dirty pages in the range, do not wait.
    private static let syncFileRangeWrite: UInt32 = 2

    /// One queued write of a staging buffer's whole pages.
    private struct Job: @unchecked Sendable {
        let bytes: UnsafeRawBufferPointer
        let offset: Int
        let fd: Int32
        let directFD: Int32?
        let failure: FailureBox

        func run() {
            // Direct I/O refused for this file (some filesystems accept the flag, then not the
            // write): the same bytes go through the page cache instead.
            if let directFD, ZooFileOutput.writeAll(directFD, bytes, at: offset) == nil { return }
            if let message = ZooFileOutput.writeAll(fd, bytes, at: offset) { failure.record(message) }
        }
    }
}

/// The first error of the background writes, read by the writing thread.
private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var text: String?

    func record(_ message: String) {
        lock.lock()
        if text == nil { text = message }
        lock.unlock()
    }

    var message: String? {
        lock.lock()
        defer { lock.unlock() }
        return text
    }
}
