import ZooFormats
import ZooGraph

/// Builds a `Graph` from a Keras model config JSON.
///
/// Accepted sources:
/// * Keras 3: `config.json` of a `.keras` archive, `model.to_json()`, and the `model_config`
///   attribute Keras 3 writes into a legacy full-model `.h5`. Inbound nodes look like
///   `[{"args": [<keras tensor>], "kwargs": {...}}]`; merge layers (Add, Concatenate) take a
///   list of keras tensors as `args[0]`.
/// * tf-keras 2.x / Keras 2: the `model_config` attribute of a legacy full-model `.h5`, with
///   inbound nodes as nested lists `[[["layer", 0, 0, {}], ...]]`.
///
/// Functional models (`Functional`, `Model`) keep their layer order and wiring. Sequential
/// models (`{"layers": [...]}` or Keras 2.0's bare layer list) are chained in order; their input
/// node is the config's `InputLayer` or, when there is none, a node named `input_layer` (as
/// Keras 3 names it) built from the first layer's `batch_input_shape` / `batch_shape`.
///
/// A nested model used as a layer (a Sequential or Functional in the layer list, as ConvNeXt's
/// stem and `Sequential([base_model, Dense(...)])` have) is inlined: its layers join the graph
/// in order, each with `Node.container` set to the nested model's name. One level of nesting.
///
/// Every other class, a shared layer (called more than once)
/// and an option the graph cannot represent (an activation other than linear, relu, softmax,
/// sigmoid, tanh; `channels_first`; ...) throw `GraphError.unsupportedLayer` naming the layer
/// (the option is named after the class: "ReLU with max_value=6.0"); malformed JSON or a config
/// that is not a Keras model throws `GraphError.invalidConfig`.
///
/// Numbers are parsed with Swift's correctly rounded `Double(_:)` (Foundation's Linux
/// `JSONSerialization` can be off by one ulp, e.g. for Rescaling's 1/255), so an exported
/// config re-imports to an equal graph.
public enum KerasConfigImporter {
    /// Parses a Keras model config JSON string into a graph.
    public static func graph(fromJSON json: String) throws -> Graph {
        let root: JSONDocument
        do {
            root = try JSONDocument.parse(json, options: .python)
        } catch let error as JSONDocument.ParseError {
            throw GraphError.invalidConfig("the text is not valid JSON: \(error)")
        }
        return try graph(from: root)
    }

    static func graph(from root: JSONDocument) throws -> Graph {
        guard let model = root.dictionary else {
            // Keras 2.0 Sequential configs are sometimes stored as a bare list of layers.
            if let layers = root.array { return try sequential(layers: try layerObjects(layers), buildInputShape: nil) }
            throw GraphError.invalidConfig("expected a JSON object with 'class_name' and 'config'")
        }
        guard let className = model["class_name"]?.string else {
            throw GraphError.invalidConfig("the model has no 'class_name'")
        }
        switch className {
        case "Functional", "Model":
            guard let config = model["config"]?.dictionary else {
                throw GraphError.invalidConfig("the \(className) model has no 'config' object")
            }
            return try functional(config: config)
        case "Sequential":
            if let layers = model["config"]?.array { return try sequential(layers: try layerObjects(layers), buildInputShape: nil) }
            guard let config = model["config"]?.dictionary, let layers = config["layers"]?.array else {
                throw GraphError.invalidConfig("the Sequential model has no 'config.layers' list")
            }
            return try sequential(layers: try layerObjects(layers), buildInputShape: config["build_input_shape"])
        default:
            throw GraphError.invalidConfig("the model class is '\(className)'; expected Functional, Model or Sequential")
        }
    }

    // MARK: - Models

    private static func layerObjects(_ list: [JSONDocument]) throws -> [LayerEntry] {
        try list.enumerated().map { index, item in
            guard let layer = item.dictionary else { throw GraphError.invalidConfig("layer #\(index) is not a JSON object") }
            return try LayerEntry(layer, index: index)
        }
    }

    private static func functional(config: [String: JSONDocument]) throws -> Graph {
        var graph = Graph()
        graph.outputs = try addFunctional(config: config, into: &graph, container: nil, boundInputs: nil, trainable: true)
        if let inputs = config["input_layers"], !inputs.isNull {
            for input in try tensorNames(inputs, what: "input_layers") {
                guard let node = graph.node(input), case .input = node.op else {
                    throw GraphError.invalidConfig("input layer '\(input)' is not an InputLayer of the model")
                }
            }
        }
        return graph
    }

