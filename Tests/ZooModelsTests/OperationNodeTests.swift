import Foundation
import Testing
import ZooFormats
import ZooGraph
@testable import ZooModels

/// Keras op nodes (`x + 3.0` in a functional model): Keras 3's `keras.src.ops.numpy` entries,
/// the same without `module` (Keras 3's legacy `.h5`), tf-keras's `TFOpLambda`; read, written
/// back in both flavors, and the errors for what SwiftZoo does not read.
@Suite struct OperationNodeTests {
    static func tensor(_ layer: String, _ shape: String = "[null, 4]") -> String {
        #"{"class_name": "__keras_tensor__", "config": {"shape": \#(shape), "dtype": "float32", "keras_history": ["\#(layer)", 0, 0]}}"#
    }

    /// A Keras 3 functional model: input -> each op node in turn.
    static func keras3(_ nodes: [(cls: String, args: String)], module: String? = "keras.src.ops.numpy") -> String {
        var layers = [#"{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4], "dtype": "float32", "name": "input_layer"}, "registered_name": null, "name": "input_layer", "inbound_nodes": []}"#]
        var previous = "input_layer"
        for (i, node) in nodes.enumerated() {
            let name = "op\(i)"
            let args = node.args.replacingOccurrences(of: "T", with: tensor(previous))
            let moduleField = module.map { #""module": "\#($0)", "#} ?? ""
            layers.append(#"{\#(moduleField)"class_name": "\#(node.cls)", "config": {"name": "\#(name)"}, "registered_name": "\#(node.cls)", "name": "\#(name)", "inbound_nodes": [{"args": \#(args), "kwargs": {}}]}"#)
            previous = name
        }
        return #"{"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "m", "trainable": true, "layers": [\#(layers.joined(separator: ", "))], "input_layers": [["input_layer", 0, 0]], "output_layers": [["\#(previous)", 0, 0]]}}"#
    }

    static let keras3Nodes: [(cls: String, args: String)] = [("Add", "[T, 3.0]"), ("Multiply", "[T, 0.16666666666666666]"), ("Subtract", "[1.5, T]"),
                                                            ("TrueDivide", "[T, 6]"), ("Divide", "[2.0, T]"), ("Subtract", "[T, -0.25]")]
    static let expected: [ScalarArithmetic] = [ScalarArithmetic(.add, 3), ScalarArithmetic(.multiply, 1.0 / 6.0), ScalarArithmetic(.subtract, 1.5, constantFirst: true),
                                               ScalarArithmetic(.divide, 6), ScalarArithmetic(.divide, 2, constantFirst: true), ScalarArithmetic(.subtract, -0.25)]

    @Test(arguments: ["keras.src.ops.numpy", nil] as [String?])
    func keras3OpNodesImport(module: String?) throws {
        let graph = try KerasConfigImporter.graph(fromJSON: Self.keras3(Self.keras3Nodes, module: module))
        #expect(graph.nodes.count == 7)
        for (i, want) in Self.expected.enumerated() {
            let node = try #require(graph.node("op\(i)"))
            #expect(node.op == .scalarArithmetic(want))
            #expect(node.op.isOperationNode)
            #expect(node.outputShape == [4])
            #expect(node.weights.isEmpty)
        }
        #expect(graph.outputs == ["op5"])
    }

    @Test func keras3ExportWritesOpNodesAndRoundTrips() throws {
        let graph = try KerasConfigImporter.graph(fromJSON: Self.keras3(Self.keras3Nodes))
        let json = try KerasConfigExporter.json(for: graph)
        #expect(json.contains(#"{"module": "keras.src.ops.numpy", "class_name": "Add", "config": {"name": "op0"}, "registered_name": "Add", "name": "op0", "inbound_nodes": [{"args": [\#(Self.tensor("input_layer")), 3.0], "kwargs": {}}]}"#))
        #expect(json.contains(#""class_name": "Subtract", "config": {"name": "op2"}, "registered_name": "Subtract", "name": "op2", "inbound_nodes": [{"args": [1.5, "#))
        #expect(json.contains(#""class_name": "TrueDivide", "config": {"name": "op4"}"#))
        #expect(try KerasConfigImporter.graph(fromJSON: json) == graph)
    }

    @Test func tfOpLambdaImportsInBothNodeForms() throws {
        func model(_ inbound: String, function: String = "__operators__.add") -> String {
            #"{"class_name": "Functional", "config": {"name": "m", "layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "name": "input_1"}, "name": "input_1", "inbound_nodes": []}, {"class_name": "TFOpLambda", "config": {"name": "tf.__operators__.add", "trainable": true, "dtype": "float32", "function": "\#(function)"}, "name": "tf.__operators__.add", "inbound_nodes": \#(inbound)}], "input_layers": [["input_1", 0, 0]], "output_layers": [["tf.__operators__.add", 0, 0]]}, "keras_version": "2.18.0", "backend": "tensorflow"}"#
        }
        // As tf-keras writes it (the one call unwrapped), and wrapped like other layers' nodes.
        for inbound in [#"[["input_1", 0, 0, {"y": 3.0, "name": null}]]"#, #"[[["input_1", 0, 0, {"y": 3.0, "name": null}]]]"#] {
            let graph = try KerasConfigImporter.graph(fromJSON: model(inbound))
            #expect(graph.node("tf.__operators__.add")?.op == .scalarArithmetic(ScalarArithmetic(.add, 3)))
            #expect(graph.node("tf.__operators__.add")?.inputs == ["input_1"])
        }
        let multiply = try KerasConfigImporter.graph(fromJSON: model(#"[["input_1", 0, 0, {"y": 0.5, "name": null}]]"#, function: "math.multiply"))
        #expect(multiply.node("tf.__operators__.add")?.op == .scalarArithmetic(ScalarArithmetic(.multiply, 0.5)))
        // tf-keras flavor writes a TFOpLambda back, unwrapped, and reads it again.
        let json = try KerasConfigExporter.json(for: multiply, flavor: .tfKeras2)
        #expect(json.contains(#""class_name": "TFOpLambda", "config": {"name": "tf.__operators__.add", "trainable": true, "dtype": "float32", "function": "math.multiply"}, "registered_name": "TFOpLambda", "build_config": {"input_shape": [null, 4]}, "name": "tf.__operators__.add", "inbound_nodes": [["input_1", 0, 0, {"y": 0.5, "name": null}]]"#))
        #expect(try KerasConfigImporter.graph(fromJSON: json) == multiply)
        // Keras 3 flavor: the same node as a Keras 3 op node (a name with dots, which Keras 3 accepts).
        #expect(try KerasConfigExporter.json(for: multiply).contains(#"{"module": "keras.src.ops.numpy", "class_name": "Multiply", "config": {"name": "tf.__operators__.add"}"#))
    }

    @Test func unsupportedOperationsAreNamed() throws {
        let cases: [(String, String)] = [
            (Self.keras3([("Sin", "[T]")]), "layer 'op0' has unsupported type Sin from keras.src.ops.numpy (a Keras op applied to tensors"),
            (Self.keras3([("TrueDivide", "[T, T]")]), "layer 'op0' has unsupported type TrueDivide from keras.src.ops.numpy of 2 tensor(s) and 0 other argument(s)"),
            (Self.keras3([("Multiply", #"[T, "x"]"#)]), "invalid model config: op node 'op0' (Multiply from keras.src.ops.numpy): the argument beside the tensor is not a finite number"),
        ]
        for (json, prefix) in cases {
            #expect { try KerasConfigImporter.graph(fromJSON: json) } throws: { "\($0)".hasPrefix(prefix) }
        }
        let sin = #"{"class_name": "Functional", "config": {"name": "m", "layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "name": "input_1"}, "name": "input_1", "inbound_nodes": []}, {"class_name": "TFOpLambda", "config": {"name": "s", "function": "math.sin"}, "name": "s", "inbound_nodes": [["input_1", 0, 0, {"name": null}]]}], "input_layers": [["input_1", 0, 0]], "output_layers": [["s", 0, 0]]}}"#
        #expect { try KerasConfigImporter.graph(fromJSON: sin) } throws: { "\($0)".hasPrefix("layer 's' has unsupported type TFOpLambda of tf.math.sin") }
    }

    /// tf-keras names layers `expanded_conv/depthwise`; Keras 3 refuses '/', so its config
    /// gets `_` (and two names that would collide are an error).
    @Test func keras3ExportReplacesSlashes() throws {
        var graph = Graph()
        try graph.add("input_1", .input(shape: [4]))
        try graph.add("block/dense", .dense(DenseAttributes(units: 3)), inputs: ["input_1"])
        try graph.add("block/add", .scalarArithmetic(ScalarArithmetic(.add, 3)), inputs: ["block/dense"])
        graph.outputs = ["block/add"]
        let json = try KerasConfigExporter.json(for: graph)
        #expect(!json.contains("block/"))
        let back = try KerasConfigImporter.graph(fromJSON: json)
        #expect(back.nodes.map(\.name) == ["input_1", "block_dense", "block_add"])
        #expect(back.node("block_add")?.inputs == ["block_dense"])
        #expect(back.outputs == ["block_add"])
        try graph.add("block_add", .relu, inputs: ["block/add"])
        #expect { try KerasConfigExporter.json(for: graph) } throws: { "\($0)".contains("layers 'block/add' and 'block_add' both become 'block_add'") }
    }

    /// Op nodes are not Keras layers: no checkpoint layer, no Keras 3 weight group counter.
    @Test func opNodesAreNotLayers() throws {
        var graph = Graph()
        try graph.add("input_layer", .input(shape: [4]))
        try graph.add("add", .scalarArithmetic(ScalarArithmetic(.add, 3)), inputs: ["input_layer"])
        try graph.add("add_1", .add, inputs: ["add", "input_layer"])
        #expect(WeightNameMap.keras3GroupNames(graph)["add_1"] == "add")
        #expect(WeightNameMap.keras3GroupNames(graph)["add"] == nil)
        let config = try KerasModelConfig(json: try KerasConfigExporter.json(for: graph), file: "m")
        #expect(config.layers.map(\.name) == ["input_layer", "add_1"])
    }

    /// Two-tensor op nodes (`a + b`, `a * g`): Keras 3 args [a, b], tf-keras `y` naming the
    /// second tensor; and tf-keras's `2.0 - x` (`_CONSTANT_VALUE` first).
    @Test func twoTensorAndConstantFirstForms() throws {
        let a = Self.tensor("input_layer", "[null, 4]")
        let keras3 = #"{"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "m", "layers": [{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4], "name": "input_layer"}, "inbound_nodes": []}, {"module": "keras.src.ops.numpy", "class_name": "Multiply", "config": {"name": "multiply"}, "name": "multiply", "inbound_nodes": [{"args": [\#(a), \#(a)], "kwargs": {}}]}], "input_layers": [["input_layer", 0, 0]], "output_layers": [["multiply", 0, 0]]}}"#
        let graph = try KerasConfigImporter.graph(fromJSON: keras3)
        #expect(graph.node("multiply")?.op == .tensorArithmetic(.multiply))
        #expect(graph.node("multiply")?.inputs == ["input_layer", "input_layer"])
        #expect(try KerasConfigImporter.graph(fromJSON: try KerasConfigExporter.json(for: graph)) == graph)
        let tf = try KerasConfigExporter.json(for: graph, flavor: .tfKeras2)
        #expect(tf.contains(#""inbound_nodes": [["input_layer", 0, 0, {"y": ["input_layer", 0, 0], "name": null}]]"#))
        #expect(try KerasConfigImporter.graph(fromJSON: tf) == graph)

        var rsub = Graph()
        try rsub.add("input_1", .input(shape: [4]))
        try rsub.add("tf.math.subtract", .scalarArithmetic(ScalarArithmetic(.subtract, 2, constantFirst: true)), inputs: ["input_1"])
        rsub.outputs = ["tf.math.subtract"]
        let rsubJSON = try KerasConfigExporter.json(for: rsub, flavor: .tfKeras2)
        #expect(rsubJSON.contains(#""inbound_nodes": [["_CONSTANT_VALUE", -1, 2.0, {"y": ["input_1", 0, 0], "name": null}]]"#))
        let rsubBack = try KerasConfigImporter.graph(fromJSON: rsubJSON)
        #expect(rsubBack == rsub, "\(rsubBack.nodes.map { ($0.name, $0.op, $0.inputs) }) from \(rsubJSON)")

        // Different ranks and tensor / tensor are refused with the node's name.
        var bad = Graph()
        try bad.add("x", .input(shape: [2, 4]))
        try bad.add("y", .input(shape: [4]))
        #expect(throws: GraphError.self) { try bad.add("sum", .tensorArithmetic(.add), inputs: ["x", "y"]) }
        #expect(throws: GraphError.self) { try bad.add("ratio", .tensorArithmetic(.divide), inputs: ["x", "x"]) }
    }
}
