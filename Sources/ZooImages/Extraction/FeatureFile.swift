import Foundation
import ZooFormats

/// The output of `zoo extract`: an `.npz` holding
/// - `x`: the features, float32 `[images, ...]`,
/// - `y`: int32 labels (-1 for unlabelled images),
/// - `class_names` and `paths` (unicode string arrays; paths relative to the dataset root),
/// - `skipped`: the paths of files that could not be decoded (when any were skipped),
/// - `shard`: int64 `[K, N, dataset size]` when the file holds shard K of N.
///
/// When the features are too large for one file, `x` is written as `.npy` shards beside the
/// `.npz` (`NAME.x-00000.npy`, ...) whose names the `.npz` lists in `x_shards`; `read` joins them.
public struct FeatureFile: Sendable {
    /// The features, `[images, ...]`.
    public var features: NumpyArray
    /// One label per image.
    public var labels: [Int32]
    /// The dataset's class names.
    public var classNames: [String]
    /// One path per image, relative to the dataset root.
    public var paths: [String]
    /// Files skipped because they failed to decode.
    public var skipped: [String]
    /// `(K, N, dataset size)` for a shard's output.
    public var shard: (index: Int, count: Int, datasetSize: Int)?

    /// A feature file's contents.
    public init(features: NumpyArray, labels: [Int32], classNames: [String], paths: [String], skipped: [String] = [],
                shard: (index: Int, count: Int, datasetSize: Int)? = nil) {
        self.features = features
        self.labels = labels
        self.classNames = classNames
        self.paths = paths
        self.skipped = skipped
        self.shard = shard
    }

    /// The `.npz` members besides the features.
    static func metadataMembers(labels: [Int32], classNames: [String], paths: [String], skipped: [String],
                                shard: (index: Int, count: Int, datasetSize: Int)?) -> (arrays: [(name: String, array: NumpyArray)], strings: [(name: String, strings: NumpyStrings)]) {
        var arrays: [(name: String, array: NumpyArray)] = [("y", NumpyArray(dtype: .int32, shape: [labels.count], data: TensorData(values: labels)))]
        if let shard {
            arrays.append(("shard", NumpyArray(dtype: .int64, shape: [3], data: TensorData(values: [Int64(shard.index), Int64(shard.count), Int64(shard.datasetSize)]))))
        }
        var strings: [(name: String, strings: NumpyStrings)] = [("class_names", NumpyStrings(classNames)), ("paths", NumpyStrings(paths))]
        if !skipped.isEmpty { strings.append(("skipped", NumpyStrings(skipped))) }
        return (arrays, strings)
    }

    /// Writes the file atomically (features in the `.npz`).
    public func write(to path: String) throws {
        guard features.shape.first == labels.count, labels.count == paths.count else {
            throw ImageError.invalidArgument("\(path): \(features.shape.first ?? 0) feature rows, \(labels.count) labels and \(paths.count) paths must agree")
        }
        let (arrays, strings) = Self.metadataMembers(labels: labels, classNames: classNames, paths: paths, skipped: skipped, shard: shard)
        try NumpyArchive.write([("x", features)] + arrays, strings: strings, to: path)
    }

    /// Reads a feature file, joining `.npy` shards of `x` when the file lists them.
    public static func read(_ path: String) throws -> FeatureFile {
        let contents = try NumpyArchive.contents(path)
        guard let y = contents.array("y"), y.dtype == .int32 else {
            throw ImageError.invalidArgument("\(path): no int32 array 'y'; expected a zoo extract output (x, y, class_names, paths)")
        }
        let labels = y.data.array(of: Int32.self)
        let paths = contents.strings("paths") ?? []
        var features: NumpyArray
        if let x = contents.array("x") {
            features = x
        } else if let shards = contents.strings("x_shards") {
            let folder = (path as NSString).deletingLastPathComponent
            let arrays = try shards.map { try NumpyArray.read(folder.isEmpty ? $0 : (folder as NSString).appendingPathComponent($0)) }
            guard let first = arrays.first else { throw ImageError.invalidArgument("\(path): x_shards is empty") }
            let trailing = Array(first.shape.dropFirst())
            guard arrays.allSatisfy({ $0.dtype == .float32 && Array($0.shape.dropFirst()) == trailing }) else {
                throw ImageError.invalidArgument("\(path): the x shards disagree in dtype or shape")
            }
            features = NumpyArray(dtype: .float32, shape: [arrays.reduce(0) { $0 + $1.shape[0] }] + trailing,
                                  data: concatenated(arrays.map(\.data)))
        } else {
            throw ImageError.invalidArgument("\(path): neither 'x' nor 'x_shards'; expected a zoo extract output")
        }
        guard features.shape.first == labels.count, paths.count == labels.count else {
            throw ImageError.invalidArgument("\(path): \(features.shape.first ?? 0) feature rows, \(labels.count) labels and \(paths.count) paths disagree")
        }
        var shard: (Int, Int, Int)?
        if let value = contents.array("shard"), value.dtype == .int64, value.shape == [3] {
            let numbers = value.data.array(of: Int64.self).map { Int($0) }
            shard = (numbers[0], numbers[1], numbers[2])
        }
        return FeatureFile(features: features, labels: labels, classNames: contents.strings("class_names") ?? [], paths: paths,
                           skipped: contents.strings("skipped") ?? [], shard: shard)
    }