    /// Adds a functional model's layers to `graph` and returns the graph names of its outputs.
    /// A nested model (`container` set) has its InputLayers stand for `boundInputs`, the outer
    /// tensors it is called on, in `input_layers` order.
    private static func addFunctional(config: [String: JSONDocument], into graph: inout Graph, container: String?,
                                      boundInputs: [String]?, trainable: Bool) throws -> [String] {
        guard let rawLayers = config["layers"]?.array else {
            throw GraphError.invalidConfig("the functional model\(container.map { " '\($0)'" } ?? "") has no 'layers' list")
        }
        var alias: [String: String] = [:]
        var nestedModels: Set<String> = []
        var inputOrder: [String] = []
        if boundInputs != nil, let inputs = config["input_layers"], !inputs.isNull, inputs.array?.isEmpty != true {
            inputOrder = try tensorNames(inputs, what: "input_layers")
        }
        for entry in try layerObjects(rawLayers) {
            let inputs = try inboundLayerNames(entry, nestedModels: nestedModels).map { alias[$0] ?? $0 }
            if entry.className == "InputLayer" {
                guard inputs.isEmpty else { throw GraphError.invalidConfig("InputLayer '\(entry.name)' has inbound nodes") }
                if let boundInputs, let container {
                    let position = inputOrder.firstIndex(of: entry.name) ?? (boundInputs.count == 1 ? 0 : -1)
                    guard boundInputs.indices.contains(position) else {
                        throw GraphError.invalidConfig("nested model '\(container)': its InputLayer '\(entry.name)' has no matching tensor among the \(boundInputs.count) it is called on")
                    }
                    let outer = graph.node(boundInputs[position])?.outputShape
                    let own = try makeOp(entry, inputShapes: [])
                    if case .input(let shape) = own, let outer, outer != shape {
                        throw GraphError.shapeMismatch(node: container, reason: "nested model input '\(entry.name)' expects shape \(shape), but is called on a tensor of shape \(outer)")
                    }
                    alias[entry.name] = boundInputs[position]
                    continue
                }
            } else if inputs.isEmpty {
                throw GraphError.invalidConfig("layer '\(entry.name)' (\(entry.className)) has no inbound nodes")
            }
            if isNestedModel(entry) {
                alias[entry.name] = try addNestedModel(entry, inputs: inputs, into: &graph, outerContainer: container, trainable: trainable)
                nestedModels.insert(entry.name)
                continue
            }
            let op = try makeOp(entry, inputShapes: inputShapes(inputs, of: entry, in: graph))
            try graph.add(entry.name, op, inputs: inputs, trainable: entry.trainable && trainable, container: container)
        }
        let outputs = try tensorNames(config["output_layers"], what: container.map { "output_layers' of nested model '\($0)" } ?? "output_layers")
            .map { alias[$0] ?? $0 }
        for output in outputs where graph.node(output) == nil {
            throw GraphError.invalidConfig("output layer '\(output)' is not a layer of the model\(container.map { " '\($0)'" } ?? "")")
        }
        return outputs
    }

    /// Adds the layers of a nested model (a Sequential or Functional used as a layer) called on
    /// `inputs`, each marked with the nested model's name, and returns the node that stands for
    /// its output. One level of nesting: a nested model inside a nested model is refused.
    private static func addNestedModel(_ entry: LayerEntry, inputs: [String], into graph: inout Graph, outerContainer: String?, trainable: Bool) throws -> String {
        if let outerContainer {
            throw GraphError.unsupportedLayer(name: entry.name, className: "\(entry.className) nested inside the nested model '\(outerContainer)' (SwiftZoo reads one level of nested models)")
        }
        let isTrainable = entry.trainable && trainable
        if entry.className == "Sequential" || (entry.className != "Functional" && entry.className != "Model" && entry.config["input_layers"] == nil) {
            guard inputs.count == 1 else {
                throw GraphError.invalidConfig("nested Sequential '\(entry.name)' is called on \(inputs.count) tensors; a Sequential takes one")
            }
            guard let list = entry.config["layers"]?.array else { throw GraphError.invalidConfig("nested Sequential '\(entry.name)' has no 'layers' list") }
            var previous = inputs[0]
            var layers = try layerObjects(list)
            if layers.first?.className == "InputLayer" { layers.removeFirst() }
            guard !layers.isEmpty else { throw GraphError.invalidConfig("nested Sequential '\(entry.name)' has no layers") }
            for layer in layers {
                guard layer.className != "InputLayer" else {
                    throw GraphError.invalidConfig("InputLayer '\(layer.name)' is not the first layer of the nested Sequential '\(entry.name)'")
                }
                if isNestedModel(layer) {
                    throw GraphError.unsupportedLayer(name: layer.name, className: "\(layer.className) nested inside the nested model '\(entry.name)' (SwiftZoo reads one level of nested models)")
                }
                let op = try makeOp(layer, inputShapes: inputShapes([previous], of: layer, in: graph))
                previous = try graph.add(layer.name, op, inputs: [previous], trainable: layer.trainable && isTrainable, container: entry.name)
            }
            return previous
        }
        let outputs = try addFunctional(config: entry.config, into: &graph, container: entry.name, boundInputs: inputs, trainable: isTrainable)
        guard outputs.count == 1 else {
            throw GraphError.unsupportedLayer(name: entry.name, className: "\(entry.className) with \(outputs.count) outputs (a nested model used as a layer must have one)")
        }
        guard graph.node(outputs[0])?.container == entry.name else {
            throw GraphError.unsupportedLayer(name: entry.name, className: "\(entry.className) whose output is one of its inputs (a nested model without layers)")
        }
        return outputs[0]
    }

