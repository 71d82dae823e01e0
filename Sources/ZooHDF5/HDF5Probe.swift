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
        /// The first error libhdf5 itself reported after the file opened (a damaged structure,
        /// not one of zoo's own refusals), without the file name: `operation failed at HDF5
        /// path 'P': message`. libhdf5's state after such an error is not to be trusted (1.10
        /// has been seen to allocate gigabytes on the next read), so the sandbox refuses the file.
        public var damage: String?

        mutating func record(_ error: Error) {
            errors.append("\(error)")
            if damage == nil, case HDF5Error.library(let operation, _, let path, let message) = error {
                damage = "\(operation) failed at HDF5 path '\(path)'" + (message.isEmpty ? "" : ": \(message)")
            }
        }
    }

    /// Walks the file at `path`.
    public static func walk(path: String) -> Summary {
        walkKeepingAttributes(path: path).summary
    }

    /// Walks an in-memory HDF5 image (a `.keras` member), named `name` in errors.
    public static func walk(image: [UInt8], name: String) -> Summary {
        walkKeepingAttributes(image: image, name: name).summary
    }

    /// A walk's summary and every attribute it decoded (what the sandbox sends back).
    struct Walk {
        var summary = Summary()
        var attributes: [UInt64: HDF5AttributeSnapshot.Attributes] = [:]
    }

    static func walkKeepingAttributes(path: String) -> Walk {
        walk { try HDF5File.open(path, sandboxed: false) }
    }

    static func walkKeepingAttributes(image: [UInt8], name: String) -> Walk {
        walk { try HDF5File.open(image: image, name: name, sandboxed: false) }
    }

    private static func walk(_ open: () throws -> HDF5File) -> Walk {
        var walk = Walk()
        let file: HDF5File
        do { file = try open() } catch {
            // Not opening is deterministic: the in-process open fails the same way.
            walk.summary.errors.append("\(error)")
            return walk
        }
        do {
            var visited = Set<UInt64>()
            visit(try file.root(), walk: &walk, visited: &visited)
        } catch {
            walk.summary.record(error)
        }
        return walk
    }

    private static func readAttributes(of object: some HDF5Object, at address: UInt64?, walk: inout Walk) {
        var kept: HDF5AttributeSnapshot.Attributes = []
        do {
            for name in try object.attributeNames() {
                walk.summary.attributes += 1
                do {
                    if let value = try object.readAttribute(name) { kept.append((name, value)) }
                } catch {
                    walk.summary.record(error)
                    kept.append((name, nil))
                }
            }
        } catch {
            walk.summary.record(error)
            return
        }
        if let address { walk.attributes[address] = kept }
    }

    private static func visit(_ group: HDF5Group, walk: inout Walk, visited: inout Set<UInt64>) {
        let address = HDF5AttributeSnapshot.location(of: group.handle.id)?.address
        if let address {
            guard visited.insert(address).inserted else { return }
        }
        walk.summary.groups += 1
        readAttributes(of: group, at: address, walk: &walk)
        let links: [HDF5Link]
        do { links = try group.children() } catch {
            walk.summary.record(error)
            return
        }
        for link in links {
            do {
                switch link.kind {
                case .group:
                    visit(try group.group(link.name), walk: &walk, visited: &visited)
                case .dataset:
                    let dataset = try group.dataset(link.name)
                    let address = HDF5AttributeSnapshot.location(of: dataset.handle.id)?.address
                    if let address {
                        guard visited.insert(address).inserted else { continue }
                    }
                    walk.summary.datasets += 1
                    readAttributes(of: dataset, at: address, walk: &walk)
                    try read(dataset, summary: &walk.summary)
                case .datatype, .other:
                    continue
                }
            } catch {
                walk.summary.record(error)
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
