import Foundation

/// A list of image files with integer labels, indexed as Keras's `image_dataset_from_directory`
/// indexes them (and two more sources Keras users reach for: a flat folder, a CSV list).
///
/// Only the list lives in memory (paths and labels); images are decoded batch by batch by an
/// `ImageBatchLoader`, so a dataset of ten million files costs its path strings, not its pixels.
public struct ImageDataset: Sendable, Equatable {
    /// One file of the dataset.
    public struct Record: Sendable, Hashable {
        /// The path relative to the dataset's `root` (`cats/001.jpg`), as stored in outputs.
        public var path: String
        /// The class index, or -1 when the dataset has no labels.
        public var label: Int32

        /// A record of `path` (relative to the root) and `label`.
        public init(path: String, label: Int32) {
            self.path = path
            self.label = label
        }
    }

    /// The directory paths are relative to.
    public var root: String
    /// The files, in dataset order.
    public var records: [Record]
    /// The class names, index `i` naming label `i`; empty for an unlabelled dataset.
    public var classNames: [String]

    /// Keras's default allowed extensions (`ALLOWLIST_FORMATS`), compared case-insensitively.
    public static let kerasExtensions = [".bmp", ".gif", ".jpeg", ".jpg", ".png"]

    /// A dataset built by the caller.
    public init(root: String, records: [Record], classNames: [String]) {
        self.root = root
        self.records = records
        self.classNames = classNames
    }

    /// The absolute (or root-prefixed) path of record `index`.
    public func filePath(_ index: Int) -> String {
        root.isEmpty ? records[index].path : (root as NSString).appendingPathComponent(records[index].path)
    }

    /// The labels, in dataset order.
    public var labels: [Int32] { records.map(\.label) }

    // MARK: - Sources