    /// The input shape a nested model declares (its InputLayer or build_input_shape), for a
    /// Sequential whose first layer is that nested model.
    private static func nestedInputShape(_ entry: LayerEntry) throws -> [Int]? {
        if let first = entry.config["layers"]?.array?.first?.dictionary, first["class_name"]?.string == "InputLayer",
           let config = first["config"]?.dictionary, let batch = config["batch_shape"] ?? config["batch_input_shape"], !batch.isNull {
            return try dropBatch(batch, layer: entry.name, key: "batch_shape")
        }
        if let batch = entry.config["build_input_shape"], !batch.isNull { return try dropBatch(batch, layer: entry.name, key: "build_input_shape") }
        return nil
    }

    private static func sequential(layers: [LayerEntry], buildInputShape: JSONDocument?) throws -> Graph {
        var entries = layers
        guard !entries.isEmpty else { throw GraphError.invalidConfig("the Sequential model has no layers") }
        var graph = Graph()
        var previous: String
        if entries[0].className == "InputLayer" {
            let input = entries.removeFirst()
            previous = try graph.add(input.name, try makeOp(input, inputShapes: []), trainable: input.trainable)
        } else if isNestedModel(entries[0]), let shape = try nestedInputShape(entries[0]) {
            // `Sequential([base_model, ...])`: the input is the nested model's.
            previous = try graph.add("input_layer", .input(shape: shape))
        } else {
            // No InputLayer: the first layer carries the batch input shape (Keras 2), or the model
            // its build_input_shape (Keras 3). Keras 3 names the input it creates "input_layer".
            let first = entries[0]
            let batchShape = [first.config["batch_input_shape"], first.config["batch_shape"], buildInputShape]
                .compactMap { $0 }.first { !$0.isNull }
            guard let batchShape else {
                throw GraphError.invalidConfig("the Sequential model has no InputLayer and its first layer '\(first.name)' has no 'batch_input_shape'")
            }
            previous = try graph.add("input_layer", .input(shape: try dropBatch(batchShape, layer: first.name, key: "batch_input_shape")))
        }
        for entry in entries {
            guard entry.className != "InputLayer" else {
                throw GraphError.invalidConfig("InputLayer '\(entry.name)' is not the first layer of the Sequential model")
            }
            if isNestedModel(entry) {
                previous = try addNestedModel(entry, inputs: [previous], into: &graph, outerContainer: nil, trainable: true)
                continue
            }
            let op = try makeOp(entry, inputShapes: inputShapes([previous], of: entry, in: graph))
            previous = try graph.add(entry.name, op, inputs: [previous], trainable: entry.trainable)
        }
        graph.outputs = [previous]
        return graph
    }

    private static func inputShapes(_ names: [String], of entry: LayerEntry, in graph: Graph) throws -> [[Int]] {
        try names.map { name in
            guard let node = graph.node(name) else {
                throw GraphError.invalidConfig("layer '\(entry.name)' reads '\(name)', which is not an earlier layer of the model")
            }
            return node.outputShape
        }
    }

    // MARK: - Layer entries

    /// One entry of the config's `layers` list.
    private struct LayerEntry {
        var className: String
        /// Keras 3 (and tf-keras >= 2.13) record where the class lives: `keras.layers` for
        /// built-in layers, `keras.src.ops.numpy` for an op applied to a tensor, a user module
        /// for a custom layer.
        var module: String?
        var name: String
        var config: [String: JSONDocument]
        var trainable: Bool
        var inboundNodes: [JSONDocument]

        init(_ layer: [String: JSONDocument], index: Int) throws {
            guard let className = layer["class_name"]?.string else {
                throw GraphError.invalidConfig("layer #\(index) has no 'class_name'")
            }
            let config: [String: JSONDocument]
            switch layer["config"] {
            case .object?: config = layer["config"]?.dictionary ?? [:]
            case nil, .null?: config = [:]
            case .array(let list)? where className == "Sequential": config = ["layers": .array(list)]
            default: throw GraphError.invalidConfig("layer #\(index) (\(className)) has a 'config' that is not an object")
            }
            guard let name = config["name"]?.string ?? layer["name"]?.string else {
                throw GraphError.invalidConfig("layer #\(index) (\(className)) has no name")
            }
            self.className = className
            self.module = layer["module"]?.string
            self.name = name
            self.config = config
            self.trainable = config["trainable"]?.bool ?? layer["trainable"]?.bool ?? true
            switch layer["inbound_nodes"] {
            case nil, .null?: self.inboundNodes = []
            case .array(let list)?: self.inboundNodes = list
            default: throw GraphError.invalidConfig("layer '\(name)' has 'inbound_nodes' that is not a list")
            }
        }
    }

