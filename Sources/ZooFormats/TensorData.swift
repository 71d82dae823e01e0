#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

/// The owner of one aligned allocation (written only inside `TensorData.init(byteCount:fill:)`),
/// or a view into memory another object owns and keeps alive.
final class TensorStorage: @unchecked Sendable {
    static let alignment = 64
    let byteCount: Int
    let mutableBytes: UnsafeMutableRawBufferPointer
    /// Set for views: the object whose lifetime keeps `mutableBytes` valid.
    let owner: (AnyObject & Sendable)?

    init(byteCount: Int) {
        self.byteCount = byteCount
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: Self.alignment)
        mutableBytes = UnsafeMutableRawBufferPointer(start: pointer, count: byteCount)
        owner = nil
    }

    init(view start: UnsafeRawPointer, count: Int, owner: AnyObject & Sendable) {
        byteCount = count
        mutableBytes = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(mutating: start), count: count)
        self.owner = owner
    }

    deinit {
        if owner == nil { mutableBytes.baseAddress.map { $0.deallocate() } }
    }
}
