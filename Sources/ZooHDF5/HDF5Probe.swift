import CHDF5

/// Touches everything libhdf5 can be made to parse in a file: every group and link, every
/// attribute's value, every dataset's layout, and the data of every chunked or filtered dataset
/// (in pieces, so memory stays small whatever the file declares; contiguous unfiltered data is
/// a plain copy of file bytes, so it is not read).
///
/// This is what the sandbox process runs (`HDF5Sandbox`): if libhdf5 is going to crash, hang
/// or blow up on the file, it does so here, in the child, before the caller parses it. Errors
/// on one object do not stop the walk (the caller may read objects after it), so it goes on
/// to the next and returns what it found.
public enum HDF5Probe {
    /// What a walk saw.
    public struct Summary: Sendable, Equatable {
        public var groups = 0
        public var datasets = 0
        public var attributes = 0
        public var bytesRead = 0
        /// Errors met on the way (typed, from this wrapper; the walk went on after each).
        public var errors: [String] = []
    }

    /// Walks the file at `path`.
    public static func walk(path: String) -> Summary {
        walk { try HDF5File.open(path, sandboxed: false) }
    }

    /// Walks an in-memory HDF5 image (a `.keras` member), named `name` in errors.
    public static func walk(image: [UInt8], name: String) -> Summary {
        walk { try HDF5File.open(image: image, name: name, sandboxed: false) }
    }

    private static func walk(_ open: () throws -> HDF5File) -> Summary {
        var summary = Summary()
        do {
            let file = try open()
            let root = try file.root()
            var visited = Set<haddr_t>()
            visit(root, summary: &summary, visited: &visited)
        } catch {
            summary.errors.append("\(error)")
        }
        return summary
    }

    private static func address(of object: some HDF5Object) -> haddr_t? {
        var info = H5O_info_t()
        guard H5Oget_info(object.handle.id, &info) >= 0 else {
            _ = HDF5Library.takeErrorMessage()
            return nil
        }
        return info.addr
    }

    private static func readAttributes(of object: some HDF5Object, summary: inout Summary) {
        do {
            for name in try object.attributeNames() {
                summary.attributes += 1
                do { _ = try object.attribute(name) } catch { summary.errors.append("\(error)") }
            }
        } catch {
            summary.errors.append("\(error)")
        }
    }

    private static func visit(_ group: HDF5Group, summary: inout Summary, visited: inout Set<haddr_t>) {
        if let address = address(of: group) {
            guard visited.insert(address).inserted else { return }
        }
        summary.groups += 1
        readAttributes(of: group, summary: &summary)
        let links: [HDF5Link]
        do { links = try group.children() } catch {
            summary.errors.append("\(error)")
            return
        }
        for link in links {
            do {
                switch link.kind {
                case .group:
                    visit(try group.group(link.name), summary: &summary, visited: &visited)
                case .dataset:
                    let dataset = try group.dataset(link.name)
                    if let address = address(of: dataset) {
                        guard visited.insert(address).inserted else { continue }
                    }
                    summary.datasets += 1
                    readAttributes(of: dataset, summary: &summary)
                    try read(dataset, summary: &summary)
                case .datatype, .other:
                    continue
                }
            } catch {
                summary.errors.append("\(error)")
            }
        }
    }

    private static func read(_ dataset: HDF5Dataset, summary: inout Summary) throws {
        switch dataset.elementType {
        case .string:
            // Variable-length strings live in the global heap, where a flipped byte crashes
            // libhdf5 1.10: read them too (bounded count).
            guard dataset.elementCount <= 1 << 20 else { return }
            summary.bytesRead += try dataset.readStrings().reduce(0) { $0 + $1.utf8.count }
        case .unsupported:
            return
        default:
            // Contiguous unfiltered data is copied from the file as it is (its layout was parsed
            // when the dataset opened): only chunked or filtered data goes through the B-tree
            // and filter code a damaged file can crash. Reading it would double the time to open
            // a 553 MB VGG16 for nothing.
            if dataset.isPlainContiguous { return }
            try dataset.readPieces(maxBytes: 4 << 20) { summary.bytesRead += $0.count }
        }
    }
}
