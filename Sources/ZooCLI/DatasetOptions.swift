import ArgumentParser
import Foundation
import ZooImages

/// Which files a command reads, as `image_dataset_from_directory` selects them.
struct DatasetOptions: ParsableArguments {
    @Option(help: "inferred (class folders, the default) or none (every image below DIR, unlabelled). A .csv DIR is a path,label list.")
    var labels: String = "inferred"

    @Option(name: .customLong("class-names"), help: "Class folders to use, in this order (comma-separated; default: all, alphanumerically).")
    var classNames: String?

    @Flag(name: .customLong("follow-links"), help: "Walk symlinked subdirectories.")
    var followLinks = false

    @Option(help: "Allowed file extensions, comma-separated (default .bmp,.gif,.jpeg,.jpg,.png).")
    var extensions: String?

    @Flag(help: "Shuffle the file list as Keras does (numpy RandomState(seed)); needs --seed.")
    var shuffle = false

    @Option(help: "Seed for --shuffle (0 ... 4294967295).")
    var seed: UInt32?

    @Option(name: .customLong("validation-split"), help: "Fraction of the files held out for validation (with --subset).")
    var validationSplit: Double?

    @Option(help: "training or validation: which part of --validation-split to use.")
    var subset: String?

    /// The dataset at `path`, ordered, split and ready to shard.
    func dataset(_ path: String) throws -> ImageDataset {
        var dataset: ImageDataset
        let allowed = extensions.map { $0.split(separator: ",").map { $0.hasPrefix(".") ? String($0) : "." + $0 } } ?? ImageDataset.kerasExtensions
        if path.lowercased().hasSuffix(".csv") {
            dataset = try ImageDataset.csvList(path)
        } else {
            switch labels {
            case "inferred":
                let names = classNames.map { $0.split(separator: ",").map(String.init) }
                dataset = try ImageDataset.classFolders(path, classNames: names, followLinks: followLinks, extensions: allowed)
            case "none":
                guard classNames == nil else { throw ValidationError("--class-names needs --labels inferred") }
                dataset = try ImageDataset.flatFolder(path, followLinks: followLinks, extensions: allowed)
            default:
                throw ValidationError("--labels must be inferred or none, got '\(labels)'")
            }
        }
        guard !dataset.records.isEmpty else {
            throw ValidationError("\(path): no images found (allowed extensions: \(allowed.joined(separator: ", ")))")
        }
        if shuffle {
            guard let seed else { throw ValidationError("--shuffle needs --seed, so that every run (and every shard) sees the same order") }
            dataset = dataset.shuffled(seed: seed)
        }
        if let validationSplit {
            guard let subset, let part = ImageDataset.Subset(rawValue: subset) else {
                throw ValidationError("--validation-split needs --subset training or validation")
            }
            dataset = try dataset.split(validation: validationSplit, subset: part)
        } else if subset != nil {
            throw ValidationError("--subset needs --validation-split")
        }
        return dataset
    }
}
