import Foundation
import ZIPFoundation
import ZooHDF5

/// Reads and writes NumPy `.npz` archives: a zip whose members are `NAME.npy` files, as
/// `np.savez` (stored) and `np.savez_compressed` (deflated) write them.
///
/// Reading parses the zip itself, over a read-only mapping of the file, checking every offset and
/// size against the file before using it (ZIPFoundation 0.9.20 spins forever on a deflated member
/// whose stream runs past the end of the file, so only its inflater is used, fed from a bounded
/// source). Stored members become zero-copy views where their elements are aligned; deflated
/// members are inflated, never past the size the directory declares. Every member's CRC-32 is
/// checked, as Python's `zipfile` does. Zip64 archives are read; encrypted, multi-disk and other
/// compression methods are rejected, and so are members not named `*.npy` and duplicate names.
///
/// Writing stores the members uncompressed (as `np.savez` does), through ZIPFoundation, atomically.
public enum NumpyArchive {
    /// Everything a `.npz` holds: its numeric arrays and its unicode string arrays (class names,
    /// file paths), each in archive order and named without the `.npy` suffix.
    public struct Contents: Sendable {
        /// The numeric arrays.
        public var arrays: [(name: String, array: NumpyArray)]
        /// The one-dimensional unicode string arrays (`<U{n}`).
        public var strings: [(name: String, strings: NumpyStrings)]

        /// The numeric array named `name`, if any.
        public func array(_ name: String) -> NumpyArray? { arrays.first { $0.name == name }?.array }
        /// The string array named `name`, if any.
        public func strings(_ name: String) -> [String]? { strings.first { $0.name == name }?.strings.values }
    }

    /// The numeric arrays of a `.npz` file, in archive order, named without the `.npy` suffix.
    /// String members (such as `class_names` and `paths` in `zoo extract` outputs) are left out;
    /// `contents(_:)` returns them too.
    public static func read(_ path: String) throws -> [(name: String, array: NumpyArray)] {
        try contents(path).arrays
    }

    /// The numeric and string arrays of a `.npz` file.
    public static func contents(_ path: String) throws -> Contents {
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        let members = try ZipReader.members(bytes, file: path)
        var result: [(name: String, array: NumpyArray)] = []
        var strings: [(name: String, strings: NumpyStrings)] = []
        var seen = Set<String>()
        for member in members {
            if member.name.hasSuffix("/"), member.uncompressedSize == 0 { continue }  // a directory
            let location = "zip member '\(PythonLiteral.clip(member.name))'"
            guard member.name.hasSuffix(".npy"), member.name.utf8.count > 4 else {
                throw malformed(path, location, "members named NAME.npy, as np.savez writes")
            }
            let name = String(member.name.dropLast(4))
            guard seen.insert(name).inserted else {
                throw malformed(path, location, "one member per array name, found '\(PythonLiteral.clip(member.name))' twice")
            }
            let source = UnsafeRawBufferPointer(rebasing: bytes[member.dataStart..<(member.dataStart + member.compressedSize)])
            let memberName = "\(path):\(member.name)"
            let array: NumpyArray
            if member.method == 0 {
                let crc = ZipCRC32.checksum(source)
                guard crc == member.crc32 else {
                    throw malformed(path, location, "CRC-32 \(hex32(member.crc32)) as the directory records, found \(hex32(crc)) (the member is corrupt)")
                }
                if try isStringArray(source, name: memberName) {
                    strings.append((name, try NumpyStrings.decode(source, name: memberName)))
                    continue
                }
                array = try NumpyArray.decode(source, name: memberName, owner: file)
            } else {
                if member.inflatesPastLimit {
                    throw malformed(path, location, "a member that inflates at most \(Int(HDF5Dataset.maxInflation))x, found \(member.compressedSize) bytes declaring \(member.uncompressedSize) (a zip bomb?); set ZOO_MAX_INFLATION to a larger ratio if the file is genuine")
                }
                let inflated = try inflate(source, declaredSize: member.uncompressedSize, file: path, location: location)
                let crc = inflated.withUnsafeBytes { ZipCRC32.checksum($0) }
                guard crc == member.crc32 else {
                    throw malformed(path, location, "CRC-32 \(hex32(member.crc32)) as the directory records, found \(hex32(crc)) (the member is corrupt)")
                }
                if try inflated.withUnsafeBytes({ try isStringArray($0, name: memberName) }) {
                    strings.append((name, try inflated.withUnsafeBytes { try NumpyStrings.decode($0, name: memberName) }))
                    continue
                }
                array = try inflated.withUnsafeBytes { try NumpyArray.decode($0, name: memberName) }
            }
            result.append((name, array))
        }
        return Contents(arrays: result, strings: strings)
    }

