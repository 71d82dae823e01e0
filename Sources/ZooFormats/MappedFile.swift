import CZooCleanup
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file, unmapped when the last reference goes away.
/// `TensorData` views into it keep it alive, so tensors can outlive the reader that made them.
public final class MappedFile: @unchecked Sendable {
    /// The path as given, for error messages.
    public let path: String
    /// The mapped bytes (empty for an empty file).
    public let bytes: UnsafeRawBufferPointer
    private let mapped: Bool
    /// The mapping's slot in the truncation guard's table (-1: not registered).
    private var guardSlot: Int32 = -1

    /// Address alignment of the mapping's start: file offsets aligned to up to 64 KiB stay that
    /// aligned in memory (a GPU runtime can wrap such a region without copying).
    public static let baseAlignment = 65536

    /// Maps `path`; with `populate`, asks the kernel to read every page now (MAP_POPULATE).
    /// Falls back to reading into memory where mmap is not possible (pipes, some filesystems).
    public init(path: String, populate: Bool = false) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FormatError.io(file: path, reason: "cannot open (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FormatError.io(file: path, reason: "cannot stat (\(String(cString: strerror(errno))))") }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw FormatError.io(file: path, reason: "is a directory, expected a file") }
        let size = Int(info.st_size)
        if (info.st_mode & S_IFMT) == S_IFREG, size > 0 {
            var flags = MAP_PRIVATE
            #if os(Linux)
            if populate { flags |= MAP_POPULATE }
            #endif
            if let address = Self.alignedMap(fd: fd, size: size, flags: flags) {
                bytes = UnsafeRawBufferPointer(start: address, count: size)
                mapped = true
                guardSlot = zoo_mapping_register(address, size, path)
                return
            }
        }
        // Not mappable: read everything (pipes, tiny or special files).
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 { throw FormatError.io(file: path, reason: "read failed (\(String(cString: strerror(errno))))") }
            if count == 0 { break }
            data += chunk[0..<count]
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: Self.baseAlignment)
        data.withUnsafeBytes { if $0.count > 0 { buffer.baseAddress?.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<data.count])
        mapped = false
    }

    /// Maps the file at a `baseAlignment`-aligned address: reserve a larger inaccessible region,
    /// map the file over its aligned part (MAP_FIXED), and release the rest.
    private static func alignedMap(fd: Int32, size: Int, flags: Int32) -> UnsafeMutableRawPointer? {
        let reserve = size + baseAlignment
        guard let region = mmap(nil, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), region != MAP_FAILED else { return nil }
        let start = Int(bitPattern: region)
        let aligned = (start + baseAlignment - 1) / baseAlignment * baseAlignment
        guard let target = UnsafeMutableRawPointer(bitPattern: aligned),
              let mapped = mmap(target, size, PROT_READ, flags | MAP_FIXED, fd, 0), mapped != MAP_FAILED else {
            munmap(region, reserve)
            return nil
        }
        if aligned > start { munmap(region, aligned - start) }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let usedEnd = (aligned + size + pageSize - 1) / pageSize * pageSize
        if start + reserve > usedEnd, let tail = UnsafeMutableRawPointer(bitPattern: usedEnd) { munmap(tail, start + reserve - usedEnd) }
        return mapped
    }

    /// Wraps bytes already in memory (copied into page-aligned storage).
    public init(copying source: UnsafeRawBufferPointer, name: String) {
        path = name
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(source.count, 1), alignment: Self.baseAlignment)
        if source.count > 0, let base = source.baseAddress { buffer.baseAddress?.copyMemory(from: base, byteCount: source.count) }
        bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<source.count])
        mapped = false
    }

    /// Drops the pages of `range` (byte offsets into `bytes`; only pages wholly inside it) from
    /// this process's memory: the mapping is read-only, so the kernel reads them back from the
    /// file if they are touched again. For callers that have copied what they need (the compute
    /// core after packing a kernel), so the copy does not double the resident memory. Does
    /// nothing for bytes read into memory.
    public func releasePages(_ range: Range<Int>) {
        guard mapped, let base = bytes.baseAddress, range.lowerBound >= 0, range.upperBound <= bytes.count else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: base) + range.lowerBound + page - 1) / page * page
        let end = (Int(bitPattern: base) + range.upperBound) / page * page
        guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(pointer, end - start, MADV_DONTNEED)
    }

    /// Whether the bytes are a kernel mapping (false when they were read into memory).
    public var isMapped: Bool { mapped }

    /// Makes a file that shrinks while it is mapped (another program truncated it in place)
    /// end the process with one line, `"<program>: error: PATH: the file shrank ..."`, and exit
    /// status 1, after removing unfinished outputs (`AtomicOutput`), instead of dying of SIGBUS.
    ///
    /// For command-line programs: it installs a process-wide SIGBUS handler and exits from it,
    /// so a library leaves the choice to its host (the `zoo` CLI calls it at start).
    public static func exitCleanlyOnTruncation(program: String) {
        zoo_mapping_guard_install(program)
    }

    deinit {
        zoo_mapping_unregister(guardSlot)
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        } else {
            UnsafeMutableRawPointer(mutating: bytes.baseAddress)?.deallocate()
        }
    }
}