    /// The layers feeding the entry's single call, in argument order.
    /// (Keras 2 era: see `LayerEntry.isKeras2`.)
    /// A nested model built on its own InputLayer has that call as node 0, so the model's
    /// readers name its output node 1 (tf-keras writes `["convnext_tiny_stem", 1, 0]`):
    /// `nestedModels` may be read at any node index (each is called once).
    private static func inboundLayerNames(_ entry: LayerEntry, nestedModels: Set<String> = []) throws -> [String] {
        guard !entry.inboundNodes.isEmpty else { return [] }
        guard entry.inboundNodes.count == 1 else {
            throw GraphError.unsupportedLayer(name: entry.name, className: "\(entry.className) (a shared layer called \(entry.inboundNodes.count) times; not supported)")
        }
        var history: [[JSONDocument]] = []
        switch entry.inboundNodes[0] {
        case .array(let legacy) where legacy.first?.string != nil:
            // tf-keras's TFOpLambda: the call's first tensor unwrapped, ["layer", 0, 0, {"y": 3.0}];
            // a second tensor is the `y` keyword (["other", 0, 0]).
            guard legacy.count >= 3 else {
                throw GraphError.invalidConfig("layer '\(entry.name)' has an inbound tensor that is not [name, node_index, tensor_index, ...]")
            }
            // `2.0 - x` puts the number first: ["_CONSTANT_VALUE", -1, 2.0, {"y": ["x", 0, 0]}].
            if legacy[0].string != tfConstantValue { history.append(legacy) }
            if legacy.count >= 4, let y = legacy[3]["y"]?.array, y.count >= 3, y[0].string != nil { history.append(y) }
        case .array(let legacy):
            // tf-keras 2.x / Keras 2: [["layer", node_index, tensor_index, {kwargs}], ...]
            for item in legacy {
                guard let tensor = item.array, tensor.count >= 3 else {
                    throw GraphError.invalidConfig("layer '\(entry.name)' has an inbound tensor that is not [name, node_index, tensor_index, ...]")
                }
                history.append(tensor)
            }
        case .object:
            // Keras 3: {"args": [...], "kwargs": {...}}; the keras tensors are in args, nested in a
            // list for merge layers.
            guard let args = entry.inboundNodes[0]["args"]?.array else {
                throw GraphError.invalidConfig("layer '\(entry.name)' has an inbound node without an 'args' list")
            }
            try collectKerasTensors(.array(args), into: &history, layer: entry.name)
        default:
            throw GraphError.invalidConfig("layer '\(entry.name)' has an inbound node that is neither a list nor an object")
        }
        return try history.map { tensor in
            guard let name = tensor[0].string, let nodeIndex = tensor[1].kerasInt, let tensorIndex = tensor[2].kerasInt else {
                throw GraphError.invalidConfig("layer '\(entry.name)' has an inbound tensor that is not [name, node_index, tensor_index]")
            }
            guard nodeIndex == 0 || nestedModels.contains(name), tensorIndex == 0 else {
                throw GraphError.unsupportedLayer(name: entry.name, className: "\(entry.className) (reads output \(tensorIndex) of call \(nodeIndex) of '\(name)'; shared and multi-output layers are not supported)")
            }
            return name
        }
    }

    private static func collectKerasTensors(_ value: JSONDocument, into history: inout [[JSONDocument]], layer: String) throws {
        switch value {
        case .array(let list):
            for item in list { try collectKerasTensors(item, into: &history, layer: layer) }
        case .object where value["class_name"]?.string == "__keras_tensor__":
            guard let keras = value["config"]?["keras_history"]?.array, keras.count >= 3 else {
                throw GraphError.invalidConfig("layer '\(layer)' has a keras tensor without a 'keras_history' list")
            }
            history.append(keras)
        default:
            break
        }
    }

    /// Whether the entry was written by Keras 2 (tf-keras or older): no `module`, or inbound
    /// nodes as nested lists. Activation names whose meaning changed (hard_sigmoid) follow it.
    private static func isKeras2(_ entry: LayerEntry) -> Bool {
        if entry.module == nil { return true }
        if case .array? = entry.inboundNodes.first { return true }
        return false
    }

    private static func isNestedModel(_ entry: LayerEntry) -> Bool {
        ["Functional", "Model", "Sequential"].contains(entry.className) || entry.config["layers"] != nil
    }

    // MARK: - Ops

