import Foundation
import ZIPFoundation
import ZooHDF5

/// Reads and writes Keras 3 `.keras` archives: a zip holding `metadata.json`, `config.json` and
/// `model.weights.h5`, through ZIPFoundation (any compression method it reads).
enum KerasArchive {
    static let weightsMember = "model.weights.h5"

    /// Whether the file starts with a zip local-file signature.
    static func isZip(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 4)) ?? Data()
        return head == Data([0x50, 0x4b, 0x03, 0x04])
    }

    static func read(_ path: String) throws -> Checkpoint {
        try read(path, deferring: nil).checkpoint
    }

    /// Reads an archive; with `deferring`, weights carry their dtype and shape but no data, and
    /// their open datasets (in a scratch copy of the weights member, already unlinked) are
    /// collected there for `HDF5CheckpointStream`.
    static func read(_ path: String, deferring: DeferredReads?) throws -> (file: HDF5File, checkpoint: Checkpoint) {
        // The zip is parsed by ZipReader over a mapping, every offset checked against the file
        // (ZIPFoundation's extractor can spin forever on a hostile deflated member).
        let file = try MappedFile(path: path)
        let members: [ZipReader.Member]
        do {
            members = try ZipReader.members(file.bytes, file: path)
        } catch let error as FormatError {
            throw FormatError.archive(file: path, reason: "cannot read the zip (\(error))")
        }
        // Python's zipfile (which Keras uses) reads the last of two same-named members, a first-
        // match reader the first: the same file would be two models. Refuse it.
        var seen = Set<String>()
        for entry in members where !seen.insert(entry.name).inserted {
            throw FormatError.archive(file: path, reason: "the member '\(entry.name.prefix(200))' appears twice; a .keras archive holds each member once (Keras would read the last copy, other readers the first)")
        }
        /// The member called `name`, refused if it is missing or a zip bomb (a deflated member
        /// may not inflate past the limit compressed HDF5 datasets have: a 2 MB archive of zeros
        /// used to inflate to 4 GB).
        func entry(_ name: String) throws -> ZipReader.Member {
            guard let entry = members.first(where: { $0.name == name }) else {
                throw FormatError.archive(file: path, reason: "no member '\(name)' (expected config.json, metadata.json and model.weights.h5)")
            }
            if entry.inflatesPastLimit {
                throw FormatError.archive(file: path, reason: "the member '\(name)' inflates \(entry.compressedSize) bytes to \(entry.uncompressedSize), more than \(Int(HDF5Dataset.maxInflation))x (a zip bomb?); set ZOO_MAX_INFLATION to a larger ratio if the file is genuine")
            }
            return entry
        }
        func member(_ name: String) throws -> Data { try ZipReader.extract(entry(name), from: file.bytes, file: path) }
        let configText = String(decoding: try member("config.json"), as: UTF8.self)
        let metadata = try member("metadata.json")
        let weightsEntry = try entry(weightsMember)
        let config = try KerasModelConfig(json: configText, file: "\(path):config.json")
        var kerasVersion: String?
        var provenance: String?
        if let object = try? JSONSerialization.jsonObject(with: metadata) as? [String: Any] {
            kerasVersion = object["keras_version"] as? String
            if let record = object["swiftzoo"], let data = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) {
                provenance = String(decoding: data, as: UTF8.self)
            }
        }
        let innerName = "\(path):\(weightsMember)"
        // The weights go to a scratch file, not memory: libhdf5 then reads each tensor straight
        // into its buffer, and the archive's pages are let go as they are copied, so reading a
        // 553 MB VGG16 costs about the model once (three in-memory copies cost 2.7 GB).
        let scratch = try ZipReader.extractToScratchFile(weightsEntry, from: file, archive: path)
        let hdf5: HDF5File
        do {
            defer { unlink(scratch) }  // libhdf5 keeps its descriptor: nothing is left behind
            hdf5 = try FormatError.wrapping { try HDF5File.open(scratch, name: innerName) }
        }
        let root = try FormatError.wrapping { try hdf5.root() }
        let layers = try Keras3WeightsReader.read(root: root, config: config, deferring: deferring)
        var checkpoint = Checkpoint(format: .kerasArchive, kerasVersion: kerasVersion, backend: nil, layers: layers, modelConfig: configText)
        checkpoint.provenance = provenance
        return (hdf5, checkpoint)
    }

    /// Writes an archive: `config.json` from the checkpoint's config, `metadata.json`, and the
    /// weights in the Keras 3 layout, members stored uncompressed as Keras does.
    static func write(_ checkpoint: Checkpoint, to path: String, scratchDirectory: String) throws {
        guard let configText = checkpoint.modelConfig else {
            throw FormatError.cannotWrite(file: path, reason: "a .keras archive needs the model config, and this checkpoint has none (convert from a full-model .h5 or a .keras file)")
        }
        let weightsPath = scratchDirectory + "/" + weightsMember
        try Keras3WeightsWriter.write(checkpoint, to: weightsPath)
        defer { try? FileManager.default.removeItem(atPath: weightsPath) }
        var metadata: [String: Any] = ["keras_version": checkpoint.kerasVersion ?? "3.0.0", "date_saved": Self.dateString()]
        if let provenance = checkpoint.provenance, let object = try? JSONSerialization.jsonObject(with: Data(provenance.utf8)) {
            metadata["swiftzoo"] = object
        }
        let metadataData = try JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys])
        do {
            let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
            try add(archive, "metadata.json", metadataData)
            try add(archive, "config.json", Data(Self.keras3Config(configText).utf8))
            try archive.addEntry(with: weightsMember, fileURL: URL(fileURLWithPath: weightsPath), compressionMethod: .none)
        } catch let error as FormatError {
            throw error
        } catch {
            throw FormatError.io(file: path, reason: "cannot write the zip archive (\(AtomicOutput.plainReason(error)))")
        }
    }

    /// Keras 3 locates the model class of an archive's config through `module` and
    /// `registered_name`, which legacy `model_config` attributes lack; adds them (as text, so no
    /// number in the config is re-rounded) when missing.
    static func keras3Config(_ text: String) -> String {
        guard let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              object["module"] == nil, let className = object["class_name"] as? String,
              let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}") else { return text }
        let module: String
        switch className {
        case "Sequential": module = "keras.src.models.sequential"
        case "Functional", "Model": module = "keras.src.models.functional"
        default: return text
        }
        var result = text
        result.insert(contentsOf: ", \"registered_name\": \"\(className == "Model" ? "Functional" : className)\"", at: close)
        result.insert(contentsOf: "\"module\": \"\(module)\", ", at: result.index(after: open))
        return result
    }

    private static func add(_ archive: Archive, _ name: String, _ data: Data) throws {
        try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .none) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }

    private static func dateString() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd@HH:mm:ss"
        return formatter.string(from: Date())
    }
}
