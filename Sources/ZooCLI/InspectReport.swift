import Foundation
import ZooFormats

/// The content of `zoo inspect`, rendered as a table or as the documented JSON object.
struct InspectReport {
    let checkpoint: Checkpoint
    let includeStatistics: Bool

    /// The JSON object: `{"format", "keras_version", "backend", "layers": [{"name", "weights":
    /// [{"name", "path", "shape", "dtype"}]}], "total_params"}` (plus per-weight statistics with
    /// `--stats`). Keys keep this order; missing strings are `null`.
    func json() throws -> String {
        var layers: [JSONValue] = []
        for layer in checkpoint.layers {
            let weights: [JSONValue] = layer.weights.map { weight in
                var fields: [(String, JSONValue)] = [
                    ("name", .string(weight.name)),
                    ("path", .string(weight.path)),
                    ("shape", .array(weight.shape.map { .int($0) })),
                    ("dtype", .string(weight.dtype.rawValue)),
                ]
                if includeStatistics {
                    let stats = TensorStatistics(weight.data, dtype: weight.dtype)
                    fields += [("sum", .double(stats.sum)), ("abs_sum", .double(stats.absoluteSum)),
                               ("min", .double(stats.minimum)), ("max", .double(stats.maximum))]
                }
                return .object(fields)
            }
            layers.append(.object([("name", .string(layer.name)), ("weights", .array(weights))]))
        }
        let object: JSONValue = .object([
            ("format", .string(checkpoint.format.rawValue)),
            ("keras_version", checkpoint.kerasVersion.map(JSONValue.string) ?? .null),
            ("backend", checkpoint.backend.map(JSONValue.string) ?? .null),
            ("layers", .array(layers)),
            ("total_params", .int(checkpoint.parameterCount)),
        ])
        return object.rendered()
    }

    /// A human-readable table of every layer and weight, with totals.
    func table(fileName: String) -> String {
        var out = ""
        let weighted = checkpoint.layers.filter { !$0.weights.isEmpty }.count
        let weightCount = checkpoint.layers.reduce(0) { $0 + $1.weights.count }
        out += "File:     \(fileName)\n"
        out += "Format:   \(checkpoint.format.rawValue) (\(Self.describe(checkpoint.format)))\n"
        out += "Keras:    \(checkpoint.kerasVersion ?? "unknown")    backend: \(checkpoint.backend ?? "unknown")\n"
        if let config = checkpoint.modelConfig { out += "Config:   model config present (\(config.utf8.count) bytes)\n" }
        out += "Layers:   \(checkpoint.layers.count) (\(weighted) with weights), \(weightCount) weights\n\n"
        var rows: [[String]] = [["Layer", "Weight", "Shape", "DType", "Params"] + (includeStatistics ? ["Sum", "Min", "Max"] : [])]
        for layer in checkpoint.layers {
            if layer.weights.isEmpty {
                rows.append([layer.name, "-", "", "", "0"] + (includeStatistics ? ["", "", ""] : []))
                continue
            }
            for (index, weight) in layer.weights.enumerated() {
                var row = [index == 0 ? layer.name : "", weight.name,
                           weight.shape.isEmpty ? "scalar" : weight.shape.map(String.init).joined(separator: "x"),
                           weight.dtype.rawValue, Self.grouped(weight.elementCount)]
                if includeStatistics {
                    let stats = TensorStatistics(weight.data, dtype: weight.dtype)
                    row += [String(format: "%.6g", stats.sum), String(format: "%.6g", stats.minimum), String(format: "%.6g", stats.maximum)]
                }
                rows.append(row)
            }
        }
        out += Self.align(rows)
        out += "\nTotal params: \(Self.grouped(checkpoint.parameterCount)) (\(Self.bytes(checkpoint.byteCount)))\n"
        return out
    }

    static func describe(_ format: CheckpointFormat) -> String {
        switch format {
        case .kerasH5Weights: return "legacy Keras weights-only HDF5"
        case .kerasH5Model: return "legacy Keras full-model HDF5"
        case .keras3Weights: return "Keras 3 .weights.h5"
        case .kerasArchive: return "Keras 3 .keras archive"
        case .safetensors: return "safetensors"
        case .zoo: return "SwiftZoo native .zoo"
        }
    }

    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return out
    }

    static func bytes(_ count: Int) -> String {
        if count >= 1 << 20 { return String(format: "%.1f MiB", Double(count) / 1048576) }
        if count >= 1 << 10 { return String(format: "%.1f KiB", Double(count) / 1024) }
        return "\(count) bytes"
    }

    /// Left-aligns text columns; the Params column (index 4) and statistics are right-aligned.
    static func align(_ rows: [[String]]) -> String {
        guard let columns = rows.first?.count else { return "" }
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column >= 4 ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingWhitespace()
        }.joined(separator: "\n") + "\n"
    }
}

extension String {
    /// The string without trailing whitespace, in linear time (the regular expression `\s+$`
    /// it replaces backtracks quadratically over long padded lines: 5 s for a 32,000-character
    /// layer name).
    func trimmingTrailingWhitespace() -> String {
        var scalars = unicodeScalars[...]
        while let last = scalars.last, last.properties.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