    /// The graph op of one layer, with its config checked against what the graph represents.
    private static func makeOp(_ entry: LayerEntry, inputShapes: [[Int]]) throws -> Op {
        let c = entry.config
        let name = entry.name
        let cls = entry.className
        func unsupported(_ what: String) -> GraphError { .unsupportedLayer(name: name, className: "\(cls) with \(what)") }
        func invalid(_ reason: String) -> GraphError { .invalidConfig("layer '\(name)' (\(cls)): \(reason)") }
        func value(_ key: String) -> JSONDocument? {
            guard let raw = c[key], !raw.isNull else { return nil }
            return raw
        }
        func requireChannelsLast() throws {
            guard let format = value("data_format") else { return }
            guard let text = format.string else { throw invalid("'data_format' is not a string") }
            guard text == "channels_last" else { throw unsupported("data_format '\(text)' (only channels_last is supported)") }
        }
        func int(_ key: String, default fallback: Int? = nil) throws -> Int {
            guard let raw = value(key) else {
                if let fallback { return fallback }
                throw invalid("missing '\(key)'")
            }
            guard let number = raw.kerasInt else { throw invalid("'\(key)' is not an integer") }
            return number
        }
        func double(_ key: String, default fallback: Double) throws -> Double {
            guard let raw = value(key) else { return fallback }
            guard let number = raw.double else { throw invalid("'\(key)' is not a number") }
            return number
        }
        func bool(_ key: String, default fallback: Bool) throws -> Bool {
            guard let raw = value(key) else { return fallback }
            guard let flag = raw.bool else { throw invalid("'\(key)' is not a boolean") }
            return flag
        }
        func pair(_ key: String, default fallback: [Int]? = nil) throws -> [Int] {
            guard let raw = value(key) else {
                if let fallback { return fallback }
                throw invalid("missing '\(key)'")
            }
            if let single = raw.kerasInt { return [single, single] }
            if let list = raw.array {
                let values = list.compactMap(\.kerasInt)
                if values.count == list.count, values.count == 2 { return values }
                if values.count == list.count, values.count == 1 { return [values[0], values[0]] }
            }
            throw invalid("'\(key)' is not an integer or a pair of integers")
        }
        func padding() throws -> Padding {
            guard let raw = value("padding") else { return .valid }
            guard let text = raw.string else { throw invalid("'padding' is not a string") }
            guard let mode = Padding(rawValue: text.lowercased()) else { throw unsupported("padding '\(text)'") }
            return mode
        }
        func activation() throws -> Activation {
            let supported = (Activation.allCases.filter { Activation.named($0.rawValue) != nil }.map(\.rawValue) + ["swish", "hard_swish"])
                .joined(separator: ", ")
            guard let raw = value("activation") else { return .linear }
            guard let text = raw.string else {
                throw unsupported("activation \(raw["class_name"]?.string ?? "object") (supported: \(supported))")
            }
            guard let activation = Activation.named(text, keras2: isKeras2(entry)) else { throw unsupported("activation '\(text)' (supported: \(supported))") }
            return activation
        }
        func doubles(_ key: String) throws -> [Double]? {
            guard let raw = value(key), !raw.isNull else { return nil }
            if let single = raw.double { return [single] }
            guard let list = raw.array else { throw invalid("'\(key)' is not a number or a list of numbers") }
            return try list.map { item in
                guard let number = item.double else { throw invalid("'\(key)' holds a value that is not a number") }
                return number
            }
        }
        func ints(_ key: String) throws -> [Int] {
            guard let list = value(key)?.array else { throw invalid("'\(key)' is not a list of integers") }
            return try list.map { item in
                guard let number = item.kerasInt else { throw invalid("'\(key)' holds a value that is not an integer") }
                return number
            }
        }
        func lastAxisOnly(_ key: String) throws {
            guard let raw = value(key), !raw.isNull else { return }
            let rank = (inputShapes.first?.count ?? 0) + 1
            let axes = raw.kerasInt.map { [$0] } ?? raw.array?.compactMap(\.kerasInt)
            guard let axes, axes.count == 1, axes[0] == -1 || axes[0] == rank - 1 else {
                throw unsupported("axis \(raw.kerasInt.map(String.init) ?? "\(axes ?? [])") (only the last axis is supported)")
            }
        }

        /// `kernel_regularizer`: Keras 3 `L2(l2)` and Keras 2 `L1L2(l1=0, l2)` become the graph's
        /// kernelL2; other regularizers do not change inference and are left out (training
        /// adds only L2 penalties).
        func kernelL2() -> Double? {
            guard let raw = value("kernel_regularizer"), let kind = raw["class_name"]?.string, let config = raw["config"] else { return nil }
            switch kind {
            case "L2", "l2": return config["l2"]?.double
            case "L1L2" where (config["l1"]?.double ?? 0) == 0: return config["l2"]?.double
            default: return nil
            }
        }

        if let module = entry.module, module.hasPrefix("keras.src.ops") {
            return try operationNode(entry, module: module)
        }
        if cls == "TFOpLambda" { return try tfOpLambda(entry) }
        if entry.module == nil, ScalarArithmetic.Operation.keras3(cls) != nil, hasNumberArgument(entry) {
            // Keras 3's legacy `.h5` writer drops `module`, so its op nodes look like merge
            // layers called on a tensor and a number (which Keras itself then fails to load).
            return try operationNode(entry, module: "keras.src.ops.numpy")
        }
        switch cls {
        case "InputLayer":
            if let batch = value("batch_shape") ?? value("batch_input_shape") {
                return .input(shape: try dropBatch(batch, layer: name, key: "batch_shape"))
            }
            if let shape = value("shape") ?? value("input_shape") {
                guard let list = shape.array else { throw invalid("'shape' is not a list") }
                return .input(shape: try list.map { item in
                    guard let size = item.kerasInt else { throw unsupported("an unknown (None) dimension in its shape") }
                    return size
                })
            }
            throw invalid("no 'batch_shape' or 'batch_input_shape'")

        case "Conv2D":
            try requireChannelsLast()
            let groups = try int("groups", default: 1)
            let channels = inputShapes.first?.last ?? 0
            guard groups == 1 || groups == channels else {
                throw unsupported("groups=\(groups) on \(channels) input channels (SwiftZoo computes groups=1 and groups equal to the input channels)")
            }
            return .conv2D(ConvAttributes(filters: try int("filters"), kernel: try pair("kernel_size"), strides: try pair("strides", default: [1, 1]),
                                          padding: try padding(), dilation: try pair("dilation_rate", default: [1, 1]),
                                          useBias: try bool("use_bias", default: true), activation: try activation(), kernelL2: kernelL2(),
                                          groups: groups))

        case "DepthwiseConv2D":
            try requireChannelsLast()
            return .depthwiseConv2D(ConvAttributes(filters: try int("depth_multiplier", default: 1), kernel: try pair("kernel_size"),
                                                   strides: try pair("strides", default: [1, 1]), padding: try padding(),
                                                   dilation: try pair("dilation_rate", default: [1, 1]),
                                                   useBias: try bool("use_bias", default: true), activation: try activation()))

        case "BatchNormalization":
            var axis = -1
            if let raw = value("axis") {
                if let single = raw.kerasInt {
                    axis = single
                } else if let list = raw.array, list.count == 1, let single = list[0].kerasInt {
                    axis = single // tf-keras 2.x writes the built layer's axis as a list: [3]
                } else if let list = raw.array, list.count > 1 {
                    throw unsupported("several axes \(list.map { $0.kerasInt.map(String.init) ?? "?" })")
                } else {
                    throw invalid("'axis' is not an integer or a list of one integer")
                }
            }
            // Only the channel (last) axis: the graph's weights take the last dimension's size.
            let rank = (inputShapes.first?.count ?? 0) + 1
            guard axis == -1 || axis == rank - 1 else { throw unsupported("axis \(axis) (only the last axis is supported)") }
            if try bool("renorm", default: false) { throw unsupported("renorm=True") }
            // Keras's default momentum stays nil, so a config-built graph equals a builder's.
            let momentum = try double("momentum", default: 0.99)
            return .batchNormalization(BatchNormAttributes(axis: axis, epsilon: try double("epsilon", default: 1e-3),
                                                           center: try bool("center", default: true), scale: try bool("scale", default: true),
                                                           momentum: momentum == 0.99 ? nil : momentum))

        case "Activation":
            return .activation(try activation())

        case "ReLU":
            var maxValue: Double?
            if let raw = value("max_value"), !raw.isNull {
                guard let number = raw.double else { throw invalid("'max_value' is not a number") }
                maxValue = number
            }
            let attributes = ReLUAttributes(maxValue: maxValue, negativeSlope: try double("negative_slope", default: 0),
                                            threshold: try double("threshold", default: 0))
            return attributes == ReLUAttributes() ? .relu : .reluLayer(attributes)

        case "LeakyReLU":
            // Keras 3 says negative_slope, tf-keras alpha; both default to 0.3.
            return .leakyReLU(negativeSlope: try double(value("negative_slope") != nil ? "negative_slope" : "alpha", default: 0.3))

        case "SeparableConv2D":
            try requireChannelsLast()
            return .separableConv2D(SeparableConvAttributes(filters: try int("filters"), kernel: try pair("kernel_size"),
                                                            strides: try pair("strides", default: [1, 1]), padding: try padding(),
                                                            dilation: try pair("dilation_rate", default: [1, 1]),
                                                            depthMultiplier: try int("depth_multiplier", default: 1),
                                                            useBias: try bool("use_bias", default: true), activation: try activation()))

        case "Multiply": return .multiply
        case "Subtract": return .subtract
        case "Average": return .average
        case "Maximum": return .maximum

        case "Reshape":
            return .reshape(targetShape: try ints("target_shape"))

        case "Permute":
            return .permute(dims: try ints("dims"))

        case "Cropping2D":
            try requireChannelsLast()
            let raw = value("cropping") ?? .number("0")
            if let all = raw.kerasInt { return .cropping2D(top: all, bottom: all, left: all, right: all) }
            if let list = raw.array, list.count == 2 {
                if let vertical = list[0].kerasInt, let horizontal = list[1].kerasInt {
                    return .cropping2D(top: vertical, bottom: vertical, left: horizontal, right: horizontal)
                }
                if let rows = list[0].array?.compactMap(\.kerasInt), let cols = list[1].array?.compactMap(\.kerasInt),
                   rows.count == 2, cols.count == 2, list[0].array?.count == 2, list[1].array?.count == 2 {
                    return .cropping2D(top: rows[0], bottom: rows[1], left: cols[0], right: cols[1])
                }
            }
            throw invalid("'cropping' is not an integer, [rows, cols] or [[top, bottom], [left, right]]")

        case "Normalization":
            try lastAxisOnly("axis")
            let mean = try doubles("mean"), variance = try doubles("variance")
            guard (mean == nil) == (variance == nil) else { throw invalid("'mean' and 'variance' must be given together") }
            return .normalization(NormalizationAttributes(invert: try bool("invert", default: false), mean: mean, variance: variance))

        case "LayerNormalization":
            try lastAxisOnly("axis")
            if try bool("rms_scaling", default: false) { throw unsupported("rms_scaling=True") }
            return .layerNormalization(LayerNormAttributes(epsilon: try double("epsilon", default: 1e-3), center: try bool("center", default: true),
                                                           scale: try bool("scale", default: true)))

        case "LayerScale":
            return .layerScale(initValue: try double("init_values", default: 1e-6))

        case "CustomScaleLayer":
            return .customScale(scale: try double("scale", default: 1))

        case "Lambda":
            throw GraphError.unsupportedLayer(name: name, className: "Lambda (Python code stored in the model, which SwiftZoo cannot run; rebuild the model with built-in layers in its place)")

        case "ZeroPadding2D":
            try requireChannelsLast()
            let raw = value("padding") ?? .number("1")
            if let all = raw.kerasInt { return .zeroPadding2D(top: all, bottom: all, left: all, right: all) }
            if let list = raw.array, list.count == 2 {
                if let vertical = list[0].kerasInt, let horizontal = list[1].kerasInt {
                    return .zeroPadding2D(top: vertical, bottom: vertical, left: horizontal, right: horizontal)
                }
                if let rows = list[0].array?.compactMap(\.kerasInt), let cols = list[1].array?.compactMap(\.kerasInt),
                   rows.count == 2, cols.count == 2, list[0].array?.count == 2, list[1].array?.count == 2 {
                    return .zeroPadding2D(top: rows[0], bottom: rows[1], left: cols[0], right: cols[1])
                }
            }
            throw invalid("'padding' is not an integer, [rows, cols] or [[top, bottom], [left, right]]")

        case "MaxPooling2D", "AveragePooling2D":
            try requireChannelsLast()
            let size = try pair("pool_size", default: [2, 2])
            let attributes = PoolAttributes(size: size, strides: try pair("strides", default: size), padding: try padding())
            return cls == "MaxPooling2D" ? .maxPooling2D(attributes) : .averagePooling2D(attributes)

        case "GlobalAveragePooling2D", "GlobalMaxPooling2D":
            try requireChannelsLast()
            if try bool("keepdims", default: false) {
                return cls == "GlobalAveragePooling2D" ? .globalAveragePooling2DKeepingDims : .globalMaxPooling2DKeepingDims
            }
            return cls == "GlobalAveragePooling2D" ? .globalAveragePooling2D : .globalMaxPooling2D

        case "Add":
            return .add

        case "Concatenate":
            return .concatenate(axis: try int("axis", default: -1))

        case "Flatten":
            try requireChannelsLast()
            return .flatten

        case "Dense":
            return .dense(DenseAttributes(units: try int("units"), useBias: try bool("use_bias", default: true), activation: try activation(),
                                          kernelL2: kernelL2()))

        case "Dropout":
            let rate = try double("rate", default: 0)
            if let raw = value("noise_shape") {
                guard let list = raw.array else { throw invalid("'noise_shape' is not a list") }
                let noise = try list.map { item -> Int? in
                    if item.isNull { return nil }
                    guard let size = item.kerasInt, size >= 1 else { throw invalid("'noise_shape' holds an entry that is not a positive integer or null") }
                    return size
                }
                return .dropoutWithNoiseShape(rate: rate, noiseShape: noise)
            }
            return .dropout(rate: rate)

        case "Rescaling":
            if value("scale")?.array != nil || value("offset")?.array != nil {
                return .channelRescaling(scale: try doubles("scale") ?? [1], offset: try doubles("offset") ?? [0])
            }
            return .rescaling(scale: try double("scale", default: 1), offset: try double("offset", default: 0))

        default:
            if let module = entry.module, !module.hasPrefix("keras.layers") && !module.hasPrefix("keras.src.layers") {
                throw GraphError.unsupportedLayer(name: name, className: "\(cls) from \(module) (a custom layer: its Python code is not in the file)")
            }
            throw GraphError.unsupportedLayer(name: name, className: cls)
        }
    }