    private static func isStringArray(_ bytes: UnsafeRawBufferPointer, name: String) throws -> Bool {
        if case .unicode = try NumpyArray.Layout(bytes, name: name).element { return true }
        return false
    }

    /// Writes the arrays as a `.npz` of stored `NAME.npy` members, atomically. Names must be
    /// non-empty and unique.
    public static func write(_ arrays: [(name: String, array: NumpyArray)], strings: [(name: String, strings: NumpyStrings)] = [],
                             to path: String) throws {
        var seen = Set<String>()
        for name in strings.map(\.name) {
            guard !name.isEmpty, seen.insert(name).inserted else {
                throw FormatError.cannotWrite(file: path, reason: "string array name '\(name)' is empty or used twice; .npz member names must be unique")
            }
        }
        for (name, array) in arrays {
            guard !name.isEmpty else {
                throw FormatError.cannotWrite(file: path, reason: "an array has an empty name; .npz members are named NAME.npy")
            }
            guard seen.insert(name).inserted else {
                throw FormatError.cannotWrite(file: path, reason: "two arrays are both named '\(name)'; .npz member names must be unique")
            }
            try array.validate(file: path)
        }
        try write(arrays, strings: strings, to: path, extra: [])
    }

    /// An array to write as the concatenation (along the first axis) of `.npy` files, read one
    /// at a time while writing, so the archive can be far larger than memory.
    public struct Concatenation: Sendable {
        /// The member name.
        public var name: String
        /// The `.npy` files, in order; all of one dtype and the same trailing shape.
        public var pieces: [String]

        /// The concatenation of `pieces` named `name`.
        public init(name: String, pieces: [String]) {
            self.name = name
            self.pieces = pieces
        }
    }

    /// Writes `arrays`, `strings` and `concatenations` as one `.npz`, atomically. The pieces of a
    /// concatenation are checked (dtype and trailing shape) before anything is written.
    public static func write(_ arrays: [(name: String, array: NumpyArray)], strings: [(name: String, strings: NumpyStrings)] = [],
                             concatenations: [Concatenation], to path: String) throws {
        var members: [Member] = []
        for concatenation in concatenations {
            var dtype: DType?
            var trailing: [Int]?
            var rows = 0
            var sizes: [Int] = []
            for piece in concatenation.pieces {
                let array = try NumpyArray.read(piece)
                guard dtype == nil || (dtype == array.dtype && trailing == Array(array.shape.dropFirst())), !array.shape.isEmpty else {
                    throw FormatError.cannotWrite(file: path, reason: "\(piece): shape \(array.shape) of \(array.dtype.rawValue) does not continue \(concatenation.name)'s \(trailing ?? []) of \(dtype?.rawValue ?? "?")")
                }
                dtype = array.dtype
                trailing = Array(array.shape.dropFirst())
                rows += array.shape[0]
                sizes.append(array.storedData().count)
            }
            guard let dtype, let trailing else {
                throw FormatError.cannotWrite(file: path, reason: "\(concatenation.name) has no pieces to concatenate")
            }
            let header = NumpyArray.headerBytes(descr: NumpyArray.descr(dtype), shape: [rows] + trailing)
            let pieces = concatenation.pieces
            members.append(Member(name: concatenation.name, header: header, sizes: sizes, piece: { try NumpyArray.read(pieces[$0]).storedData() }))
        }
        try write(arrays, strings: strings, to: path, extra: members)
    }

