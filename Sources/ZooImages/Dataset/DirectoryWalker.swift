#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lists files the way Python's `os.walk(top, followlinks=...)` does, which is how Keras's
/// `index_directory` finds images: every entry that is not a directory (following symlinks to
/// decide) is a file; subdirectories are entered, symlinked ones only when `followLinks` is set.
/// Unlike Python, a symlink cycle is entered once, never forever.
struct DirectoryWalker {
    var followLinks: Bool

    /// `(root, sorted file names)` for `top` and every directory below it, in no fixed order;
    /// roots are paths relative to `top` ("" for `top` itself).
    func walk(_ top: String) throws -> [(root: String, files: [String])] {
        var result: [(root: String, files: [String])] = []
        var visited = Set<FileIdentity>()
        var pending: [String] = [""]
        if let identity = FileIdentity(path: top) { visited.insert(identity) }
        while let relative = pending.popLast() {
            let absolute = relative.isEmpty ? top : top + "/" + relative
            guard let stream = opendir(absolute) else {
                if relative.isEmpty {
                    throw ImageError.unreadable(file: top, reason: "cannot list the directory (\(String(cString: strerror(errno))))")
                }
                continue  // os.walk skips unreadable subdirectories (onerror=None)
            }
            var files: [String] = []
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name == "." || name == ".." { continue }
                let path = absolute + "/" + name
                var info = stat()
                let isDirectory = stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
                if !isDirectory {
                    files.append(name)
                    continue
                }
                var linkInfo = stat()
                let isLink = lstat(path, &linkInfo) == 0 && (linkInfo.st_mode & S_IFMT) == S_IFLNK
                if isLink && !followLinks { continue }
                if visited.insert(FileIdentity(info)).inserted {
                    pending.append(relative.isEmpty ? name : relative + "/" + name)
                }
            }
            closedir(stream)
            result.append((relative, files.sorted(by: PythonOrder.less)))
        }
        return result
    }
}

/// A directory's device and inode, to enter each directory once.
private struct FileIdentity: Hashable {
    var device: UInt64
    var inode: UInt64

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }
}

/// Python's string order: code point by code point, no Unicode normalisation (Swift's `<`
/// compares canonically equivalent strings as equal, Python does not).
enum PythonOrder {
    static func less(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
    }
}