    // MARK: - Config helpers

    /// A batch shape `[null, d1, d2, ...]` without its batch dimension.
    /// A Keras 3 op node (`keras.src.ops.numpy`): a tensor and a Python number under Add,
    /// Subtract, Multiply, Divide or TrueDivide, in either order.
    private static func operationNode(_ entry: LayerEntry, module: String) throws -> Op {
        let what = "\(entry.className) from \(module)"
        guard let operation = ScalarArithmetic.Operation.keras3(entry.className) else {
            throw GraphError.unsupportedLayer(name: entry.name, className: "\(what) (a Keras op applied to tensors; SwiftZoo reads Add, Subtract, Multiply, Divide and TrueDivide of a tensor and a number)")
        }
        guard let node = entry.inboundNodes.first, let args = node["args"]?.array else {
            throw GraphError.invalidConfig("op node '\(entry.name)' (\(what)) has no inbound 'args' list")
        }
        if let kwargs = node["kwargs"]?.dictionary, !kwargs.isEmpty {
            throw GraphError.unsupportedLayer(name: entry.name, className: "\(what) called with keyword arguments \(kwargs.keys.sorted()) (SwiftZoo reads positional (tensor, number) calls)")
        }
        func isTensor(_ value: JSONDocument) -> Bool { value["class_name"]?.string == "__keras_tensor__" }
        if args.count == 2, isTensor(args[0]), isTensor(args[1]), operation != .divide {
            return .tensorArithmetic(operation)
        }
        guard args.count == 2, isTensor(args[0]) != isTensor(args[1]) else {
            let tensors = args.filter(isTensor).count
            throw GraphError.unsupportedLayer(name: entry.name, className: "\(what) of \(tensors) tensor(s) and \(args.count - tensors) other argument(s) (SwiftZoo reads a tensor and a number, or two tensors for Add, Subtract and Multiply)")
        }
        let constantFirst = !isTensor(args[0])
        guard let constant = args[constantFirst ? 0 : 1].double, constant.isFinite else {
            throw GraphError.invalidConfig("op node '\(entry.name)' (\(what)): the argument beside the tensor is not a finite number")
        }
        return .scalarArithmetic(ScalarArithmetic(operation, constant, constantFirst: constantFirst))
    }