    private static func write(_ arrays: [(name: String, array: NumpyArray)], strings: [(name: String, strings: NumpyStrings)],
                              to path: String, extra: [Member]) throws {
        var seen = Set(arrays.map(\.name) + strings.map(\.name))
        for member in extra where !seen.insert(member.name).inserted {
            throw FormatError.cannotWrite(file: path, reason: "two arrays are both named '\(member.name)'; .npz member names must be unique")
        }
        for (_, array) in arrays { try array.validate(file: path) }
        try writeMembers(arrays.map { entry in Member(name: entry.name, header: entry.array.headerBytes(), sizes: [entry.array.storedData().count], piece: { _ in entry.array.storedData() }) }
                         + strings.map { entry in
                             let (header, payload) = entry.strings.parts()
                             let data = payload.withUnsafeBytes { TensorData(copying: $0) }
                             return Member(name: entry.name, header: header, sizes: [data.count], piece: { _ in data })
                         } + extra, to: path)
    }

    /// One `.npy` member: its header, then its data in pieces loaded one at a time.
    private struct Member {
        var name: String
        var header: [UInt8]
        var sizes: [Int]
        var piece: (Int) throws -> TensorData
    }

    private static func writeMembers(_ members: [Member], to path: String) throws {
        try AtomicOutput.write(to: path) { temporary in
            do {
                let archive = try Archive(url: URL(fileURLWithPath: temporary), accessMode: .create)
                for member in members {
                    let header = member.header
                    let total = header.count + member.sizes.reduce(0, +)
                    var loaded: (index: Int, start: Int, data: TensorData)?
                    try archive.addEntry(with: member.name + ".npy", type: .file, uncompressedSize: Int64(total),
                                         compressionMethod: .none, bufferSize: 1 << 20) { position, size in
                        let start = Int(position), end = min(start + size, total)
                        var chunk = Data(capacity: max(end - start, 0))
                        if start < header.count {
                            header.withUnsafeBufferPointer { chunk.append($0.baseAddress! + start, count: min(end, header.count) - start) }
                        }
                        var offset = max(start, header.count) - header.count
                        let stop = end - header.count
                        while offset < stop {
                            // The piece holding `offset`.
                            var pieceStart = 0, pieceIndex = 0
                            while pieceIndex < member.sizes.count && pieceStart + member.sizes[pieceIndex] <= offset {
                                pieceStart += member.sizes[pieceIndex]
                                pieceIndex += 1
                            }
                            guard pieceIndex < member.sizes.count else { break }
                            if loaded?.index != pieceIndex {
                                loaded = nil
                                let data = try member.piece(pieceIndex)
                                guard data.count == member.sizes[pieceIndex] else {
                                    throw FormatError.cannotWrite(file: path, reason: "piece \(pieceIndex) of \(member.name) changed size while writing")
                                }
                                loaded = (pieceIndex, pieceStart, data)
                            }
                            guard let current = loaded else { break }
                            let from = offset - current.start
                            let count = min(stop - offset, member.sizes[pieceIndex] - from)
                            current.data.withUnsafeBytes { raw in
                                chunk.append(raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + from, count: count)
                            }
                            offset += count
                        }
                        return chunk
                    }
                }
            } catch let error as FormatError {
                throw error
            } catch {
                throw FormatError.io(file: path, reason: "cannot write the .npz zip archive (\(AtomicOutput.plainReason(error)))")
            }
        }
    }

    private static func malformed(_ file: String, _ location: String, _ expected: String) -> FormatError {
        .invalid(file: file, location: location, expected: expected)
    }

    private static func hex32(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    private enum InflateStop: Error { case truncated, tooLong }

    /// Inflates a raw deflate stream that must produce exactly `declaredSize` bytes. The inflater
    /// is fed only `source` (zero padding past its end, which a complete stream never reaches)
    /// and stopped as soon as it asks for more or produces more than declared.
    static func inflate(_ source: UnsafeRawBufferPointer, declaredSize: Int, file: String, location: String) throws -> Data {
        var output = Data()
        var provided = 0
        do {
            _ = try Data.decompress(size: Int64(source.count), bufferSize: 1 << 16, skipCRC32: true, provider: { _, size in
                guard provided < source.count, size > 0 else { throw InflateStop.truncated }
                let take = min(size, source.count - provided)
                var chunk = Data(count: size)
                chunk.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: source.baseAddress! + provided, byteCount: take) }
                provided += take
                return chunk
            }, consumer: { chunk in
                guard chunk.count <= declaredSize - output.count else { throw InflateStop.tooLong }
                output.append(chunk)
            })
        } catch InflateStop.truncated {
            throw malformed(file, location, "a complete deflate stream within its \(source.count) compressed bytes (the member is truncated or corrupt)")
        } catch InflateStop.tooLong {
            throw malformed(file, location, "\(declaredSize) bytes once inflated, as the directory records, found more")
        } catch {
            throw malformed(file, location, "a valid deflate stream (\(error))")
        }
        guard output.count == declaredSize else {
            throw malformed(file, location, "\(declaredSize) bytes once inflated, as the directory records, found \(output.count)")
        }
        return output
    }
}