    /// Joins the outputs of `zoo extract --shard K/N` for K = 0..<N into one file, in dataset
    /// order. Every shard must be present once, from the same dataset (same size and classes).
    public static func merge(_ inputs: [String], to output: String) throws {
        let files = try inputs.map { (path: $0, file: try read($0)) }
        guard let first = files.first else { throw ImageError.invalidArgument("zoo merge needs at least one input file") }
        let count = first.file.shard?.count ?? 1
        var byIndex: [Int: (path: String, file: FeatureFile)] = [:]
        for entry in files {
            guard let shard = entry.file.shard else {
                throw ImageError.invalidArgument("\(entry.path): not a shard output (no 'shard' array); merge joins the outputs of zoo extract --shard K/N")
            }
            guard shard.count == count, shard.datasetSize == first.file.shard?.datasetSize else {
                throw ImageError.invalidArgument("\(entry.path): shard \(shard.index)/\(shard.count) of \(shard.datasetSize) images does not belong with \(first.path)'s \(first.file.shard.map { "\($0.index)/\($0.count) of \($0.datasetSize)" } ?? "")")
            }
            guard entry.file.classNames == first.file.classNames else {
                throw ImageError.invalidArgument("\(entry.path): class names differ from \(first.path)'s")
            }
            guard Array(entry.file.features.shape.dropFirst()) == Array(first.file.features.shape.dropFirst()) else {
                throw ImageError.invalidArgument("\(entry.path): features of shape \(Array(entry.file.features.shape.dropFirst())) differ from \(first.path)'s \(Array(first.file.features.shape.dropFirst()))")
            }
            guard byIndex.updateValue(entry, forKey: shard.index) == nil else {
                throw ImageError.invalidArgument("\(entry.path): shard \(shard.index)/\(count) given twice")
            }
        }
        let missing = (0..<count).filter { byIndex[$0] == nil }
        guard missing.isEmpty else {
            throw ImageError.invalidArgument("shards \(missing.map { "\($0)/\(count)" }.joined(separator: ", ")) are missing; merge needs all \(count)")
        }
        let ordered = (0..<count).compactMap { byIndex[$0]?.file }
        let rows = ordered.reduce(0) { $0 + ($1.features.shape.first ?? 0) }
        let merged = FeatureFile(features: NumpyArray(dtype: .float32, shape: [rows] + first.file.features.shape.dropFirst(),
                                                      data: concatenated(ordered.map(\.features.data))),
                                 labels: ordered.flatMap(\.labels), classNames: first.file.classNames, paths: ordered.flatMap(\.paths),
                                 skipped: ordered.flatMap(\.skipped))
        try merged.write(to: output)
    }

    /// The pieces' bytes one after another, copied once.
    private static func concatenated(_ pieces: [TensorData]) -> TensorData {
        TensorData(byteCount: pieces.reduce(0) { $0 + $1.count }) { target in
            var offset = 0
            for piece in pieces {
                piece.withUnsafeBytes { source in
                    guard let base = source.baseAddress, let destination = target.baseAddress, !source.isEmpty else { return }
                    (destination + offset).copyMemory(from: base, byteCount: source.count)
                }
                offset += piece.count
            }
        }
    }
}
