import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open HDF5 file. The file closes when the last copy of it and of every object opened from
/// it goes away.
public struct HDF5File: Sendable {
    /// How to open an existing file.
    public enum Mode: Sendable { case readOnly, readWrite }

    /// The path as given, used in every error message.
    public let fileName: String
    let handle: HDF5Handle

    /// Opens an existing file.
    ///
    /// Throws `.fileNotFound`, `.isDirectory` or `.notHDF5` with the file name before libhdf5 is
    /// asked, so the common mistakes get a plain message rather than a libhdf5 stack.
    ///
    /// With `HDF5Sandbox.current` set, the file is first parsed in the sandbox process.
    public static func open(_ path: String, mode: Mode = .readOnly) throws -> HDF5File {
        try open(path, mode: mode, sandboxed: true)
    }

    /// Opens an existing file read-only under another name for errors (a scratch copy of an
    /// archive member, named `archive.keras:model.weights.h5`).
    public static func open(_ path: String, name: String) throws -> HDF5File {
        try open(path, mode: .readOnly, sandboxed: true, name: name)
    }

    static func open(_ path: String, mode: Mode = .readOnly, sandboxed: Bool, name: String? = nil) throws -> HDF5File {
        HDF5Library.prepare()
        let label = name ?? path
        var info = stat()
        guard stat(path, &info) == 0 else { throw HDF5Error.fileNotFound(file: label) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw HDF5Error.isDirectory(file: label) }
        let snapshot = sandboxed ? try HDF5Sandbox.checkIfInstalled(path: path, name: label) : nil
        guard H5Fis_hdf5(path) > 0 else {
            _ = HDF5Library.takeErrorMessage()
            throw HDF5Error.notHDF5(file: label)
        }
        let flags = mode == .readOnly ? zoo_h5f_acc_rdonly() : zoo_h5f_acc_rdwr()
        let id = H5Fopen(path, flags, zoo_h5p_default())
        let handle = try HDF5Library.own(id, .file, "opening file", file: label, path: "/")
        // A snapshot only for reading: writes would make it stale.
        HDF5AttributeSnapshot.install(mode == .readOnly ? snapshot : nil, forFile: handle.id)
        return HDF5File(fileName: label, handle: handle)
    }

    /// Opens an HDF5 file held in memory (such as `model.weights.h5` inside a `.keras` zip),
    /// read-only, through libhdf5's core driver; `name` is used in error messages.
    /// With `HDF5Sandbox.current` set, the image is first parsed in the sandbox process.
    public static func open(image: [UInt8], name: String) throws -> HDF5File {
        try open(image: image, name: name, sandboxed: true)
    }

    static func open(image: [UInt8], name: String, sandboxed: Bool) throws -> HDF5File {
        HDF5Library.prepare()
        guard image.count >= 8, image.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]) else {
            throw HDF5Error.notHDF5(file: name)
        }
        let snapshot = sandboxed ? try HDF5Sandbox.checkIfInstalled(image: image, name: name) : nil
        let fapl = try HDF5Library.own(H5Pcreate(zoo_h5p_file_access()), .propertyList, "opening in-memory file", file: name, path: "/")
        try HDF5Library.check(H5Pset_fapl_core(fapl.id, 1 << 16, false), "opening in-memory file", file: name, path: "/")
        let status = image.withUnsafeBytes { H5Pset_file_image(fapl.id, UnsafeMutableRawPointer(mutating: $0.baseAddress), $0.count) }
        try HDF5Library.check(status, "opening in-memory file", file: name, path: "/")
        let id = H5Fopen(name, zoo_h5f_acc_rdonly(), fapl.id)
        let handle = try HDF5Library.own(id, .file, "opening in-memory file", file: name, path: "/")
        HDF5AttributeSnapshot.install(snapshot, forFile: handle.id)
        return HDF5File(fileName: name, handle: handle)
    }

    /// Creates a new file; with `overwrite` false an existing file is an error.
    public static func create(_ path: String, overwrite: Bool = true) throws -> HDF5File {
        HDF5Library.prepare()
        let flags = overwrite ? zoo_h5f_acc_trunc() : zoo_h5f_acc_excl()
        let id = H5Fcreate(path, flags, zoo_h5p_default(), zoo_h5p_default())
        let handle = try HDF5Library.own(id, .file, "creating file", file: path, path: "/")
        HDF5AttributeSnapshot.install(nil, forFile: handle.id)
        return HDF5File(fileName: path, handle: handle)
    }

    /// Whether the file at `path` starts with an HDF5 signature (false for missing files too).
    public static func isHDF5(_ path: String) -> Bool {
        HDF5Library.prepare()
        let result = H5Fis_hdf5(path)
        if result < 0 { _ = HDF5Library.takeErrorMessage() }
        return result > 0
    }

    /// The root group `/`.
    public func root() throws -> HDF5Group {
        let id = H5Gopen2(handle.id, "/", zoo_h5p_default())
        let group = try HDF5Library.own(id, .group, "opening root group", file: fileName, path: "/")
        return HDF5Group(fileName: fileName, path: "/", handle: group)
    }

    /// Writes buffered data to disk.
    public func flush() throws {
        HDF5Library.prepare()
        try HDF5Library.check(H5Fflush(handle.id, H5F_SCOPE_GLOBAL), "flushing", file: fileName, path: "/")
    }

    /// Number of identifiers open in this file (the file itself included), for leak checks:
    /// once every group, dataset and attribute value is gone, this is 1.
    public var openObjectCount: Int {
        HDF5Library.prepare()
        return Int(H5Fget_obj_count(handle.id, zoo_h5f_obj_all()))
    }

    /// The libhdf5 version linked in, such as "1.10.8".
    public static var libraryVersion: String {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        H5get_libversion(&major, &minor, &release)
        return "\(major).\(minor).\(release)"
    }

    /// Whether the linked libhdf5 serialises calls itself (a thread-safe build).
    public static var isThreadSafe: Bool {
        var safe: hbool_t = false
        H5is_library_threadsafe(&safe)
        return safe
    }
}
