/// The fixed 64-byte start of a `.zoo` file.
struct ZooFilePreamble: Equatable {
    static let size = 64
    static let magic: [UInt8] = [0x89, 0x5A, 0x4F, 0x4F, 0x0D, 0x0A, 0x1A, 0x0A]
    static let versionMajor: UInt16 = 1
    static let versionMinor: UInt16 = 0
    static let maxAlignment = 65536
    static let page = 4096

    var versionMajor: UInt16 = Self.versionMajor
    var versionMinor: UInt16 = Self.versionMinor
    var alignment: UInt32
    var tableLength: UInt64
    var metadataLength: UInt64
    var graphLength: UInt64
    var dataOffset: UInt64
    var headerChecksum: UInt64
    var fileChecksum: UInt64

    func encoded() -> [UInt8] {
        var out = Self.magic
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        put(versionMajor); put(versionMinor); put(alignment)
        put(tableLength); put(metadataLength); put(graphLength); put(dataOffset)
        put(headerChecksum); put(fileChecksum)
        return out
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) -> ZooFilePreamble {
        func get<T: FixedWidthInteger>(_ offset: Int, _ type: T.Type) -> T { T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        return ZooFilePreamble(versionMajor: get(8, UInt16.self), versionMinor: get(10, UInt16.self), alignment: get(12, UInt32.self),
                               tableLength: get(16, UInt64.self), metadataLength: get(24, UInt64.self), graphLength: get(32, UInt64.self),
                               dataOffset: get(40, UInt64.self), headerChecksum: get(48, UInt64.self), fileChecksum: get(56, UInt64.self))
    }

    /// The whole-file checksum: XXH64 over bytes 64 ..< data_offset (header and its zero
    /// padding) followed by every tensor checksum (u64 little-endian, table order). Together with
    /// the rule that gaps between tensors are zero, it covers every byte of the file while
    /// reading each tensor byte only once.
    static func fileChecksum(headerRegion: UnsafeRawBufferPointer, tensorChecksums: [UInt64]) -> UInt64 {
        var hasher = XXH64()
        hasher.update(headerRegion)
        tensorChecksums.map(\.littleEndian).withUnsafeBytes { hasher.update($0) }
        return hasher.digest()
    }

    static func roundUp(_ value: Int, _ alignment: Int) -> Int { (value + alignment - 1) / alignment * alignment }
}
