import ArgumentParser
import ZooGraph
import ZooModels

/// `zoo models`: the architectures SwiftZoo builds, with parameter counts and transfer points.
struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the architectures with parameter counts and transfer points.")

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        var entries: [JSONValue] = []
        var text = ""
        for arch in Architecture.allCases {
            let top = try arch.build()
            let notop = try arch.build(ArchitectureOptions(includeTop: false))
            let points = arch.transferPoints()
            entries.append(.object([
                ("name", .string(arch.rawValue)), ("keras_name", .string(arch.kerasName)),
                ("params_top", .int(top.totalParameterCount)), ("params_notop", .int(notop.totalParameterCount)),
                ("layers_top", .int(top.nodes.count)), ("input_shape", .array([224, 224, 3].map { .int($0) })),
                ("preprocessing", .string("caffe")), ("transfer_points", .array(points.map { .string($0) })),
            ]))
            text += "\(arch.kerasName)  (\(arch.rawValue))\n"
            text += "  params: \(InspectReport.grouped(top.totalParameterCount)) with top, \(InspectReport.grouped(notop.totalParameterCount)) without; \(top.nodes.count) layers\n"
            text += "  input 224x224x3, Keras \"caffe\" preprocessing (BGR, ImageNet means subtracted)\n"
            text += "  transfer points: \(points.joined(separator: ", "))\n\n"
        }
        print(json ? JSONValue.object([("architectures", .array(entries))]).rendered() : text, terminator: json ? "\n" : "")
    }
}
