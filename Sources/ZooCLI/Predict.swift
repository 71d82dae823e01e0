import ArgumentParser
import Foundation
import ZooCompute
import ZooFormats

/// `zoo predict MODEL --input X.npy --output Y.npy`: run a model on NumPy arrays.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model on a NumPy batch (float32 NHWC, already preprocessed).",
        discussion: "With one --layer (or none) OUTPUT is a .npy; with several it is a .npz or a folder of LAYER.npy files."
    )

    @Argument(help: "A model file in any format zoo reads.") var model: String
    @Option(help: "Input .npy (float32, shape [batch, height, width, channels]) or .npz (its array x, as zoo extract and zoo train use).") var input: String
    @Option(help: "Output .npy, .npz or folder.") var output: String
    @Option(help: "Layer whose output to write (repeatable; default: the model's output).") var layer: [String] = []
    @Option(help: "Images per run; larger inputs are split into batches of this size.") var batch: Int?
    @OptionGroup var options: ModelOptions

    func run() throws {
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
        let compiled = try ZooCompute.Zoo.load(model, architecture: try options.architecture(), scheme: try options.scheme())
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
}
