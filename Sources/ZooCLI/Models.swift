import ArgumentParser
import ZooGraph
import ZooModels
import ZooNative

/// `zoo models`: the model-selection table of every architecture SwiftZoo builds (size, cost at
/// the default input, input size, preprocessing, feature width), then each one's transfer points.
struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Choose a backbone: every architecture with its parameters, multiply-adds, input size, preprocessing and transfer points.")

    @Flag(help: "Print one JSON object.")
    var json = false

    /// One architecture's row.
    struct Row {
        let architecture: Architecture
        let top: Graph
        let notop: Graph
        let points: [String]

        var features: Int { notop.nodes.last?.outputShape.last ?? 0 }
    }

    func run() throws {
        let rows = try Architecture.allCases.map { arch in
            Row(architecture: arch, top: try arch.build(), notop: try arch.build(arch.defaultOptions(includeTop: false)), points: arch.transferPoints())
        }
        if json {
            let entries: [JSONValue] = rows.map { row in
                let arch = row.architecture
                return .object([
                    ("name", .string(arch.rawValue)), ("keras_name", .string(arch.kerasName)),
                    ("params_top", .int(row.top.totalParameterCount)), ("params_notop", .int(row.notop.totalParameterCount)),
                    ("layers_top", .int(row.top.modelLayers.count)), ("input_shape", .array(arch.defaultInputShape.map { .int($0) })),
                    ("multiply_adds", .int(row.top.multiplyAdds)), ("flops", .int(2 * row.top.multiplyAdds)),
                    ("features", .int(row.features)),
                    ("preprocessing", .string(arch.preprocessing.mode)), ("transfer_points", .array(row.points.map { .string($0) })),
                ])
            }
            print(JSONValue.object([("architectures", .array(entries))]).rendered())
            return
        }
        print(Self.table(rows), terminator: "")
    }

    /// The text table, then the transfer points of each architecture.
    static func table(_ rows: [Row]) -> String {
        let header = ["architecture", "Keras name", "params", "no top", "GMACs", "input", "preprocessing", "features", "layers"]
        let cells = rows.map { row -> [String] in
            let arch = row.architecture
            let macs = Double(row.top.multiplyAdds) / 1e9
            return [arch.rawValue, arch.kerasName, millions(row.top.totalParameterCount), millions(row.notop.totalParameterCount),
                    macs < 10 ? String(format: "%.2f", macs) : String(format: "%.1f", macs),
                    arch.defaultInputShape.prefix(2).map(String.init).joined(separator: "x"), arch.preprocessing.mode,
                    String(row.features), String(row.top.modelLayers.count)]
        }
        let widths = header.indices.map { column in ([header[column]] + cells.map { $0[column] }).map(\.count).max() ?? 0 }
        let numeric: Set<Int> = [2, 3, 4, 7, 8]
        func line(_ values: [String]) -> String {
            values.enumerated().map { column, value in
                let pad = String(repeating: " ", count: widths[column] - value.count)
                return numeric.contains(column) ? pad + value : value + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
        }
        var text = line(header) + line(widths.map { String(repeating: "-", count: $0) }) + cells.map(line).joined()
        text += "\nparams: with the ImageNet classifier (1000 classes) and without it; GMACs: multiply-adds per image at the\n"
        text += "default input, with the classifier (2 FLOPs each); features: channels of the backbone's output\n"
        text += "(the width a new head sees after pooling); preprocessing: caffe = BGR minus ImageNet means,\n"
        text += "tf = [-1, 1], torch = [0, 1] then ImageNet mean/std, none = the model rescales inside.\n"
        text += "\nTransfer points (shallow to deep; cut with `zoo slice --at`, train after them with `zoo train --at`):\n"
        for row in rows {
            text += "  \(row.architecture.rawValue): \(row.points.joined(separator: ", "))\n"
        }
        return text
    }

    /// 25,636,712 -> "25.6M".
    static func millions(_ count: Int) -> String {
        String(format: "%.1fM", Double(count) / 1e6)
    }
}