    /// tf-keras's marker for a number where a TFOpLambda's first tensor would be.
    static let tfConstantValue = "_CONSTANT_VALUE"

    /// Whether a Keras 3-form call passes a number as a positional argument (layers take only
    /// tensors there; op nodes take numbers).
    private static func hasNumberArgument(_ entry: LayerEntry) -> Bool {
        guard let args = entry.inboundNodes.first?["args"]?.array else { return false }
        return args.contains { $0.double != nil }
    }

    /// A tf-keras `TFOpLambda` (`tf.__operators__.add`, `tf.math.multiply`, ...) of the
    /// inbound tensor and the number in its call keywords (`{"y": 3.0, "name": null}`).
    private static func tfOpLambda(_ entry: LayerEntry) throws -> Op {
        let function = entry.config["function"]?.string ?? "?"
        guard let operation = ScalarArithmetic.Operation.tfKeras(function) else {
            throw GraphError.unsupportedLayer(name: entry.name, className: "TFOpLambda of tf.\(function) (a TensorFlow function stored in the model; SwiftZoo reads tf.__operators__.add, tf.math.add, subtract, multiply, truediv and divide of a tensor and a number)")
        }
        // One call: ["layer", 0, 0, {"y": 3.0, "name": null}] as tf-keras writes it, or the
        // same wrapped in a list as other layers' nodes are.
        guard let node = entry.inboundNodes.first?.array,
              let tensor = node.first?.string != nil ? node : (node.count == 1 ? node[0].array : nil) else {
            throw GraphError.unsupportedLayer(name: entry.name, className: "TFOpLambda of tf.\(function) with \(entry.inboundNodes.first?.array?.count ?? 0) inbound tensors (SwiftZoo reads one tensor and a number)")
        }
        let keywords = tensor.count >= 4 ? tensor[3].dictionary ?? [:] : [:]
        if tensor[0].string == tfConstantValue {
            // `2.0 - x`: the number in place of the first tensor, the tensor as `y`.
            guard tensor.count >= 3, let constant = tensor[2].double, constant.isFinite, keywords["y"]?.array != nil else {
                throw GraphError.unsupportedLayer(name: entry.name, className: "TFOpLambda of tf.\(function) with a constant that is not a number beside one tensor")
            }
            return .scalarArithmetic(ScalarArithmetic(operation, constant, constantFirst: true))
        }
        if let y = keywords["y"]?.array, y.count >= 3, y[0].string != nil, operation != .divide {
            return .tensorArithmetic(operation)  // `x + y` of two tensors: y is the second input
        }
        guard let y = keywords["y"], let constant = y.double, constant.isFinite else {
            throw GraphError.unsupportedLayer(name: entry.name, className: "TFOpLambda of tf.\(function) whose 'y' is not a number (SwiftZoo reads a tensor and a number)")
        }
        for key in keywords.keys where key != "y" && key != "name" {
            throw GraphError.unsupportedLayer(name: entry.name, className: "TFOpLambda of tf.\(function) called with '\(key)' (SwiftZoo reads x and y)")
        }
        return .scalarArithmetic(ScalarArithmetic(operation, constant))
    }

