import Foundation
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
/// models (`{"layers": [...]}` or Keras 2.2's bare layer list) are chained in order; their input
/// node is the config's `InputLayer` or, when there is none, a node named `input_layer` (as
/// Keras 3 names it) built from the first layer's `batch_input_shape` / `batch_shape`.
///
/// Every other class, a nested model used as a layer, a shared layer (called more than once)
/// and an option the graph cannot represent (an activation other than linear, relu, softmax,
/// sigmoid, tanh; `channels_first`; ...) throw `GraphError.unsupportedLayer` naming the layer;
/// malformed JSON throws `GraphError.invalidConfig`.
public enum KerasConfigImporter {
    /// Parses a Keras model config JSON string into a graph.
    public static func graph(fromJSON json: String) throws -> Graph {
        guard let data = json.data(using: .utf8), !data.isEmpty,
              let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            throw GraphError.invalidConfig("the text is not valid JSON")
        }
        return try graph(fromObject: object)
    }

    /// Builds a graph from an already-parsed config (`JSONSerialization` objects).
    public static func graph(fromObject object: Any) throws -> Graph {
        guard let model = object as? [String: Any] else {
            // Keras 2.2 Sequential configs are sometimes stored as a bare list of layers.
            if let layers = object as? [Any] { return try sequential(layers: try layerObjects(layers), buildInputShape: nil) }
            throw GraphError.invalidConfig("expected a JSON object with 'class_name' and 'config'")
        }
        guard let className = model["class_name"] as? String else {
            throw GraphError.invalidConfig("the model has no 'class_name'")
        }
        switch className {
        case "Functional", "Model":
            guard let config = model["config"] as? [String: Any] else {
                throw GraphError.invalidConfig("the \(className) model has no 'config' object")
            }
            return try functional(config: config)
        case "Sequential":
            if let layers = model["config"] as? [Any] { return try sequential(layers: try layerObjects(layers), buildInputShape: nil) }
            guard let config = model["config"] as? [String: Any], let layers = config["layers"] as? [Any] else {
                throw GraphError.invalidConfig("the Sequential model has no 'config.layers' list")
            }
            return try sequential(layers: try layerObjects(layers), buildInputShape: config["build_input_shape"])
        default:
            throw GraphError.invalidConfig("the model class is '\(className)'; expected Functional, Model or Sequential")
        }
    }

    // MARK: - Models

    private static func layerObjects(_ list: [Any]) throws -> [[String: Any]] {
        try list.enumerated().map { index, item in
            guard let layer = item as? [String: Any] else { throw GraphError.invalidConfig("layer #\(index) is not a JSON object") }
            return layer
        }
    }

    private static func functional(config: [String: Any]) throws -> Graph {
        guard let rawLayers = config["layers"] as? [Any] else {
            throw GraphError.invalidConfig("the functional model has no 'layers' list")
        }
        var graph = Graph()
        for (index, layer) in try layerObjects(rawLayers).enumerated() {
            let entry = try LayerEntry(layer, index: index)
            let inputs = try inboundLayerNames(entry)
            if entry.className == "InputLayer" {
                guard inputs.isEmpty else { throw GraphError.invalidConfig("InputLayer '\(entry.name)' has inbound nodes") }
            } else if inputs.isEmpty {
                throw GraphError.invalidConfig("layer '\(entry.name)' (\(entry.className)) has no inbound nodes")
            }
            let op = try makeOp(entry, inputShapes: inputShapes(inputs, in: graph))
            try graph.add(entry.name, op, inputs: inputs, trainable: entry.trainable)
        }
        graph.outputs = try tensorNames(config["output_layers"], what: "output_layers")
        for output in graph.outputs where graph.node(output) == nil {
            throw GraphError.invalidConfig("output layer '\(output)' is not a layer of the model")
        }
        if let inputs = config["input_layers"], !(inputs is NSNull) {
            for input in try tensorNames(inputs, what: "input_layers") {
                guard let node = graph.node(input), case .input = node.op else {
                    throw GraphError.invalidConfig("input layer '\(input)' is not an InputLayer of the model")
                }
            }
        }
        return graph
    }

    private static func sequential(layers: [[String: Any]], buildInputShape: Any?) throws -> Graph {
        var entries = try layers.enumerated().map { try LayerEntry($1, index: $0) }
        guard !entries.isEmpty else { throw GraphError.invalidConfig("the Sequential model has no layers") }
        var graph = Graph()
        var previous: String
        if entries[0].className == "InputLayer" {
            let input = entries.removeFirst()
            try graph.add(input.name, try makeOp(input, inputShapes: []), trainable: input.trainable)
            previous = input.name
        } else {
            // No InputLayer: the first layer carries the batch input shape (Keras 2), or the model
            // its build_input_shape (Keras 3). Keras 3 names the input it creates "input_layer".
            let first = entries[0]
            let batchShape = first.config["batch_input_shape"] ?? first.config["batch_shape"] ?? buildInputShape
            guard let batchShape, !(batchShape is NSNull) else {
                throw GraphError.invalidConfig("the Sequential model has no InputLayer and its first layer '\(first.name)' has no 'batch_input_shape'")
            }
            let shape = try dropBatch(batchShape, layer: first.name, key: "batch_input_shape")
            previous = try graph.add("input_layer", .input(shape: shape))
        }
        for entry in entries {
            if !entry.inboundNodes.isEmpty, entry.className == "InputLayer" {
                throw GraphError.invalidConfig("InputLayer '\(entry.name)' is not the first layer of the Sequential model")
            }
            guard entry.className != "InputLayer" else {
                throw GraphError.invalidConfig("InputLayer '\(entry.name)' is not the first layer of the Sequential model")
            }
            let op = try makeOp(entry, inputShapes: inputShapes([previous], in: graph))
            previous = try graph.add(entry.name, op, inputs: [previous], trainable: entry.trainable)
        }
        graph.outputs = [previous]
        return graph
    }

    private static func inputShapes(_ names: [String], in graph: Graph) throws -> [[Int]] {
        try names.map { name in
            guard let node = graph.node(name) else { throw GraphError.invalidConfig("an inbound layer '\(name)' is not an earlier layer of the model") }
            return node.outputShape
        }
    }

    // MARK: - Layer entries

    /// One entry of the config's `layers` list.
    private struct LayerEntry {
        var className: String
        var name: String
        var config: [String: Any]
        var trainable: Bool
        var inboundNodes: [Any]

        init(_ layer: [String: Any], index: Int) throws {
            guard let className = layer["class_name"] as? String else {
                throw GraphError.invalidConfig("layer #\(index) has no 'class_name'")
            }
            let config: [String: Any]
            if let object = layer["config"] as? [String: Any] {
                config = object
            } else if layer["config"] == nil || layer["config"] is NSNull {
                config = [:]
            } else if className == "Sequential", layer["config"] is [Any] {
                config = ["layers": layer["config"]!]
            } else {
                throw GraphError.invalidConfig("layer #\(index) (\(className)) has a 'config' that is not an object")
            }
            guard let name = (config["name"] as? String) ?? (layer["name"] as? String) else {
                throw GraphError.invalidConfig("layer #\(index) (\(className)) has no name")
            }
            self.className = className
            self.name = name
            self.config = config
            self.trainable = (config["trainable"] as? Bool) ?? (layer["trainable"] as? Bool) ?? true
            if let nodes = layer["inbound_nodes"], !(nodes is NSNull) {
                guard let list = nodes as? [Any] else { throw GraphError.invalidConfig("layer '\(name)' has 'inbound_nodes' that is not a list") }
                self.inboundNodes = list
            } else {
                self.inboundNodes = []
            }
        }
    }

    /// The layers feeding the entry's single call, in argument order.
    private static func inboundLayerNames(_ entry: LayerEntry) throws -> [String] {
        if isNestedModel(entry) { throw nestedModelError(entry) }
        guard !entry.inboundNodes.isEmpty else { return [] }
        guard entry.inboundNodes.count == 1 else {
            throw GraphError.unsupportedLayer(name: entry.name, className: "\(entry.className) (shared layer called \(entry.inboundNodes.count) times; not supported)")
        }
        var history: [[Any]] = []
        let node = entry.inboundNodes[0]
        if let legacy = node as? [Any] {
            // tf-keras 2.x / Keras 2: [["layer", node_index, tensor_index, {kwargs}], ...]
            for item in legacy {
                guard let tensor = item as? [Any], tensor.count >= 3 else {
                    throw GraphError.invalidConfig("layer '\(entry.name)' has an inbound tensor that is not [name, node_index, tensor_index, ...]")
                }
                history.append(tensor)
            }
        } else if let call = node as? [String: Any] {
            // Keras 3: {"args": [...], "kwargs": {...}}, keras tensors anywhere in args.
            guard let args = call["args"] as? [Any] else {
                throw GraphError.invalidConfig("layer '\(entry.name)' has an inbound node without an 'args' list")
            }
            try collectKerasTensors(args, into: &history, layer: entry.name)
        } else {
            throw GraphError.invalidConfig("layer '\(entry.name)' has an inbound node that is neither a list nor an object")
        }
        return try history.map { tensor in
            guard let name = tensor[0] as? String, let nodeIndex = tensor[1] as? Int, let tensorIndex = tensor[2] as? Int else {
                throw GraphError.invalidConfig("layer '\(entry.name)' has an inbound tensor that is not [name, node_index, tensor_index]")
            }
            guard nodeIndex == 0, tensorIndex == 0 else {
                throw GraphError.unsupportedLayer(name: entry.name, className: "\(entry.className) (reads output \(tensorIndex) of call \(nodeIndex) of '\(name)'; shared layers and multi-output layers are not supported)")
            }
            return name
        }
    }

    private static func collectKerasTensors(_ value: Any, into history: inout [[Any]], layer: String) throws {
        if let list = value as? [Any] {
            for item in list { try collectKerasTensors(item, into: &history, layer: layer) }
        } else if let object = value as? [String: Any], object["class_name"] as? String == "__keras_tensor__" {
            guard let config = object["config"] as? [String: Any], let keras = config["keras_history"] as? [Any], keras.count >= 3 else {
                throw GraphError.invalidConfig("layer '\(layer)' has a keras tensor without 'keras_history'")
            }
            history.append(keras)
        }
    }

    private static func isNestedModel(_ entry: LayerEntry) -> Bool {
        ["Functional", "Model", "Sequential"].contains(entry.className) || entry.config["layers"] != nil
    }

    private static func nestedModelError(_ entry: LayerEntry) -> GraphError {
        .unsupportedLayer(name: entry.name, className: "\(entry.className) (a nested model used as a layer; not supported yet)")
    }

    // MARK: - Ops

    /// The graph op of one layer, with its config checked against what the graph represents.
    private static func makeOp(_ entry: LayerEntry, inputShapes: [[Int]]) throws -> Op {
        let c = entry.config
        let name = entry.name
        let cls = entry.className
        func unsupported(_ what: String) -> GraphError { .unsupportedLayer(name: name, className: "\(cls) with \(what)") }
        func requireChannelsLast() throws {
            if let format = c["data_format"], !(format is NSNull) {
                guard let text = format as? String else { throw invalid("'data_format' is not a string") }
                guard text == "channels_last" else { throw unsupported("data_format '\(text)' (only channels_last is supported)") }
            }
        }
        func invalid(_ reason: String) -> GraphError { .invalidConfig("layer '\(name)' (\(cls)): \(reason)") }
        func int(_ key: String, default value: Int? = nil) throws -> Int {
            guard let raw = c[key], !(raw is NSNull) else {
                if let value { return value }
                throw invalid("missing '\(key)'")
            }
            guard let number = exactInt(raw) else { throw invalid("'\(key)' is not an integer") }
            return number
        }
        func double(_ key: String, default value: Double) throws -> Double {
            guard let raw = c[key], !(raw is NSNull) else { return value }
            guard let number = raw as? NSNumber, !isBool(raw) else { throw invalid("'\(key)' is not a number") }
            return number.doubleValue
        }
        func bool(_ key: String, default value: Bool) throws -> Bool {
            guard let raw = c[key], !(raw is NSNull) else { return value }
            guard let flag = raw as? Bool else { throw invalid("'\(key)' is not a boolean") }
            return flag
        }
        func pair(_ key: String, default value: [Int]? = nil) throws -> [Int] {
            guard let raw = c[key], !(raw is NSNull) else {
                if let value { return value }
                throw invalid("missing '\(key)'")
            }
            if let single = exactInt(raw) { return [single, single] }
            if let list = raw as? [Any], list.count == 2, let a = exactInt(list[0]), let b = exactInt(list[1]) { return [a, b] }
            if let list = raw as? [Any], list.count == 1, let a = exactInt(list[0]) { return [a, a] }
            throw invalid("'\(key)' is not an integer or a pair of integers")
        }
        func padding() throws -> Padding {
            guard let raw = c["padding"], !(raw is NSNull) else { return .valid }
            guard let text = raw as? String else { throw invalid("'padding' is not a string") }
            guard let mode = Padding(rawValue: text.lowercased()) else { throw unsupported("padding '\(text)'") }
            return mode
        }
        func activation() throws -> Activation {
            guard let raw = c["activation"], !(raw is NSNull) else { return .linear }
            guard let text = raw as? String else {
                let described = (raw as? [String: Any])?["class_name"] as? String ?? "a non-string value"
                throw unsupported("activation \(described) (supported: \(Activation.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let activation = Activation(rawValue: text) else {
                throw unsupported("activation '\(text)' (supported: \(Activation.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return activation
        }

        switch cls {
        case "InputLayer":
            if let batch = c["batch_shape"] ?? c["batch_input_shape"], !(batch is NSNull) {
                return .input(shape: try dropBatch(batch, layer: name, key: "batch_shape"))
            }
            if let shape = c["shape"] ?? c["input_shape"], !(shape is NSNull) {
                guard let list = shape as? [Any] else { throw invalid("'shape' is not a list") }
                return .input(shape: try list.map { item in
                    guard let size = exactInt(item) else { throw unsupported("an unknown (None) dimension in its shape") }
                    return size
                })
            }
            throw invalid("no 'batch_shape' or 'batch_input_shape'")

        case "Conv2D":
            try requireChannelsLast()
            let groups = try int("groups", default: 1)
            guard groups == 1 else { throw unsupported("groups=\(groups)") }
            return .conv2D(ConvAttributes(filters: try int("filters"), kernel: try pair("kernel_size"), strides: try pair("strides", default: [1, 1]),
                                          padding: try padding(), dilation: try pair("dilation_rate", default: [1, 1]),
                                          useBias: try bool("use_bias", default: true), activation: try activation()))

        case "DepthwiseConv2D":
            try requireChannelsLast()
            return .depthwiseConv2D(ConvAttributes(filters: try int("depth_multiplier", default: 1), kernel: try pair("kernel_size"),
                                                   strides: try pair("strides", default: [1, 1]), padding: try padding(),
                                                   dilation: try pair("dilation_rate", default: [1, 1]),
                                                   useBias: try bool("use_bias", default: true), activation: try activation()))

        case "BatchNormalization":
            var axis = -1
            if let raw = c["axis"], !(raw is NSNull) {
                if let single = exactInt(raw) {
                    axis = single
                } else if let list = raw as? [Any], list.count == 1, let single = exactInt(list[0]) {
                    axis = single
                } else if let list = raw as? [Any], list.count > 1 {
                    throw unsupported("several axes \(list.compactMap(exactInt))")
                } else {
                    throw invalid("'axis' is not an integer or a list of one integer")
                }
            }
            // Only the channel (last) axis: the graph's weights have the last dimension's size.
            let rank = (inputShapes.first?.count ?? 0) + 1
            guard axis == -1 || axis == rank - 1 else { throw unsupported("axis \(axis) (only the last axis is supported)") }
            if try bool("renorm", default: false) { throw unsupported("renorm=True") }
            return .batchNormalization(BatchNormAttributes(axis: axis, epsilon: try double("epsilon", default: 1e-3),
                                                           center: try bool("center", default: true), scale: try bool("scale", default: true)))

        case "Activation":
            return .activation(try activation())

        case "ReLU":
            if let max = c["max_value"], !(max is NSNull) { throw unsupported("max_value=\(max)") }
            let slope = try double("negative_slope", default: 0)
            guard slope == 0 else { throw unsupported("negative_slope=\(slope)") }
            let threshold = try double("threshold", default: 0)
            guard threshold == 0 else { throw unsupported("threshold=\(threshold)") }
            return .relu

        case "ZeroPadding2D":
            try requireChannelsLast()
            let raw = c["padding"] ?? NSNumber(value: 1)
            if let all = exactInt(raw) { return .zeroPadding2D(top: all, bottom: all, left: all, right: all) }
            if let list = raw as? [Any], list.count == 2 {
                if let vertical = exactInt(list[0]), let horizontal = exactInt(list[1]) {
                    return .zeroPadding2D(top: vertical, bottom: vertical, left: horizontal, right: horizontal)
                }
                if let rows = list[0] as? [Any], let cols = list[1] as? [Any], rows.count == 2, cols.count == 2,
                   let top = exactInt(rows[0]), let bottom = exactInt(rows[1]), let left = exactInt(cols[0]), let right = exactInt(cols[1]) {
                    return .zeroPadding2D(top: top, bottom: bottom, left: left, right: right)
                }
            }
            throw invalid("'padding' is not an integer, [rows, cols] or [[top, bottom], [left, right]]")

        case "MaxPooling2D", "AveragePooling2D":
            try requireChannelsLast()
            let size = try pair("pool_size", default: [2, 2])
            let strides = try pair("strides", default: size)
            let attributes = PoolAttributes(size: size, strides: strides, padding: try padding())
            return cls == "MaxPooling2D" ? .maxPooling2D(attributes) : .averagePooling2D(attributes)

        case "GlobalAveragePooling2D", "GlobalMaxPooling2D":
            try requireChannelsLast()
            if try bool("keepdims", default: false) { throw unsupported("keepdims=True") }
            return cls == "GlobalAveragePooling2D" ? .globalAveragePooling2D : .globalMaxPooling2D

        case "Add":
            return .add

        case "Concatenate":
            return .concatenate(axis: try int("axis", default: -1))

        case "Flatten":
            try requireChannelsLast()
            return .flatten

        case "Dense":
            return .dense(DenseAttributes(units: try int("units"), useBias: try bool("use_bias", default: true), activation: try activation()))

        case "Dropout":
            return .dropout(rate: try double("rate", default: 0))

        case "Rescaling":
            if c["scale"] is [Any] || c["offset"] is [Any] { throw unsupported("a per-channel scale or offset") }
            return .rescaling(scale: try double("scale", default: 1), offset: try double("offset", default: 0))

        default:
            if isNestedModel(entry) { throw nestedModelError(entry) }
            throw GraphError.unsupportedLayer(name: name, className: cls)
        }
    }

    // MARK: - JSON helpers

    /// A batch shape `[null, d1, d2, ...]` without its batch dimension.
    private static func dropBatch(_ raw: Any, layer: String, key: String) throws -> [Int] {
        guard let list = raw as? [Any], !list.isEmpty else {
            throw GraphError.invalidConfig("layer '\(layer)': '\(key)' is not a non-empty list")
        }
        return try list.dropFirst().map { item in
            guard let size = exactInt(item) else {
                throw GraphError.unsupportedLayer(name: layer, className: "InputLayer with an unknown (None) dimension in \(key) \(list.map { exactInt($0).map(String.init) ?? "None" })")
            }
            return size
        }
    }

    /// Names of `[["name", 0, 0], ...]` or a single `["name", 0, 0]`.
    private static func tensorNames(_ raw: Any?, what: String) throws -> [String] {
        guard let list = raw as? [Any], !list.isEmpty else {
            throw GraphError.invalidConfig("'\(what)' is missing or empty")
        }
        if list.first is String { return [list[0] as! String] }
        return try list.map { item in
            guard let tensor = item as? [Any], let name = tensor.first as? String else {
                throw GraphError.invalidConfig("'\(what)' holds an entry that is not [name, node_index, tensor_index]")
            }
            return name
        }
    }

    private static func isBool(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        // JSONSerialization gives booleans as NSNumber; tell them apart from 0 and 1.
        return type(of: number) == type(of: NSNumber(value: true)) && CFGetTypeIDIsBool(number)
    }

    private static func CFGetTypeIDIsBool(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c" && (number == NSNumber(value: true) || number == NSNumber(value: false))
    }

    /// An integer JSON number (not a boolean, not a fraction).
    private static func exactInt(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !isBool(value) else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 9.0e15 else { return nil }
        return number.intValue
    }
}
