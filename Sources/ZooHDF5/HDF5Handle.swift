import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns one libhdf5 identifier and closes it exactly once, when the last reference goes away.
///
/// Value types in this module (`HDF5File`, `HDF5Group`, `HDF5Dataset`) share a handle, so copying
/// them is cheap and no identifier is closed twice or leaked when an error is thrown half-way.
/// libhdf5 here is a thread-safe build that serialises calls, so handles may cross threads.
public final class HDF5Handle: @unchecked Sendable {
    enum Kind: Sendable { case file, group, dataset, attribute, datatype, dataspace, propertyList }

    let id: hid_t
    let kind: Kind

    /// Takes ownership of `id`; returns nil (and owns nothing) when `id` is negative.
    init?(_ id: hid_t, kind: Kind) {
        guard id >= 0 else { return nil }
        self.id = id
        self.kind = kind
    }

    deinit {
        zoo_h5_prepare_thread()
        switch kind {
        case .file: HDF5Handle.close(file: id)
        case .group: H5Gclose(id)
        case .dataset: H5Dclose(id)
        case .attribute: H5Aclose(id)
        case .datatype: H5Tclose(id)
        case .dataspace: H5Sclose(id)
        case .propertyList: H5Pclose(id)
        }
    }
}

extension HDF5Handle {
    /// Closes a file. When its buffered data cannot be written (the disk is full), libhdf5
    /// 1.10 cannot close it any more ("slist already enabled?"): it stays open inside the
    /// library until the process ends (no exit handler retries it: see `zoo_h5_prepare_thread`).
    /// Such a file is an unfinished output about to be removed, so it is emptied on disk first:
    /// its space is freed at once, not when the process exits.
    static func close(file id: hid_t) {
        var intent: UInt32 = 0
        let writable = H5Fget_intent(id, &intent) >= 0 && intent & zoo_h5f_acc_rdwr() != 0
        if writable && H5Fflush(id, H5F_SCOPE_LOCAL) < 0 {
            _ = HDF5Library.takeErrorMessage()
            var handle: UnsafeMutableRawPointer?
            if H5Fget_vfd_handle(id, zoo_h5p_default(), &handle) >= 0, let handle {
                _ = ftruncate(handle.assumingMemoryBound(to: Int32.self).pointee, 0)
            }
            _ = HDF5Library.takeErrorMessage()
        }
        if H5Fclose(id) < 0 { _ = HDF5Library.takeErrorMessage() }
    }
}

/// Shared helpers for calling libhdf5 and turning failures into `HDF5Error`.
enum HDF5Library {
    /// Must run before any libhdf5 call on a thread: turns off stderr printing for that thread.
    @inline(__always)
    static func prepare() { zoo_h5_prepare_thread() }

    /// Takes (and clears) the calling thread's libhdf5 error stack as one line of text.
    static func takeErrorMessage() -> String {
        var buffer = [CChar](repeating: 0, count: 2048)
        let length = buffer.withUnsafeMutableBufferPointer { zoo_h5e_take_message($0.baseAddress, $0.count) }
        let bytes = buffer.prefix(length).map { UInt8(bitPattern: $0) }
        let message = String(decoding: bytes, as: UTF8.self)
        // A failed system call: libhdf5's innermost entry dumps the buffer, offsets and a time
        // stamp around the one part that matters, "error message = 'No space left on device'".
        if let start = message.firstRange(of: "error message = '"),
           let end = message[start.upperBound...].firstIndex(of: "'") {
            return String(message[start.upperBound..<end])
        }
        return message
    }

    static func failure(_ operation: String, file: String, path: String) -> HDF5Error {
        .library(operation: operation, file: file, path: path, message: takeErrorMessage())
    }

    /// Wraps a new identifier in a handle or throws the library's error.
    static func own(_ id: hid_t, _ kind: HDF5Handle.Kind, _ operation: String, file: String, path: String) throws -> HDF5Handle {
        guard let handle = HDF5Handle(id, kind: kind) else { throw failure(operation, file: file, path: path) }
        return handle
    }

    /// Throws the library's error when a status is negative.
    static func check(_ status: herr_t, _ operation: String, file: String, path: String) throws {
        if status < 0 { throw failure(operation, file: file, path: path) }
    }

    /// Joins a parent path and a child name into an absolute HDF5 path.
    static func join(_ parent: String, _ name: String) -> String {
        if parent == "/" || parent.isEmpty { return "/" + name }
        return parent + "/" + name
    }
}
