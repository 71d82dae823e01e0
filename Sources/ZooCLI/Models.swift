import ArgumentParser
import ZooGraph
import ZooModels

/// `zoo models`: the architectures SwiftZoo builds, with parameter counts and transfer points.
struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the architectures with parameter counts and transfer points.")

    @Flag(help: "Print one JSON object.")
    var json = false

    static func describe(_ mode: String) -> String {
        switch mode {
        case "caffe": return "BGR, ImageNet means subtracted"
        case "tf": return "scaled to -1...1"
        case "torch": return "scaled to 0...1, ImageNet mean and std"
        default: return "none; the model rescales inside"
        }
    }

    func run() throws {
        var entries: [JSONValue] = []
        var text = ""
        for arch in Architecture.allCases {
            let top = try arch.build()
            let notop = try arch.build(arch.defaultOptions(includeTop: false))
            let points = arch.transferPoints()
            let input = arch.defaultInputShape
            let mode = arch.preprocessing.mode
            entries.append(.object([
                ("name", .string(arch.rawValue)), ("keras_name", .string(arch.kerasName)),
                ("params_top", .int(top.totalParameterCount)), ("params_notop", .int(notop.totalParameterCount)),
                ("layers_top", .int(top.nodes.count)), ("input_shape", .array(input.map { .int($0) })),
                ("preprocessing", .string(mode)), ("transfer_points", .array(points.map { .string($0) })),
            ]))
            text += "\(arch.kerasName)  (\(arch.rawValue))\n"
            text += "  params: \(InspectReport.grouped(top.totalParameterCount)) with top, \(InspectReport.grouped(notop.totalParameterCount)) without; \(top.nodes.count) layers\n"
            text += "  input \(input.map(String.init).joined(separator: "x")), Keras \"\(mode)\" preprocessing (\(Self.describe(mode)))\n"
            text += "  transfer points: \(points.joined(separator: ", "))\n\n"
        }
        print(json ? JSONValue.object([("architectures", .array(entries))]).rendered() : text, terminator: json ? "\n" : "")
    }
}