    private static func dropBatch(_ raw: JSONDocument, layer: String, key: String) throws -> [Int] {
        guard let list = raw.array, !list.isEmpty else {
            throw GraphError.invalidConfig("layer '\(layer)': '\(key)' is not a non-empty list")
        }
        return try list.dropFirst().map { item in
            guard let size = item.kerasInt else {
                let shown = list.map { $0.kerasInt.map(String.init) ?? "None" }.joined(separator: ", ")
                throw GraphError.unsupportedLayer(name: layer, className: "InputLayer with an unknown (None) dimension in \(key) [\(shown)]")
            }
            return size
        }
    }

    /// Names of `[["name", 0, 0], ...]` or of a single `["name", 0, 0]`.
    private static func tensorNames(_ raw: JSONDocument?, what: String) throws -> [String] {
        guard let list = raw?.array, !list.isEmpty else {
            throw GraphError.invalidConfig("'\(what)' is missing or empty")
        }
        if let single = list[0].string { return [single] }
        return try list.map { item in
            guard let name = item.array?.first?.string else {
                throw GraphError.invalidConfig("'\(what)' holds an entry that is not [name, node_index, tensor_index]")
            }
            return name
        }
    }
}

// MARK: - JSON

private extension JSONDocument {
    /// An integral number (`3`, or `3.0` as Python may write a float that holds an integer).
    var kerasInt: Int? {
        if let exact = int { return exact }
        guard let value = double, value.isFinite, value.rounded() == value, abs(value) < 9.0e15 else { return nil }
        return Int(value)
    }
}