// MARK: - Zip directory

/// The central directory of a zip archive, validated against the file's bytes.
enum ZipReader {
    /// The uncompressed bytes of one member, CRC-checked; never inflates past the declared size.
    static func extract(_ member: Member, from bytes: UnsafeRawBufferPointer, file: String) throws -> Data {
        let location = "zip member '\(member.name)'"
        let source = UnsafeRawBufferPointer(rebasing: bytes[member.dataStart..<(member.dataStart + member.compressedSize)])
        let data: Data
        switch member.method {
        case 0: data = Data(source)
        case 8: data = try NumpyArchive.inflate(source, declaredSize: member.uncompressedSize, file: file, location: location)
        default: throw FormatError.invalid(file: file, location: location, expected: "a stored or deflated member, found compression method \(member.method)")
        }
        let crc = data.withUnsafeBytes { ZipCRC32.checksum($0) }
        guard crc == member.crc32 else {
            throw FormatError.invalid(file: file, location: location, expected: "CRC-32 matching the directory (the member is corrupt)")
        }
        return data
    }

    /// Writes a member's bytes to a new file in the temporary directory and returns its path
    /// (the caller removes it). A stored member is copied from the mapping in 8 MiB pieces whose
    /// pages are released as they go, so memory stays small whatever the member's size; a
    /// deflated one is inflated first (bounded by the caller's inflation check). The CRC-32 is
    /// checked; on any error nothing is left behind.
    static func extractToScratchFile(_ member: Member, from file: MappedFile, archive: String) throws -> String {
        let location = "zip member '\(member.name)'"
        let directory = FileManager.default.temporaryDirectory.path
        var template = Array("\(directory)/.zoo-member-\(getpid())-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw FormatError.io(file: archive, reason: "cannot make a scratch file for \(location) in \(directory) (\(String(cString: strerror(errno)))); set TMPDIR to a writable folder")
        }
        let scratch = String(cString: template)
        var keep = false
        defer {
            close(fd)
            if !keep { unlink(scratch) }
        }
        func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
            do {
                try ZooFormats.writeAll(fd, bytes, path: scratch)
            } catch FormatError.io(_, let reason) {
                throw FormatError.io(file: archive, reason: "cannot extract \(location) to \(directory): \(reason); set TMPDIR to a folder with room for it")
            }
        }
        var crc: UInt32 = 0
        switch member.method {
        case 0:
            let piece = 8 << 20
            var start = member.dataStart
            let end = member.dataStart + member.compressedSize
            guard end <= file.bytes.count else {
                throw FormatError.invalid(file: archive, location: location, expected: "data inside the file")
            }
            while start < end {
                let stop = min(end, start + piece)
                let bytes = UnsafeRawBufferPointer(rebasing: file.bytes[start..<stop])
                crc = ZipCRC32.checksum(bytes, seed: crc)
                try writeAll(bytes)
                file.releasePages(start..<stop)
                start = stop
            }
        case 8:
            let data = try extract(member, from: file.bytes, file: archive)  // checks the CRC
            try data.withUnsafeBytes { try writeAll($0) }
            keep = true
            return scratch
        default:
            throw FormatError.invalid(file: archive, location: location, expected: "a stored or deflated member, found compression method \(member.method)")
        }
        guard crc == member.crc32 else {
            throw FormatError.invalid(file: archive, location: location, expected: "CRC-32 matching the directory (the member is corrupt)")
        }
        keep = true
        return scratch
    }

    struct Member {
        var name: String
        var method: UInt16
        var crc32: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        /// Offset of the member's (compressed) bytes in the file.
        var dataStart: Int

        /// Whether the member is compressed and inflates more than compressed HDF5 datasets may
        /// (`HDF5Dataset.maxInflation` above `inflationFloor`): a zip bomb, refused unread.
        var inflatesPastLimit: Bool {
            method != 0 && uncompressedSize > HDF5Dataset.inflationFloor
                && Double(uncompressedSize) > Double(max(compressedSize, 1)) * HDF5Dataset.maxInflation
        }
    }

    static let endSignature: UInt32 = 0x0605_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    static let zip64EndSignature: UInt32 = 0x0606_4B50
    static let centralSignature: UInt32 = 0x0201_4B50
    static let localSignature: UInt32 = 0x0403_4B50

    static func members(_ bytes: UnsafeRawBufferPointer, file: String) throws -> [Member] {
        func fail(_ expected: String, _ location: String = "zip directory") -> FormatError {
            .invalid(file: file, location: location, expected: expected)
        }
        func u16(_ offset: Int) -> Int { Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 }
        func u32(_ offset: Int) -> UInt32 { UInt32(u16(offset)) | UInt32(u16(offset + 2)) << 16 }
        func u64(_ offset: Int) -> UInt64 { UInt64(u32(offset)) | UInt64(u32(offset + 4)) << 32 }
        /// A size or offset from the file, checked to fit below `limit`.
        func checked(_ value: UInt64, atMost limit: Int, _ what: String) throws -> Int {
            guard limit >= 0, value <= UInt64(limit) else { throw fail("\(what) of at most \(limit) (the file is \(bytes.count) bytes), found \(value)") }
            return Int(value)
        }

        let size = bytes.count
        // The end-of-central-directory record: the last signature whose comment fits the file.
        var end: Int?
        if size >= 22 {
            var position = size - 22
            let lowest = max(0, size - 22 - 0xFFFF)
            while position >= lowest {
                if u32(position) == endSignature, position + 22 + u16(position + 20) <= size {
                    end = position
                    break
                }
                position -= 1
            }
        }
        guard let end else {
            if bytes.starts(with: NumpyArray.Layout.magic) {
                throw fail("a zip archive as np.savez writes, found a single .npy file (read it as .npy)")
            }
            throw fail("a zip archive as np.savez writes, found no end-of-central-directory record in the \(size)-byte file")
        }
        var disk = u16(end + 4), directoryDisk = u16(end + 6)
        var entriesHere = UInt64(u16(end + 8)), entries = UInt64(u16(end + 10))
        var directorySize = UInt64(u32(end + 12)), directoryOffset = UInt64(u32(end + 16))
        var directoryLimit = end
        if end >= 20, u32(end - 20) == zip64LocatorSignature {
            let locator = end - 20
            let record = try checked(u64(locator + 8), atMost: locator - 56, "a zip64 end record offset")
            guard u32(record) == zip64EndSignature else {
                throw fail("a zip64 end-of-central-directory record at offset \(record), found none")
            }
            disk = Int(u32(record + 16))
            directoryDisk = Int(u32(record + 20))
            entriesHere = u64(record + 24)
            entries = u64(record + 32)
            directorySize = u64(record + 40)
            directoryOffset = u64(record + 48)
            directoryLimit = record
            guard u32(locator + 16) <= 1 else { throw fail("a single-disk zip archive, found a multi-disk one") }
        }
        guard disk == 0, directoryDisk == 0, entriesHere == entries else {
            throw fail("a single-disk zip archive, found a multi-disk one")
        }
        let directoryStart = try checked(directoryOffset, atMost: directoryLimit, "a central directory offset")
        let directoryEnd = directoryStart + (try checked(directorySize, atMost: directoryLimit - directoryStart, "a central directory size"))

        var members: [Member] = []
        var offset = directoryStart
        while offset < directoryEnd {
            guard directoryEnd - offset >= 46, u32(offset) == centralSignature else {
                throw fail("a central directory entry at offset \(offset), found \(NumpyArray.Layout.hex(bytes[offset..<min(offset + 4, directoryEnd)]))")
            }
            let flags = u16(offset + 8), method = UInt16(u16(offset + 10))
            let crc = u32(offset + 16)
            var compressed = UInt64(u32(offset + 20)), uncompressed = UInt64(u32(offset + 24))
            let nameLength = u16(offset + 28), extraLength = u16(offset + 30), commentLength = u16(offset + 32)
            var startDisk = UInt64(u16(offset + 34))
            var localOffset = UInt64(u32(offset + 42))
            let next = offset + 46 + nameLength + extraLength + commentLength
            guard next <= directoryEnd else { throw fail("a central directory entry within the directory at offset \(offset)") }
            let nameBytes = bytes[(offset + 46)..<(offset + 46 + nameLength)]
            let name = String(decoding: nameBytes, as: UTF8.self)
            let location = "zip member '\(PythonLiteral.clip(name))'"

            // Zip64 extra field: the 64-bit values of whichever fields are saturated, in order.
            var extra = offset + 46 + nameLength
            let extraEnd = extra + extraLength
            while extraEnd - extra >= 4 {
                let id = u16(extra), length = u16(extra + 2)
                let body = extra + 4
                guard length <= extraEnd - body else { throw fail("extra fields within their declared length", location) }
                if id == 0x0001 {
                    var field = body
                    func next64() throws -> UInt64 {
                        guard body + length - field >= 8 else { throw fail("a complete zip64 extra field", location) }
                        defer { field += 8 }
                        return u64(field)
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try next64() }
                    if compressed == 0xFFFF_FFFF { compressed = try next64() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try next64() }
                    if startDisk == 0xFFFF, body + length - field >= 4 { startDisk = UInt64(u32(field)) }
                }
                extra = body + length
            }
            guard startDisk == 0 else { throw fail("a single-disk zip archive, found a multi-disk one", location) }
            guard flags & 0x1 == 0 else { throw fail("an unencrypted member, found an encrypted one", location) }
            guard method == 0 || method == 8 else {
                throw fail("a stored or deflated member (np.savez, np.savez_compressed), found compression method \(method)", location)
            }

            // The local header, which must agree on the name; the data follows it.
            let local = try checked(localOffset, atMost: size - 30, "a local header offset")
            guard u32(local) == localSignature else { throw fail("a local file header at offset \(local)", location) }
            let localNameLength = u16(local + 26), localExtraLength = u16(local + 28)
            let dataStart = local + 30 + localNameLength + localExtraLength
            guard dataStart <= size else { throw fail("a local file header within the file", location) }
            guard bytes[(local + 30)..<(local + 30 + localNameLength)].elementsEqual(nameBytes) else {
                throw fail("the same name in the local header as in the central directory", location)
            }
            let compressedSize = try checked(compressed, atMost: size - dataStart, "\(location): a compressed size")
            guard uncompressed <= UInt64(Int.max) else { throw fail("an uncompressed size that fits in \(Int.bitWidth) bits, found \(uncompressed)", location) }
            if method == 0, compressed != uncompressed {
                throw fail("equal compressed and uncompressed sizes for a stored member, found \(compressed) and \(uncompressed)", location)
            }
            members.append(Member(name: name, method: method, crc32: crc, compressedSize: compressedSize,
                                  uncompressedSize: Int(uncompressed), dataStart: dataStart))
            offset = next
        }
        guard UInt64(members.count) == entries else {
            throw fail("\(entries) central directory entries as the end record says, found \(members.count)")
        }
        return members
    }
}

/// CRC-32 (the zip / zlib polynomial), slicing by 8 bytes.
enum ZipCRC32 {
    static let table: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for index in 0..<256 {
            var value = UInt32(index)
            for _ in 0..<8 { value = value & 1 != 0 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1 }
            table[index] = value
        }
        for slice in 1..<8 {
            for index in 0..<256 {
                let previous = table[(slice - 1) * 256 + index]
                table[slice * 256 + index] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
        return table
    }()

    static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        var crc = ~seed
        let count = bytes.count
        var index = 0
        table.withUnsafeBufferPointer { t in
            while count - index >= 8 {
                let low = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self)) ^ crc
                let high = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index + 4, as: UInt32.self))
                crc = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                index += 8
            }
            while index < count {
                crc = t[Int((crc ^ UInt32(bytes[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
        }
        return ~crc
    }
}
