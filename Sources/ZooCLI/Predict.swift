import ArgumentParser
import Foundation
import ZooCompute
import ZooFormats
import ZooImages
import ZooModels

/// `zoo predict MODEL --input X.npy --output Y.npy`: run a model on NumPy arrays.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model on a NumPy batch (float32 NHWC, already preprocessed) or on image files.",
        discussion: """
        With --input, writes --output: with one --layer (or none) a .npy; with several a .npz or a folder of LAYER.npy files.         With --images (files or folders), prints the --top K classes of each image (names from --class-names-file),         one line per image, or JSON lines with --json.
        """
    )

    @Argument(help: "A model file in any format zoo reads.") var model: String
    @Option(help: "Input .npy (float32, shape [batch, height, width, channels]) or .npz (its array x, as zoo extract and zoo train use).") var input: String?
    @Option(help: "Output .npy, .npz or folder.") var output: String?
    @Option(parsing: .upToNextOption, help: "Image files or folders (every image below a folder) to classify.") var images: [String] = []
    @Option(help: "With --images: how many classes to print per image.") var top: Int = 5
    @Option(name: .customLong("class-names-file"), help: "Class names: a text file with one name per line, or Keras's imagenet_class_index.json (default for 1000-class models: the ImageNet names).") var classNamesFile: String?
    @Flag(help: "With --images: one JSON line per image.") var json = false
    @OptionGroup var imageOptions: ImageOptions
    @Option(help: "Layer whose output to write (repeatable; default: the model's output).") var layer: [String] = []
    @Option(help: "Images per run; larger inputs are split into batches of this size.") var batch: Int?
    @OptionGroup var options: ModelOptions
    @OptionGroup var build: BuildOptions

    func run() throws {
        if !images.isEmpty {
            guard input == nil, output == nil else { throw ValidationError("use either --images or --input/--output") }
            return try classifyImages()
        }
        guard let input, let output else { throw ValidationError("pass --input X.npy and --output Y.npy, or --images FILE|DIR ...") }
        let array: NumpyArray
        if input.lowercased().hasSuffix(".npz") {
            guard let x = try NumpyArchive.read(input).first(where: { $0.name == "x" })?.array else {
                throw ValidationError("\(input): no array 'x' (expected x: float32 [batch, height, width, channels])")
            }
            array = x
        } else {
            array = try NumpyArray.read(input)
        }
        guard array.dtype == .float32 else {
            throw ValidationError("\(input): expected a float32 array, found \(array.dtype.rawValue) (convert with x.astype(np.float32))")
        }
        let loaded = try options.loader(mode: .strict, build: build).load(model)
        let compiled = CompiledModel(model: loaded.model, architecture: loaded.architecture, threads: ProcessInfo.processInfo.activeProcessorCount)
        guard array.shape.count == compiled.inputShape.count + 1, Array(array.shape.dropFirst()) == compiled.inputShape else {
            throw ValidationError("\(input): expected shape [batch] + \(compiled.inputShape), found \(array.shape)")
        }
        let total = array.shape[0]
        guard total > 0 else { throw ValidationError("\(input): holds no images (shape \(array.shape)); nothing to predict") }
        let step = max(1, min(batch ?? total, max(total, 1)))
        let perImage = compiled.inputShape.reduce(1, *)
        var collected: [String: [Float]] = [:]
        var shapes: [String: [Int]] = [:]
        var start = 0
        while start < total {
            let count = min(step, total - start)
            let chunk = array.data.withUnsafeBuffer(of: Float.self) { Array($0[(start * perImage)..<((start + count) * perImage)]) }
            let result = try compiled.run(Tensor(shape: [count] + compiled.inputShape, values: chunk), outputs: layer)
            for (name, tensor) in result {
                collected[name, default: []] += tensor.values
                shapes[name] = [total] + tensor.shape.dropFirst()
            }
            start += count
        }
        let names = layer.isEmpty ? Array(collected.keys).sorted() : layer
        let arrays = names.compactMap { name -> (name: String, array: NumpyArray)? in
            guard let values = collected[name], let shape = shapes[name] else { return nil }
            return (name, NumpyArray(dtype: .float32, shape: shape, data: TensorData(values: values)))
        }
        if arrays.count == 1 && !output.hasSuffix(".npz") && !output.hasSuffix("/") {
            try arrays[0].array.write(to: output)
        } else if output.hasSuffix(".npz") {
            try NumpyArchive.write(arrays, to: output)
        } else {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            for (name, array) in arrays { try array.write(to: (output as NSString).appendingPathComponent("\(name.replacingOccurrences(of: "/", with: "_")).npy")) }
        }
        FileHandle.standardError.write(Data("zoo: wrote \(output) (\(arrays.map { "\($0.name) \($0.array.shape)" }.joined(separator: ", ")))\n".utf8))
    }

    /// `--images`: decode, resize and preprocess each file like Keras, run the model, print the top classes.
    private func classifyImages() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        var records: [ImageDataset.Record] = []
        for item in images {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: item, isDirectory: &isDirectory) else {
                throw ValidationError("\(item): no such file or folder")
            }
            if isDirectory.boolValue {
                let found = try ImageDataset.flatFolder(item)
                records += found.records.indices.map { ImageDataset.Record(path: found.filePath($0), label: -1) }
            } else {
                records.append(ImageDataset.Record(path: item, label: -1))
            }
        }
        guard !records.isEmpty else { throw ValidationError("no images found in \(images.joined(separator: ", "))") }
        let loaded = try options.loader(mode: .strict, build: build).load(model)
        let compiled = CompiledModel(model: loaded.model, architecture: loaded.architecture)
        let loading = try imageOptions.loading(inputShape: compiled.inputShape)
        let preprocessing = try imageOptions.preprocessing(model: model, loaded: loaded)
        var names = try classNamesFile.map(Self.readClassNames)
        let loader = ImageBatchLoader(dataset: ImageDataset(root: "", records: records, classNames: []), loading: loading, preprocessing: preprocessing)
        var failed = 0
        for batch in loader.batches(size: self.batch ?? 16) {
            for failure in batch.failures {
                failed += 1
                FileHandle.standardError.write(Data("zoo: skipped \(Zoo.printable(failure.message))\n".utf8))
            }
            guard let input = batch.input else { continue }
            let outputs = try compiled.run(input, outputs: layer)
            guard let output = layer.first.flatMap({ outputs[$0] }) ?? outputs.values.first, output.shape.count == 2 else {
                throw ValidationError("the model's output is not [batch, classes]; --images prints class scores of a classifier")
            }
            let classes = output.shape[1]
            if names == nil && classes == 1000 { names = ImageNetClasses.names }  // an ImageNet classifier
            let values = output.values
            for (row, index) in batch.indices.enumerated() {
                let scores = Array(values[(row * classes)..<((row + 1) * classes)])
                let best = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(top)
                let path = records[index].path
                if json {
                    let items = best.map { index -> JSONValue in
                        let name: JSONValue = names.flatMap { $0.indices.contains(index) ? JSONValue.string($0[index]) : nil } ?? .null
                        return .object([("class", .int(index)), ("name", name), ("score", .double(Double(scores[index])))])
                    }
                    FileHandle.standardOutput.write(Data((JSONValue.object([("path", .string(path)), ("top", .array(items))]).rendered() + "\n").utf8))
                } else {
                    let text = best.map { index in
                        let name = names.flatMap { $0.indices.contains(index) ? " \($0[index])" : nil } ?? ""
                        return String(format: "%d%@ %.4f", index, name, scores[index])
                    }.joined(separator: ", ")
                    print("\(path): \(text)")
                }
            }
        }
        if failed > 0 { throw ValidationError("\(failed) of \(records.count) images could not be read") }
    }

    /// One class name per line, or Keras's `imagenet_class_index.json` (`{"0": ["n01440764", "tench"], ...}`).
    static func readClassNames(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("\(path): cannot read the class names file")
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ValidationError("\(path): not JSON of the form {\"0\": [\"n01440764\", \"tench\"], ...}")
            }
            var names = [String](repeating: "", count: object.count)
            for (key, value) in object {
                guard let index = Int(key), index >= 0, index < names.count, let pair = value as? [Any], let name = pair.last as? String else {
                    throw ValidationError("\(path): entry '\(key)' is not \"INDEX\": [\"WNID\", \"name\"] with INDEX below \(names.count)")
                }
                names[index] = name
            }
            return names
        }
        return text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
    }
}