    /// A directory of class folders, labels inferred as Keras infers them: every subdirectory not
    /// starting with "." is a class, in alphanumeric (code point) order unless `classNames` gives
    /// the order (a subset of the folders); each class folder is walked recursively, folders
    /// sorted by path and files by name; a file counts when its lowercased name ends with one of
    /// `extensions`. With `followLinks`, symlinked subdirectories inside class folders are walked.
    public static func classFolders(_ directory: String, classNames: [String]? = nil, followLinks: Bool = false,
                                    extensions: [String] = kerasExtensions) throws -> ImageDataset {
        var folders: [String] = []
        for name in try listDirectory(directory).sorted(by: PythonOrder.less) where !name.hasPrefix(".") {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(name), isDirectory: &isDirectory), isDirectory.boolValue {
                folders.append(name)
            }
        }
        if let classNames {
            let missing = classNames.filter { !folders.contains($0) }
            guard missing.isEmpty, Set(classNames).count == classNames.count else {
                throw ImageError.invalidArgument("\(directory): class names \(classNames) must be distinct subdirectories; the subdirectories are \(folders)" + (missing.isEmpty ? "" : ", missing \(missing)"))
            }
            folders = classNames
        }
        guard !folders.isEmpty else {
            throw ImageError.invalidArgument("\(directory): no class folders (subdirectories) found; for a folder of unlabelled images use a flat dataset (labels none)")
        }
        let walker = DirectoryWalker(followLinks: followLinks)
        var records: [Record] = []
        for (label, folder) in folders.enumerated() {
            let classDirectory = (directory as NSString).appendingPathComponent(folder)
            for file in try matchingFiles(walker.walk(classDirectory), extensions: extensions) {
                records.append(Record(path: folder + "/" + file, label: Int32(label)))
            }
        }
        return ImageDataset(root: directory, records: records, classNames: folders)
    }

    /// Every image below `directory` (recursively, Keras's `labels=None`), unlabelled (-1).
    public static func flatFolder(_ directory: String, followLinks: Bool = false, extensions: [String] = kerasExtensions) throws -> ImageDataset {
        _ = try listDirectory(directory)
        let files = try matchingFiles(DirectoryWalker(followLinks: followLinks).walk(directory), extensions: extensions)
        return ImageDataset(root: directory, records: files.map { Record(path: $0, label: -1) }, classNames: [])
    }

    /// A CSV file list: `path,label` rows (RFC 4180 quoting; an optional header row whose first
    /// field is `path`, `file` or `filename`). Paths are relative to the CSV's folder unless
    /// absolute. Labels are integers, or class names that are then numbered in sorted order (as
    /// Keras numbers a label list); a row without a label leaves the dataset unlabelled only if no
    /// row has one.
    public static func csvList(_ file: String) throws -> ImageDataset {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ImageError.unreadable(file: file, reason: "cannot read the CSV file list")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ImageError.invalidArgument("\(file): the CSV file list is not UTF-8 text")
        }
        var rows = try CSVRows.parse(text, file: file)
        if let first = rows.first, let head = first.first?.lowercased(), ["path", "file", "filename", "filepath"].contains(head) { rows.removeFirst() }
        rows.removeAll { $0.count == 1 && $0[0].isEmpty }
        guard !rows.isEmpty else { throw ImageError.invalidArgument("\(file): the CSV file list has no rows (expected path,label lines)") }
        let root = (file as NSString).deletingLastPathComponent
        for (number, row) in rows.enumerated() where row.count > 2 || row[0].isEmpty {
            throw ImageError.invalidArgument("\(file): row \(number + 1): expected path,label (2 fields, a non-empty path), found \(row.count) fields")
        }
        let labelled = rows.contains { $0.count == 2 && !$0[1].isEmpty }
        if !labelled {
            return ImageDataset(root: root, records: rows.map { Record(path: $0[0], label: -1) }, classNames: [])
        }
        for (number, row) in rows.enumerated() where row.count < 2 || row[1].isEmpty {
            throw ImageError.invalidArgument("\(file): row \(number + 1) ('\(row[0])') has no label, while other rows do")
        }
        let labels = rows.map { $0[1] }
        let integers = labels.compactMap { Int32($0) }
        if integers.count == labels.count {
            guard integers.allSatisfy({ $0 >= 0 }) else { throw ImageError.invalidArgument("\(file): integer labels must be non-negative") }
            let names = Set(integers).sorted().map(String.init)
            let count = Int(integers.max() ?? 0) + 1
            let classNames = names.count == count ? names : (0..<count).map(String.init)
            return ImageDataset(root: root, records: zip(rows, integers).map { Record(path: $0.0[0], label: $0.1) }, classNames: classNames)
        }
        let names = Set(labels).sorted(by: PythonOrder.less)
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, Int32($0.offset)) })
        return ImageDataset(root: root, records: rows.map { Record(path: $0[0], label: index[$0[1]] ?? -1) }, classNames: names)
    }

    // MARK: - Order, splits and shards

    /// The dataset shuffled as Keras shuffles it (`np.random.RandomState(seed).shuffle` on the
    /// file list, the labels with it).
    public func shuffled(seed: UInt32) -> ImageDataset {
        var copy = self
        var random = NumpyRandomState(seed: seed)
        random.shuffle(&copy.records)
        return copy
    }

    /// Which part of a validation split to keep.
    public enum Subset: String, Sendable, CaseIterable { case training, validation }

    /// Keras's `validation_split` with `subset`: the last `int(fraction * count)` files are the
    /// validation set, the rest the training set (shuffle first, with a seed, to mix classes).
    public func split(validation fraction: Double, subset: Subset) throws -> ImageDataset {
        guard fraction > 0, fraction < 1 else {
            throw ImageError.invalidArgument("validation split must be between 0 and 1 (exclusive), got \(fraction)")
        }
        let validationCount = Int(fraction * Double(records.count))
        guard validationCount > 0, validationCount < records.count else {
            throw ImageError.invalidArgument("validation split \(fraction) of \(records.count) files leaves \(validationCount) for validation and \(records.count - validationCount) for training; both must be non-empty")
        }
        var copy = self
        copy.records = subset == .validation ? Array(records.suffix(validationCount)) : Array(records.dropLast(validationCount))
        return copy
    }

    /// Shard `index` of `count` (zero-based): a contiguous, deterministic slice, so shards
    /// 0..<count concatenated are the whole dataset in order.
    public func shard(_ index: Int, of count: Int) throws -> ImageDataset {
        guard count >= 1, index >= 0, index < count else {
            throw ImageError.invalidArgument("shard \(index)/\(count): expected K/N with 0 <= K < N")
        }
        var copy = self
        copy.records = Array(records[Self.shardRange(index, of: count, total: records.count)])
        return copy
    }

    /// The indices shard `index` of `count` covers in a dataset of `total` files.
    public static func shardRange(_ index: Int, of count: Int, total: Int) -> Range<Int> {
        let start = Int((Int64(total) * Int64(index)) / Int64(count))
        let end = Int((Int64(total) * Int64(index + 1)) / Int64(count))
        return start..<end
    }

    // MARK: - Helpers

    private static func listDirectory(_ directory: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw ImageError.unreadable(file: directory, reason: "no such directory")
        }
        guard isDirectory.boolValue else {
            throw ImageError.invalidArgument("\(directory): expected a directory of images (or of class folders), found a file")
        }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw ImageError.unreadable(file: directory, reason: "cannot list the directory (\(error.localizedDescription))")
        }
    }

    private static func matchingFiles(_ walk: [(root: String, files: [String])], extensions: [String]) -> [String] {
        let lowered = extensions.map { $0.lowercased() }
        var result: [String] = []
        for (root, files) in walk.sorted(by: { PythonOrder.less($0.root, $1.root) }) {
            for file in files where lowered.contains(where: { file.lowercased().hasSuffix($0) }) {
                result.append(root.isEmpty ? file : root + "/" + file)
            }
        }
        return result
    }
}
