import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every attribute of a file, as the sandbox process read it (`HDF5Sandbox`).
///
/// libhdf5 1.10 decodes an attribute message with offsets taken from the file and copies from
/// past the end of its buffer when they lie, so the outcome depends on what happens to lie in
/// the reading process's heap: the probe child can read such a file cleanly and the caller then
/// crash on the same attribute. So attributes are decoded once, in the child, and sent back:
/// while a file with a snapshot is open, `attribute(_:)`, `hasAttribute(_:)` and
/// `attributeNames()` answer from it and libhdf5 never decodes an attribute in-process.
/// Objects are keyed by their address in the file, so any path that reaches an object finds it.
final class HDF5AttributeSnapshot: Sendable {
    /// One object's attributes in name order; a nil value is one the child could not decode
    /// (zoo's own refusal, such as an unsupported type): that one is read in-process again,
    /// where the same check refuses it the same way.
    typealias Attributes = [(name: String, value: HDF5AttributeValue?)]

    let objects: [UInt64: Attributes]

    init(objects: [UInt64: Attributes]) {
        self.objects = objects
    }

    // MARK: Wire format (child -> parent, on the child's stdout)

    private static let magic: [UInt8] = Array("ZOOATTR1".utf8)

    /// The snapshot as bytes: magic, object count, then per object its address, attribute
    /// count and, per attribute, its name and a tagged value (little-endian lengths).
    func encoded() -> [UInt8] {
        var out = HDF5AttributeSnapshot.magic
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func text(_ s: String) { u64(UInt64(s.utf8.count)); out.append(contentsOf: s.utf8) }
        u64(UInt64(objects.count))
        for (address, attributes) in objects {
            u64(address)
            u64(UInt64(attributes.count))
            for (name, value) in attributes {
                text(name)
                switch value {
                case nil: out.append(0)
                case .string(let s)?: out.append(1); text(s)
                case .strings(let list)?: out.append(2); u64(UInt64(list.count)); list.forEach(text)
                case .integer(let i)?: out.append(3); u64(UInt64(bitPattern: i))
                case .integers(let list)?: out.append(4); u64(UInt64(list.count)); list.forEach { u64(UInt64(bitPattern: $0)) }
                case .double(let d)?: out.append(5); u64(d.bitPattern)
                case .doubles(let list)?: out.append(6); u64(UInt64(list.count)); list.forEach { u64($0.bitPattern) }
                case .unsupported(let s)?: out.append(7); text(s)
                }
            }
        }
        return out
    }

    /// Decodes `encoded()`; nil when the bytes are not exactly one whole snapshot.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> HDF5AttributeSnapshot? {
        var offset = 0
        func take(_ count: Int) -> UnsafeRawBufferPointer? {
            guard count >= 0, count <= bytes.count - offset else { return nil }
            defer { offset += count }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        }
        func u64() -> UInt64? {
            guard let raw = take(8) else { return nil }
            var value: UInt64 = 0
            withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: raw) }
            return UInt64(littleEndian: value)
        }
        func count() -> Int? {
            guard let value = u64(), value <= UInt64(bytes.count) else { return nil }
            return Int(value)
        }
        func text() -> String? {
            guard let length = count(), let raw = take(length) else { return nil }
            return String(decoding: raw, as: UTF8.self)
        }
        func list<T>(_ element: () -> T?) -> [T]? {
            guard let n = count() else { return nil }
            var items: [T] = []
            items.reserveCapacity(min(n, 1 << 16))
            for _ in 0..<n {
                guard let item = element() else { return nil }
                items.append(item)
            }
            return items
        }
        guard let head = take(magic.count), head.elementsEqual(magic), let objectCount = count() else { return nil }
        var objects: [UInt64: Attributes] = [:]
        for _ in 0..<objectCount {
            guard let address = u64(), let n = count() else { return nil }
            var attributes: Attributes = []
            for _ in 0..<n {
                guard let name = text(), let tag = take(1)?.first else { return nil }
                let value: HDF5AttributeValue?
                switch tag {
                case 0: value = nil
                case 1: guard let s = text() else { return nil }; value = .string(s)
                case 2: guard let l = list(text) else { return nil }; value = .strings(l)
                case 3: guard let v = u64() else { return nil }; value = .integer(Int64(bitPattern: v))
                case 4: guard let l = list({ u64().map { Int64(bitPattern: $0) } }) else { return nil }; value = .integers(l)
                case 5: guard let v = u64() else { return nil }; value = .double(Double(bitPattern: v))
                case 6: guard let l = list({ u64().map { Double(bitPattern: $0) } }) else { return nil }; value = .doubles(l)
                case 7: guard let s = text() else { return nil }; value = .unsupported(s)
                default: return nil
                }
                attributes.append((name, value))
            }
            objects[address] = attributes
        }
        guard offset == bytes.count, objects.count == objectCount else { return nil }
        return HDF5AttributeSnapshot(objects: objects)
    }

    // MARK: The open files that have one

    private final class Registry: @unchecked Sendable {
        var lock = pthread_mutex_t()
        /// By libhdf5's file number, which is unique among the files open at one time: a file
        /// opened later under a reused number sets or clears its own entry when it opens.
        var files: [UInt: HDF5AttributeSnapshot] = [:]
        init() { pthread_mutex_init(&lock, nil) }
        func locked<T>(_ body: (Registry) -> T) -> T {
            pthread_mutex_lock(&lock)
            defer { pthread_mutex_unlock(&lock) }
            return body(self)
        }
    }
    private static let registry = Registry()

    /// Where an object lives: libhdf5's file number and the object's address (basic info
    /// only, which reads no attribute).
    static func location(of id: hid_t) -> (file: UInt, address: UInt64)? {
        var info = H5O_info_t()
        guard H5Oget_info2(id, &info, H5O_INFO_BASIC) >= 0 else {
            _ = HDF5Library.takeErrorMessage()
            return nil
        }
        return (UInt(info.fileno), UInt64(info.addr))
    }

    /// Makes `snapshot` (or none) the attribute source of the open file `fileID`.
    static func install(_ snapshot: HDF5AttributeSnapshot?, forFile fileID: hid_t) {
        guard let file = location(of: fileID)?.file else { return }
        registry.locked { $0.files[file] = snapshot }
    }

    /// The attributes of the object `id` from its file's snapshot: nil when its file has none
    /// or the child never reached the object (then libhdf5 reads them in-process).
    static func attributes(of id: hid_t) -> Attributes? {
        guard let (file, address) = location(of: id) else { return nil }
        guard let snapshot = registry.locked({ $0.files[file] }) else { return nil }
        return snapshot.objects[address]
    }
}
