#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Immutable bytes of one tensor, 64-byte aligned, shared between copies.
///
/// Readers allocate the final buffer once and let libhdf5 (or a file read) fill it in place, so a
/// loaded checkpoint holds each weight exactly once.
public struct TensorData: Sendable, Equatable {
    private let storage: TensorStorage

    /// Allocates `byteCount` bytes and lets `fill` write them; the bytes are immutable afterwards.
    public init(byteCount: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let storage = TensorStorage(byteCount: byteCount)
        try fill(storage.mutableBytes)
        self.storage = storage
    }

    /// Copies `bytes` into new aligned storage.
    public init(copying bytes: UnsafeRawBufferPointer) {
        self.init(byteCount: bytes.count) { target in
            if bytes.count > 0, let base = bytes.baseAddress { target.baseAddress?.copyMemory(from: base, byteCount: bytes.count) }
        }
    }

    /// A view of `count` bytes at `start` that stays valid while `owner` (a memory mapping or any
    /// buffer owner) is alive; nothing is copied.
    public init(viewing start: UnsafeRawPointer, count: Int, owner: AnyObject & Sendable) {
        storage = TensorStorage(view: start, count: count, owner: owner)
    }

    /// Bytes that `fill` writes the first time anything reads them, kept from then on: for data
    /// derived from other memory that most users never read, such as the plain layout of a
    /// kernel that a `.zoo` file stores packed for the compute core (which reads the packed
    /// bytes, so the plain copy is never made).
    public init(deferredByteCount byteCount: Int, fill: @escaping @Sendable (UnsafeMutableRawBufferPointer) -> Void) {
        storage = TensorStorage(deferredByteCount: byteCount, fill: fill)
    }

    /// Says the bytes will not be read for a while: a view into a file mapping gives its pages
    /// back to the OS (they are read from the file again on the next access; see
    /// `MappedFile.releasePages`). Other data is left as it is. The values never change.
    public func releasePages() {
        guard let file = storage.owner as? MappedFile, let start = storage.mutableBytes.baseAddress, let base = file.bytes.baseAddress else { return }
        let offset = UnsafeRawPointer(start) - base
        guard offset >= 0 else { return }
        file.releasePages(offset..<(offset + count))
    }

    /// Whether the bytes are a view into memory owned elsewhere (such as a file mapping).
    public var isView: Bool { storage.owner != nil }

    /// Copies an array of plain values.
    public init<T: BitwiseCopyable>(values: [T]) {
        self = values.withUnsafeBytes { TensorData(copying: $0) }
    }

    /// Number of bytes.
    public var count: Int { storage.byteCount }

    /// Calls `body` with the bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(storage.mutableBytes))
    }

    /// The bytes viewed as `T` values (the byte count must be a multiple of `T`'s size).
    public func withUnsafeBuffer<T: BitwiseCopyable, R>(of type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
        try withUnsafeBytes { try body($0.bindMemory(to: T.self)) }
    }

    /// The bytes copied into an array of `T`.
    public func array<T: BitwiseCopyable>(of type: T.Type) -> [T] {
        withUnsafeBuffer(of: T.self) { Array($0) }
    }

    public static func == (lhs: TensorData, rhs: TensorData) -> Bool {
        lhs.count == rhs.count && lhs.withUnsafeBytes { a in rhs.withUnsafeBytes { b in
            a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
        } }
    }
}

/// The owner of one aligned allocation (written only inside `TensorData.init(byteCount:fill:)`
/// or, for deferred data, by its fill on first read), or a view into memory another object owns
/// and keeps alive.
final class TensorStorage: @unchecked Sendable {
    static let alignment = 64
    let byteCount: Int
    /// Set for views: the object whose lifetime keeps the bytes valid.
    let owner: (AnyObject & Sendable)?
    /// The bytes, for allocated storage and views (nil only for deferred storage).
    private let ready: UnsafeMutableRawBufferPointer?
    private let deferred: Deferred?

    /// Deferred bytes: made once, under the lock, by the first reader.
    final class Deferred: @unchecked Sendable {
        let lock = NSLock()
        var bytes: UnsafeMutableRawBufferPointer?
        let fill: @Sendable (UnsafeMutableRawBufferPointer) -> Void
        init(fill: @escaping @Sendable (UnsafeMutableRawBufferPointer) -> Void) { self.fill = fill }
    }

    init(byteCount: Int) {
        self.byteCount = byteCount
        ready = Self.allocate(byteCount)
        owner = nil
        deferred = nil
    }

    init(view start: UnsafeRawPointer, count: Int, owner: AnyObject & Sendable) {
        byteCount = count
        ready = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(mutating: start), count: count)
        self.owner = owner
        deferred = nil
    }

    init(deferredByteCount: Int, fill: @escaping @Sendable (UnsafeMutableRawBufferPointer) -> Void) {
        byteCount = deferredByteCount
        ready = nil
        owner = nil
        deferred = Deferred(fill: fill)
    }

    private static func allocate(_ byteCount: Int) -> UnsafeMutableRawBufferPointer {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: alignment)
        return UnsafeMutableRawBufferPointer(start: pointer, count: byteCount)
    }

    /// The bytes (made now if they are deferred and nobody has read them yet).
    var mutableBytes: UnsafeMutableRawBufferPointer {
        if let ready { return ready }
        guard let deferred else { return UnsafeMutableRawBufferPointer(start: nil, count: 0) }
        deferred.lock.lock()
        defer { deferred.lock.unlock() }
        if let bytes = deferred.bytes { return bytes }
        let bytes = Self.allocate(byteCount)
        deferred.fill(bytes)
        deferred.bytes = bytes
        return bytes
    }

    deinit {
        if owner == nil { ready?.baseAddress.map { $0.deallocate() } }
        deferred?.bytes?.baseAddress.map { $0.deallocate() }
    }
}
