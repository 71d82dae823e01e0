import Foundation
import Testing
@testable import ZooFormats

/// A safetensors file from raw parts: the 8-byte little-endian header length (the real one unless
/// `declaredLength` is given), the header bytes, then the data.
private func safetensorsBytes(_ header: [UInt8], data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let length = declaredLength ?? UInt64(header.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + header + data
}

private func safetensorsBytes(_ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    safetensorsBytes(Array(header.utf8), data: data, declaredLength: declaredLength)
}

private func writeFile(_ bytes: [UInt8], _ path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

private func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

/// A checkpoint with every dtype, a scalar, an empty tensor, NaN payloads and signed zeros.
private func sampleCheckpoint() -> Checkpoint {
    func weight(_ name: String, _ dtype: DType, _ shape: [Int], _ data: TensorData) -> Weight {
        Weight(name: name, path: name, storedName: name, dtype: dtype, shape: shape, data: data)
    }
    let kernel: [Float] = [1.5, -0.0, .infinity, Float(bitPattern: 0x7FC0_0123), -3.25, 1e-40]
    return Checkpoint(format: .kerasH5Weights, layers: [
        CheckpointLayer(name: "conv1_conv", weights: [
            weight("kernel", .float32, [1, 2, 1, 3], TensorData(values: kernel)),
            weight("bias", .float32, [3], TensorData(values: [Float(0.25), -1, 2])),
        ]),
        CheckpointLayer(name: "bn", weights: [
            weight("gamma", .float16, [4], TensorData(values: [UInt16(0x3C00), 0x7E01, 0x8000, 0x7BFF])),
            weight("beta", .bfloat16, [2], TensorData(values: [UInt16(0x3F80), 0xFF81])),
        ]),
        CheckpointLayer(name: "layer1.0.conv1", weights: [
            weight("weight", .float64, [2, 1], TensorData(values: [Double.pi, -Double.greatestFiniteMagnitude])),
            weight("num_batches_tracked", .int64, [], TensorData(values: [Int64.min + 7])),
        ]),
        CheckpointLayer(name: "stats", weights: [
            weight("counts", .int32, [3], TensorData(values: [Int32.min, 0, Int32.max])),
            weight("mask", .uint8, [5], TensorData(values: [UInt8(0), 1, 127, 128, 255])),
            weight("empty", .float32, [0, 4], TensorData(values: [Float]())),
        ]),
    ])
}

/// Expects the two checkpoints to hold the same layers and bit-identical weights.
private func expectSameWeights(_ read: Checkpoint, _ written: Checkpoint) {
    #expect(read.layers.map(\.name) == written.layers.map(\.name))
    for (a, b) in zip(read.layers, written.layers) {
        #expect(a.weights.map(\.name) == b.weights.map(\.name), "layer \(a.name)")
        for (x, y) in zip(a.weights, b.weights) {
            #expect(x.dtype == y.dtype, "\(a.name)/\(x.name)")
            #expect(x.shape == y.shape, "\(a.name)/\(x.name)")
            #expect(x.data == y.data, "\(a.name)/\(x.name) bytes differ")
        }
    }
}

@Suite struct SafetensorsTests {
    // MARK: Round trips

    @Test func roundTripIsBitIdenticalWithZeroCopyViews() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("sample.safetensors")
        let written = sampleCheckpoint()
        try SafetensorsFile.write(written, to: path)
        #expect(dir.contents == ["sample.safetensors"])
        #expect(SafetensorsFile.isSafetensors(path))

        let read = try SafetensorsFile.read(path)
        #expect(read.format == .safetensors)
        #expect(read.format.rawValue == "safetensors")
        expectSameWeights(read, written)
        for (layer, weight) in read.allWeights {
            #expect(weight.data.isView, "\(layer.name)/\(weight.name) should be a view into the mapping")
            let separator = layer.name == "layer1.0.conv1" ? "." : "/"
            #expect(weight.path == layer.name + separator + weight.name)
            #expect(weight.storedName == weight.path)
        }
        // NaN payloads and signed zeros survive.
        let kernel = read.layers[0].weights[0]
        #expect(bits(kernel.data.array(of: Float.self)) == [0x3FC0_0000, 0x8000_0000, 0x7F80_0000, 0x7FC0_0123, 0xC050_0000, Float(1e-40).bitPattern])
        #expect(read.layers[1].weights[0].data.array(of: UInt16.self) == [0x3C00, 0x7E01, 0x8000, 0x7BFF])
        #expect(read.layers[2].weights[1].data.array(of: Int64.self) == [Int64.min + 7])
        #expect(read.layers[2].weights[1].shape == [])
        #expect(read.parameterCount == written.parameterCount)
        #expect(read.byteCount == written.byteCount)

        // A second round trip from the views gives the same bytes on disk.
        let again = dir.file("again.safetensors")
        try SafetensorsFile.write(read, to: again)
        #expect(try Data(contentsOf: URL(fileURLWithPath: again)) == Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Writes the sample to `$ZOO_ST_OUT` when set, for a cross-check with Python's
    /// `safetensors.numpy.load_file` (see the interop notes); otherwise to a temporary file.
    @Test func writesTheSampleForPython() throws {
        let dir = TemporaryDirectory()
        let path = ProcessInfo.processInfo.environment["ZOO_ST_OUT"] ?? dir.file("for-python.safetensors")
        var checkpoint = sampleCheckpoint()
        checkpoint.kerasVersion = "3.5.0"
        checkpoint.backend = "tensorflow"
        try SafetensorsFile.write(checkpoint, to: path)
        expectSameWeights(try SafetensorsFile.read(path), checkpoint)
    }

    @Test func headerLayoutMatchesTheRustCrate() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("dense.safetensors")
        let checkpoint = Checkpoint(format: .kerasH5Weights, layers: [
            CheckpointLayer(name: "dense", weights: [
                Weight(name: "kernel", path: "dense/dense/kernel:0", storedName: "dense/kernel:0", dtype: .float32, shape: [1, 2],
                       data: TensorData(values: [Float(1), 2])),
                Weight(name: "bias", path: "dense/dense/bias:0", storedName: "dense/bias:0", dtype: .uint8, shape: [1],
                       data: TensorData(values: [UInt8(9)])),
            ]),
        ])
        try SafetensorsFile.write(checkpoint, to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let header = #"{"__metadata__":{"format":"swiftzoo"},"dense/kernel":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"dense/bias":{"dtype":"U8","shape":[1],"data_offsets":[8,9]}}"#
        let padded = header + String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        #expect(bytes == safetensorsBytes(padded, data: [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 9]))
        #expect((8 + padded.utf8.count) % 8 == 0)
        let read = try SafetensorsFile.read(path)
        #expect(read.kerasVersion == nil && read.backend == nil && read.modelConfig == nil && read.provenance == nil)
    }

    @Test func metadataRoundTrips() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("meta.safetensors")
        var checkpoint = sampleCheckpoint()
        checkpoint.kerasVersion = "3.6.0"
        checkpoint.backend = "jax"
        checkpoint.modelConfig = #"{"class_name": "Functional", "config": {"name": "m\"q\\", "layers": []}}"#
        checkpoint.trainingConfig = "{\"loss\": \"mse\"}"
        checkpoint.provenance = "{\"parent\": \"résumé 😀\", \"tab\": \"\t\", \"nl\": \"\n\", \"ctl\": \"\u{01}\"}"
        try SafetensorsFile.write(checkpoint, to: path)
        let read = try SafetensorsFile.read(path)
        #expect(read.kerasVersion == checkpoint.kerasVersion)
        #expect(read.backend == checkpoint.backend)
        #expect(read.modelConfig == checkpoint.modelConfig)
        #expect(read.trainingConfig == checkpoint.trainingConfig)
        #expect(read.provenance == checkpoint.provenance)
        // The metadata comes first in the header, without the placeholder "format".
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let length = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        let text = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        #expect(text.hasPrefix(#"{"__metadata__":{"keras_version":"3.6.0","backend":"jax","model_config":"#))
        #expect(!text.contains(#""format""#))
    }

    @Test func escapedHeaderStringsDecode() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("escapes.safetensors")
        let header = #"{"__metadata__":{"backend":"\u00e9\ud83d\ude00\n\"\/","format":"pt"},"a\u002fb":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}"#
        try writeFile(safetensorsBytes(header, data: [42]), path)
        let read = try SafetensorsFile.read(path)
        #expect(read.backend == "é😀\n\"/")
        #expect(read.layers.map(\.name) == ["a"])
        #expect(read.layers[0].weights[0].name == "b")
        #expect(read.layers[0].weights[0].data.array(of: UInt8.self) == [42])
    }

    // MARK: Names and grouping

    @Test(arguments: [
        ("conv1_conv/kernel", "conv1_conv", "kernel"),
        ("layer1.0.conv1.weight", "layer1.0.conv1", "weight"),
        ("layer1.0.downsample.1.running_mean", "layer1.0.downsample.1", "running_mean"),
        ("fc.bias", "fc", "bias"),
        ("model/block1.conv/kernel", "model/block1.conv", "kernel"),
        ("a.b/c.d", "a.b", "c.d"),
        ("bias", "", "bias"),
    ])
    func namesSplitAtTheLastSlashElseTheLastDot(name: String, layer: String, weight: String) {
        let split = SafetensorsFile.splitName(name)
        #expect(split.layer == layer)
        #expect(split.weight == weight)
        #expect(SafetensorsFile.tensorName(layer: layer, weight: weight, storedName: name) == name)
    }

    @Test func writerJoinsTorchvisionLayersWithADot() {
        #expect(SafetensorsFile.tensorName(layer: "layer1.0.conv1", weight: "weight") == "layer1.0.conv1.weight")
        #expect(SafetensorsFile.tensorName(layer: "conv1_conv", weight: "kernel") == "conv1_conv/kernel")
        #expect(SafetensorsFile.tensorName(layer: "block/a.b", weight: "kernel") == "block/a.b/kernel")
        #expect(SafetensorsFile.tensorName(layer: "a.b", weight: "c.d") == "a.b/c.d")
        // A top-level torchvision module has no dot; its stored name keeps the dot form.
        #expect(SafetensorsFile.tensorName(layer: "fc", weight: "bias") == "fc/bias")
        #expect(SafetensorsFile.tensorName(layer: "fc", weight: "bias", storedName: "fc.bias") == "fc.bias")
        #expect(SafetensorsFile.tensorName(layer: "fc", weight: "kernel", storedName: "fc/kernel:0") == "fc/kernel")
        #expect(SafetensorsFile.tensorName(layer: "", weight: "bias") == "bias")
    }

    @Test func tensorsComeInOffsetOrderGroupedByLayer() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("order.safetensors")
        // Header order differs from data order; layer x's tensors are not adjacent.
        let header = """
        {"x/b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]},\
        "fc.weight":{"dtype":"U8","shape":[1],"data_offsets":[3,4]},\
        "y/k":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},\
        "x/k":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},\
        "fc.empty":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}
        """
        try writeFile(safetensorsBytes(header, data: [10, 11, 12, 13]), path)
        let read = try SafetensorsFile.read(path)
        #expect(read.layers.map(\.name) == ["fc", "x", "y"])
        #expect(read.layers.map { $0.weights.map(\.name) } == [["empty", "weight"], ["k", "b"], ["k"]])
        #expect(read.layers[1].weights.map { $0.data.array(of: UInt8.self) } == [[10], [12]])
        #expect(read.layers[0].weights[1].data.array(of: UInt8.self) == [13])
        #expect(read.layers[1].weights[1].path == "x/b")
    }

    @Test func misalignedTensorsAreCopiedIntoAlignedStorage() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("odd.safetensors")
        var header = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        while (8 + header.utf8.count) % 4 != 1 { header += " " }
        try writeFile(safetensorsBytes(header, data: [0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0]), path)
        let weight = try SafetensorsFile.read(path).layers[0].weights[0]
        #expect(weight.data.array(of: Float.self) == [1, -2])
        #expect(!weight.data.isView)
    }

    // MARK: Files from Python's safetensors package

    /// `save_file` of safetensors 0.8.0 (numpy) with metadata {"format": "pt", "keras_version":
    /// "3.5.0", "backend": "torch"}: conv1_conv/kernel = arange(24, f32).reshape(2,3,2,2) * 0.5 - 3,
    /// conv1_conv/bias = [1.5, -2.25] f32, layer1.0.bn1.weight = [0.5, 1, -1.5] f16,
    /// layer1.0.bn1.num_batches_tracked = 7 (i64 scalar), fc.weight = [[1,2],[3,4]] f64,
    /// emb.idx = [-1, 2, 2147483647] i32, mask.bytes = [0, 1, 255] u8.
    static let pythonMixed = """
    QAIAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJrZXJhc192ZXJzaW9uIjoiMy41LjAiLCJiYWNrZW5kIjoidG9yY2giLCJmb3JtYXQiOiJwdCJ9LCJsYXllcjEu\
    MC5ibjEubnVtX2JhdGNoZXNfdHJhY2tlZCI6eyJkdHlwZSI6Ikk2NCIsInNoYXBlIjpbXSwiZGF0YV9vZmZzZXRzIjpbMCw4XX0sImZjLndlaWdodCI6eyJk\
    dHlwZSI6IkY2NCIsInNoYXBlIjpbMiwyXSwiZGF0YV9vZmZzZXRzIjpbOCw0MF19LCJjb252MV9jb252L2JpYXMiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6\
    WzJdLCJkYXRhX29mZnNldHMiOls0MCw0OF19LCJjb252MV9jb252L2tlcm5lbCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMiwzLDIsMl0sImRhdGFfb2Zm\
    c2V0cyI6WzQ4LDE0NF19LCJlbWIuaWR4Ijp7ImR0eXBlIjoiSTMyIiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbMTQ0LDE1Nl19LCJsYXllcjEuMC5i\
    bjEud2VpZ2h0Ijp7ImR0eXBlIjoiRjE2Iiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbMTU2LDE2Ml19LCJtYXNrLmJ5dGVzIjp7ImR0eXBlIjoiVTgi\
    LCJzaGFwZSI6WzNdLCJkYXRhX29mZnNldHMiOlsxNjIsMTY1XX19ICAgICAHAAAAAAAAAAAAAAAAAPA/AAAAAAAAAEAAAAAAAAAIQAAAAAAAABBAAADAPwAA\
    EMAAAEDAAAAgwAAAAMAAAMC/AACAvwAAAL8AAAAAAAAAPwAAgD8AAMA/AAAAQAAAIEAAAEBAAABgQAAAgEAAAJBAAACgQAAAsEAAAMBAAADQQAAA4EAAAPBA\
    AAAAQQAACEH/////AgAAAP///38AOAA8AL4AAf8=
    """

    /// `save_file` of safetensors 0.8.0 (numpy + ml_dtypes), no metadata:
    /// layer1.0.conv1.weight = [[1, -2.5], [0.15625, 3e38]] bf16, layer1.0.conv1.bias = [0.5, -0.5]
    /// bf16, fc/kernel = zeros((0, 3), f32).
    static let pythonBFloat16 = """
    2AAAAAAAAAB7ImZjL2tlcm5lbCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMCwzXSwiZGF0YV9vZmZzZXRzIjpbMCwwXX0sImxheWVyMS4wLmNvbnYxLmJp\
    YXMiOnsiZHR5cGUiOiJCRjE2Iiwic2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbMCw0XX0sImxheWVyMS4wLmNvbnYxLndlaWdodCI6eyJkdHlwZSI6IkJG\
    MTYiLCJzaGFwZSI6WzIsMl0sImRhdGFfb2Zmc2V0cyI6WzQsMTJdfX0gICAAPwC/gD8gwCA+Yn8=
    """

    private func pythonFile(_ base64: String, _ dir: TemporaryDirectory, _ name: String) throws -> String {
        let path = dir.file(name)
        try #require(Data(base64Encoded: base64)).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func readsAFileFromPythonSafetensors() throws {
        let dir = TemporaryDirectory()
        let path = try pythonFile(Self.pythonMixed, dir, "mixed.safetensors")
        #expect(SafetensorsFile.isSafetensors(path))
        let read = try SafetensorsFile.read(path)
        #expect(read.format == .safetensors)
        #expect(read.kerasVersion == "3.5.0")
        #expect(read.backend == "torch")
        #expect(read.modelConfig == nil && read.provenance == nil)
        #expect(read.layers.map(\.name) == ["layer1.0.bn1", "fc", "conv1_conv", "emb", "mask"])
        #expect(read.layers.map { $0.weights.map(\.name) } == [["num_batches_tracked", "weight"], ["weight"], ["bias", "kernel"], ["idx"], ["bytes"]])
        let weights = Dictionary(uniqueKeysWithValues: read.allWeights.map { ($0.weight.path, $0.weight) })
        let kernel = try #require(weights["conv1_conv/kernel"])
        #expect(kernel.dtype == .float32 && kernel.shape == [2, 3, 2, 2])
        #expect(kernel.data.array(of: Float.self) == (0..<24).map { Float($0) * 0.5 - 3 })
        #expect(weights["conv1_conv/bias"]?.data.array(of: Float.self) == [1.5, -2.25])
        let bn = try #require(weights["layer1.0.bn1.weight"])
        #expect(bn.dtype == .float16 && bn.shape == [3])
        #expect(floatValues(bn) == [0.5, 1, -1.5])
        let tracked = try #require(weights["layer1.0.bn1.num_batches_tracked"])
        #expect(tracked.dtype == .int64 && tracked.shape == [] && tracked.data.array(of: Int64.self) == [7])
        let fc = try #require(weights["fc.weight"])
        #expect(fc.dtype == .float64 && fc.shape == [2, 2] && fc.data.array(of: Double.self) == [1, 2, 3, 4])
        #expect(weights["emb.idx"]?.dtype == .int32)
        #expect(weights["emb.idx"]?.data.array(of: Int32.self) == [-1, 2, 2_147_483_647])
        #expect(weights["mask.bytes"]?.dtype == .uint8)
        #expect(weights["mask.bytes"]?.data.array(of: UInt8.self) == [0, 1, 255])
        #expect(read.allWeights.allSatisfy { $0.weight.data.isView })

        // Rewritten, every tensor keeps its name, dtype, shape and bytes (metadata minus "format").
        let copy = dir.file("copy.safetensors")
        try SafetensorsFile.write(read, to: copy)
        let again = try SafetensorsFile.read(copy)
        #expect(again.allWeights.map(\.weight.path) == read.allWeights.map(\.weight.path))
        expectSameWeights(again, read)
        #expect(again.kerasVersion == "3.5.0" && again.backend == "torch")
    }

    @Test func readsBFloat16AndEmptyTensorsFromPython() throws {
        let dir = TemporaryDirectory()
        let path = try pythonFile(Self.pythonBFloat16, dir, "bf16.safetensors")
        let read = try SafetensorsFile.read(path)
        #expect(read.kerasVersion == nil && read.backend == nil)
        #expect(read.layers.map(\.name) == ["fc", "layer1.0.conv1"])
        #expect(read.layers.map { $0.weights.map(\.name) } == [["kernel"], ["bias", "weight"]])
        let empty = read.layers[0].weights[0]
        #expect(empty.dtype == .float32 && empty.shape == [0, 3] && empty.data.count == 0)
        let bias = read.layers[1].weights[0], weight = read.layers[1].weights[1]
        #expect(bias.dtype == .bfloat16 && bias.data.array(of: UInt16.self) == [0x3F00, 0xBF00])
        #expect(weight.dtype == .bfloat16 && weight.shape == [2, 2])
        #expect(weight.data.array(of: UInt16.self) == [0x3F80, 0xC020, 0x3E20, 0x7F62])
        #expect(floatValues(weight).prefix(3) == [1, -2.5, 0.15625])
    }

    // MARK: Detection

    @Test func sniffing() throws {
        let dir = TemporaryDirectory()
        #expect(!SafetensorsFile.isSafetensors(dir.file("missing")))
        #expect(!SafetensorsFile.isSafetensors(dir.path))
        #expect(!SafetensorsFile.isSafetensors(Fixtures.path("tiny.legacy.h5")))
        #expect(!SafetensorsFile.isSafetensors(Fixtures.path("tiny.keras")))
        let cases: [(String, [UInt8], Bool)] = [
            ("minimal", safetensorsBytes("{}"), true),
            ("short", [2, 0, 0, 0, 0, 0, 0], false),
            ("one-byte header", safetensorsBytes("{"), false),
            ("too long", safetensorsBytes("{}", declaredLength: 3), false),
            ("array", safetensorsBytes("[]"), false),
            ("text", Array("{\"json\": true}".utf8), false),
        ]
        for (name, bytes, expected) in cases {
            try writeFile(bytes, dir.file(name))
            #expect(SafetensorsFile.isSafetensors(dir.file(name)) == expected, "\(name)")
        }
    }

    // MARK: Writer refusals

    @Test func duplicateTensorNamesAreRefusedAndNothingIsWritten() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("dup.safetensors")
        let data = TensorData(values: [Float(1)])
        let checkpoint = Checkpoint(format: .kerasH5Weights, layers: [
            CheckpointLayer(name: "a/b", weights: [Weight(name: "c", path: "", storedName: "", dtype: .float32, shape: [1], data: data)]),
            CheckpointLayer(name: "a", weights: [Weight(name: "b/c", path: "", storedName: "", dtype: .float32, shape: [1], data: data)]),
        ])
        do {
            try SafetensorsFile.write(checkpoint, to: path)
            Issue.record("expected a duplicate-name error")
        } catch let error as FormatError {
            guard case .cannotWrite = error else { Issue.record("wrong case: \(error)"); return }
            #expect("\(error)".hasPrefix(path))
            #expect("\(error)".contains("'a/b/c'"))
        }
        #expect(dir.contents.isEmpty)
    }

    @Test func dataThatDoesNotMatchTheShapeIsRefused() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("bad.safetensors")
        let checkpoint = Checkpoint(format: .kerasH5Weights, layers: [
            CheckpointLayer(name: "dense", weights: [Weight(name: "kernel", path: "", storedName: "", dtype: .float32, shape: [2, 2],
                                                            data: TensorData(values: [Float(1), 2, 3]))]),
        ])
        #expect(throws: FormatError.self) { try SafetensorsFile.write(checkpoint, to: path) }
        #expect(dir.contents.isEmpty)
    }

    // MARK: Hostile files

    struct Hostile: Sendable, CustomTestStringConvertible {
        let label: String
        let bytes: [UInt8]
        /// The tensor the error must name, if any.
        let tensor: String?
        let expected: String
        var testDescription: String { label }
    }

    static func tensor(_ name: String, _ dtype: String = "F32", shape: String = "[2]", offsets: String = "[0,8]") -> String {
        #"{"\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}}"#
    }

    static let eight: [UInt8] = [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]

    static let hostile: [Hostile] = [
        Hostile(label: "shorter than 8 bytes", bytes: [1, 0, 0, 0, 0], tensor: nil,
                expected: "an 8-byte little-endian header length, found a 5-byte file"),
        Hostile(label: "empty", bytes: [], tensor: nil, expected: "found a 0-byte file"),
        Hostile(label: "header length larger than the file", bytes: safetensorsBytes("{}", declaredLength: 1000), tensor: nil,
                expected: "a header length of at most 2 bytes (the file is 10 bytes), found 1000"),
        Hostile(label: "header length 2^63", bytes: safetensorsBytes("{}", declaredLength: 1 << 63), tensor: nil,
                expected: "found 9223372036854775808"),
        Hostile(label: "header length 2^64-1", bytes: safetensorsBytes("{}", declaredLength: .max), tensor: nil,
                expected: "found 18446744073709551615"),
        Hostile(label: "empty header", bytes: safetensorsBytes(""), tensor: nil, expected: "a JSON header (unexpected end"),
        Hostile(label: "header not JSON", bytes: safetensorsBytes("{not json}"), tensor: nil, expected: "a JSON header (expected a string key at header byte 1)"),
        Hostile(label: "truncated JSON", bytes: safetensorsBytes(#"{"w":{"dtype":"F3"#), tensor: nil, expected: "unterminated string"),
        Hostile(label: "invalid UTF-8", bytes: safetensorsBytes(Array(#"{"w"#.utf8) + [0xFF] + Array(#"":null}"#.utf8)),
                tensor: nil, expected: "not valid UTF-8"),
        Hostile(label: "JSON not an object", bytes: safetensorsBytes("[1, 2, 3]"), tensor: nil,
                expected: "a JSON object as the header, found an array"),
        Hostile(label: "JSON string", bytes: safetensorsBytes(#""text""#), tensor: nil, expected: "found a string"),
        Hostile(label: "data after the JSON", bytes: safetensorsBytes("{} {}"), tensor: nil, expected: "unexpected data after the JSON value"),
        Hostile(label: "deep nesting", bytes: safetensorsBytes(String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)),
                tensor: nil, expected: "nesting deeper than 64 levels"),
        Hostile(label: "duplicate tensor", bytes: safetensorsBytes(#"{"w":{"dtype":"U8","shape":[],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[],"data_offsets":[1,2]}}"#, data: [1, 2]),
                tensor: "w", expected: "duplicate key 'w'"),
        Hostile(label: "offsets past the end", bytes: safetensorsBytes(tensor("w", shape: "[25]", offsets: "[0,100]"), data: eight), tensor: "w",
                expected: "data_offsets within the 8-byte data buffer, found [0, 100]"),
        Hostile(label: "offsets past Int64", bytes: safetensorsBytes(tensor("w", offsets: "[0,18446744073709551615]"), data: eight), tensor: "w",
                expected: "data_offsets of two non-negative integers, found [0, 18446744073709551615]"),
        Hostile(label: "begin after end", bytes: safetensorsBytes(tensor("w", offsets: "[8,4]"), data: eight + eight), tensor: "w",
                expected: "begin <= end, found [8, 4]"),
        Hostile(label: "negative offset", bytes: safetensorsBytes(tensor("w", offsets: "[-8,0]"), data: eight), tensor: "w",
                expected: "data_offsets of two non-negative integers, found [-8, 0]"),
        Hostile(label: "three offsets", bytes: safetensorsBytes(tensor("w", offsets: "[0,4,8]"), data: eight), tensor: "w",
                expected: "data_offsets of two non-negative integers"),
        Hostile(label: "overlapping tensors", bytes: safetensorsBytes(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: eight + eight),
                tensor: "b", expected: "found data_offsets [4, 12] overlapping tensor 'a' at [0, 8]"),
        Hostile(label: "shape product not matching the bytes", bytes: safetensorsBytes(tensor("layer1.0.conv1.weight", shape: "[3]"), data: eight),
                tensor: "layer1.0.conv1.weight", expected: "12 bytes for shape [3] of F32, found data_offsets [0, 8] (8 bytes)"),
        Hostile(label: "shape product overflowing Int", bytes: safetensorsBytes(tensor("w", shape: "[4294967296,4294967296,0]", offsets: "[0,0]")),
                tensor: "w", expected: "a shape whose element count fits in 64 bits"),
        Hostile(label: "byte count overflowing Int", bytes: safetensorsBytes(tensor("w", shape: "[4611686018427387904]", offsets: "[0,0]")),
                tensor: "w", expected: "a shape whose byte count fits in 64 bits"),
        Hostile(label: "negative dimension", bytes: safetensorsBytes(tensor("conv/kernel", shape: "[-1,-2]"), data: eight), tensor: "conv/kernel",
                expected: "non-negative integer dimensions, found -1"),
        Hostile(label: "fractional dimension", bytes: safetensorsBytes(tensor("w", shape: "[1.5]"), data: eight), tensor: "w",
                expected: "non-negative integer dimensions, found 1.5"),
        Hostile(label: "dimension past Int64", bytes: safetensorsBytes(tensor("w", shape: "[99999999999999999999]"), data: eight), tensor: "w",
                expected: "found 99999999999999999999"),
        Hostile(label: "shape not an array", bytes: safetensorsBytes(tensor("w", shape: "2"), data: eight), tensor: "w",
                expected: "a shape array, found a number"),
        Hostile(label: "missing data_offsets", bytes: safetensorsBytes(#"{"w":{"dtype":"F32","shape":[2]}}"#, data: eight), tensor: "w",
                expected: "a 'data_offsets' field"),
        Hostile(label: "entry not an object", bytes: safetensorsBytes(#"{"w":5}"#), tensor: "w", expected: "found a number"),
        Hostile(label: "dtype not a string", bytes: safetensorsBytes(#"{"w":{"dtype":7,"shape":[2],"data_offsets":[0,8]}}"#, data: eight),
                tensor: "w", expected: "a string dtype, found a number"),
        Hostile(label: "unknown dtype BOOL", bytes: safetensorsBytes(tensor("mask", "BOOL", shape: "[8]"), data: eight), tensor: "mask",
                expected: "unsupported type BOOL"),
        Hostile(label: "unknown dtype I8", bytes: safetensorsBytes(tensor("q.weight", "I8", shape: "[8]"), data: eight), tensor: "q.weight",
                expected: "unsupported type I8"),
        Hostile(label: "unknown dtype F8_E4M3", bytes: safetensorsBytes(tensor("f8", "F8_E4M3", shape: "[8]"), data: eight), tensor: "f8",
                expected: "unsupported type F8_E4M3"),
        Hostile(label: "metadata not strings", bytes: safetensorsBytes(#"{"__metadata__":{"epoch":3}}"#), tensor: "__metadata__",
                expected: "string values, found a number for key 'epoch'"),
        Hostile(label: "metadata not an object", bytes: safetensorsBytes(#"{"__metadata__":[]}"#), tensor: "__metadata__",
                expected: "an object of strings, found an array"),
        Hostile(label: "lone surrogate", bytes: safetensorsBytes(#"{"\ud800":1}"#), tensor: nil, expected: "unpaired surrogate"),
        Hostile(label: "control character in a string", bytes: safetensorsBytes("{\"a\u{01}\":1}"), tensor: nil, expected: "control character"),
        Hostile(label: "leading zero", bytes: safetensorsBytes(tensor("w", shape: "[02]"), data: eight), tensor: nil, expected: "leading zero"),
    ]

    @Test(arguments: hostile)
    func hostileFilesThrowFormatErrorsNamingFileAndTensor(_ hostile: Hostile) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("hostile.safetensors")
        try writeFile(hostile.bytes, path)
        do {
            let checkpoint = try SafetensorsFile.read(path)
            Issue.record("read a hostile file: \(checkpoint.layers.map(\.name))")
        } catch let error as FormatError {
            let text = "\(error)"
            #expect(text.hasPrefix(path + ":"), "\(text)")
            #expect(text.contains(hostile.expected), "\(text)")
            if let tensor = hostile.tensor { #expect(text.contains("'\(tensor)'"), "\(text)") }
        }
    }

    @Test func headerOverTheSizeLimitIsRefusedWithoutReadingIt() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("huge.safetensors")
        try writeFile(safetensorsBytes("{", declaredLength: 100_000_001), path)
        // A sparse file large enough that the length fits in it.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 100_000_100)
        try handle.close()
        #expect(SafetensorsFile.isSafetensors(path))
        do {
            _ = try SafetensorsFile.read(path)
            Issue.record("read a header over the limit")
        } catch let error as FormatError {
            #expect("\(error)" == "\(path): at the safetensors header: expected a header length of at most 100000000 bytes, found 100000001")
        }
    }

    @Test func missingFileAndDirectory() throws {
        let dir = TemporaryDirectory()
        #expect(throws: FormatError.self) { try SafetensorsFile.read(dir.file("missing.safetensors")) }
        do {
            _ = try SafetensorsFile.read(dir.path)
            Issue.record("read a directory")
        } catch let error as FormatError {
            #expect("\(error)".hasPrefix(dir.path))
        }
    }
}
