import ArgumentParser
import ZooFormats
import ZooGraph
import ZooModels

/// `zoo summary FILE`: the model a file holds, as Keras's `model.summary()` plus a binding report.
struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the model a weight file holds, and how its weights bind.",
        discussion: "Uses the file's config when it has one; otherwise detects the architecture and naming from the weight names (or use --arch / --naming)."
    )

    @Argument(help: "A Keras weight file in any layout.")
    var file: String

    @OptionGroup var model: ModelOptions
    @OptionGroup var build: BuildOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let loaded = try model.loader(build: build).load(file)
        let graph = loaded.model.graph
        let report = loaded.model.report
        if json {
            print(Self.json(graph: graph, architecture: loaded.architecture, scheme: loaded.model.scheme, report: report).rendered())
        } else {
            print(Self.table(graph: graph, title: loaded.architecture?.kerasName ?? "model from the file's config", scheme: loaded.model.scheme), terminator: "")
            print(report.text)
        }
    }

    static func shapeText(_ shape: [Int]) -> String { "(None" + shape.map { ", \($0)" }.joined() + ")" }

    static func json(graph: Graph, architecture: Architecture?, scheme: NamingScheme, report: BindingReport) -> JSONValue {
        func row(_ node: Node) -> JSONValue {
            var fields: [(String, JSONValue)] = [
                ("name", .string(node.name)), ("type", .string(node.op.kerasClassName)),
                ("output_shape", .array([.null] + node.outputShape.map { .int($0) })),
                ("params", .int(node.parameterCount)), ("trainable", .bool(node.trainable)),
                ("inputs", .array(graph.kerasInputs(of: node).map { .string($0) })),
            ]
            // The epsilon decides the outputs, and it differs between Keras eras.
            if case .batchNormalization(let bn) = node.op { fields.append(("epsilon", .double(bn.epsilon))) }
            // An op node (`x + 3.0`) is part of the graph but not of Keras's `model.layers`.
            if node.op.isOperationNode { fields.append(("operation", .bool(true))) }
            return .object(fields)
        }
        // A nested model is one row, as in Keras's `model.layers`, with its layers inside; op
        // nodes (not in `model.layers`) keep their own rows, marked.
        var layers: [JSONValue] = []
        var nested = graph.modelLayers.filter(\.isNestedModel).makeIterator()
        var pending = nested.next()
        for node in graph.nodes {
            guard let container = node.container else { layers.append(row(node)); continue }
            guard let layer = pending, layer.name == container else { continue }
            pending = nested.next()
            layers.append(.object([
                ("name", .string(layer.name)), ("type", .string(layer.className)),
                ("output_shape", .array([.null] + layer.outputShape.map { JSONValue.int($0) })),
                ("params", .int(layer.parameterCount)), ("trainable", .bool(layer.nodes.contains { $0.trainable })),
                ("inputs", .array(graph.kerasInputs(of: layer).map { .string($0) })),
                ("layers", .array(layer.nodes.map(row))),
            ]))
        }
        let binding: JSONValue = .object([
            ("matched", .int(report.matched.count)),
            ("missing", .array(report.missing.map { .string($0) })),
            ("unexpected", .array(report.unexpected.map { .string($0) })),
            ("mismatched", .array(report.mismatched.map { m in
                .object([("name", .string(m.name)), ("expected", .array(m.expected.map { .int($0) })), ("found", .array(m.found.map { .int($0) }))])
            })),
        ])
        return .object([
            ("architecture", architecture.map { .string($0.rawValue) } ?? .null),
            ("naming", .string(scheme.rawValue)),
            ("layers", .array(layers)),
            ("total_params", .int(graph.totalParameterCount)),
            ("trainable_params", .int(graph.trainableParameterCount)),
            ("non_trainable_params", .int(graph.nonTrainableParameterCount)),
            ("binding", binding),
        ])
    }

    static func table(graph: Graph, title: String, scheme: NamingScheme) -> String {
        var rows: [[String]] = [["Layer (type)", "Output Shape", "Param #", "Connected to"]]
        let nested = Dictionary(graph.modelLayers.filter(\.isNestedModel).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var container: String?
        for node in graph.nodes {
            // A nested model gets a row of its own, its layers indented under it.
            if let name = node.container, name != container, let layer = nested[name] {
                rows.append(["\(name) (\(layer.className))", shapeText(layer.outputShape), InspectReport.grouped(layer.parameterCount),
                             graph.kerasInputs(of: layer).joined(separator: ", ")])
            }
            container = node.container
            let indent = node.container == nil ? "" : "  "
            let inputs = graph.kerasInputs(of: node)
            rows.append(["\(indent)\(node.name) (\(node.op.kerasClassName))\(node.trainable ? "" : " [frozen]")", shapeText(node.outputShape),
                         InspectReport.grouped(node.parameterCount), inputs.isEmpty ? "-" : inputs.joined(separator: ", ")])
        }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        let rule = String(repeating: "=", count: widths.reduce(0, +) + 6)
        func line(_ row: [String]) -> String {
            row.enumerated().map { column, cell in
                column == 3 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
        }
        var out = "Model: \(title) (naming: \(scheme.rawValue))\n\(rule)\n\(line(rows[0]))\n\(rule)\n"
        for row in rows.dropFirst() { out += line(row) + "\n" }
        out += "\(rule)\n"
        out += "Total params: \(InspectReport.grouped(graph.totalParameterCount)) (\(InspectReport.bytes(graph.totalParameterCount * 4)))\n"
        out += "Trainable params: \(InspectReport.grouped(graph.trainableParameterCount))\n"
        out += "Non-trainable params: \(InspectReport.grouped(graph.nonTrainableParameterCount))\n\n"
        return out
    }
}
