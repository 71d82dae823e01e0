import ZooFormats
import ZooGraph

/// Writes a `Graph` as a Keras 3 functional model config: the JSON `model.to_json()` of Keras
/// 3.15 returns, field for field (module, class_name, full layer configs with the DTypePolicy
/// object and default initializers, build_config, inbound nodes as keras tensors). Real Keras
/// 3 accepts it in `keras.models.model_from_json`, as `config.json` of a `.keras` archive and
/// as the `model_config` attribute of a legacy full-model `.h5` (`keras.models.load_model`).
///
/// Keys keep Keras's order and the text uses Python `json.dumps` separators, so the output of
/// an imported `to_json()` string has the same layout as the original.
public enum KerasConfigExporter {
    /// Which Keras writes the config.
    public enum Flavor: Sendable {
        /// Keras 3's `to_json()` (what `.keras` archives hold).
        case keras3
        /// tf-keras 2.x's (tf.keras) `to_json()`: plain dtype strings, `batch_input_shape`,
        /// nested-list inbound nodes, no Keras 3-only options. Both tf-keras and Keras 3's
        /// legacy loader read it, so a full-model `.h5` written this way loads in either.
        case tfKeras2
    }

    /// The Keras version a `.h5` with a tf-keras 2 config records (tf-keras 2.18).
    public static let tfKeras2Version = "2.18.0"

    /// The config of `graph` as a `Functional` model named `modelName`, in `flavor`'s format.
    public static func json(for graph: Graph, modelName: String = "functional", flavor: Flavor = .keras3) throws -> String {
        guard !graph.nodes.isEmpty else { throw GraphError.invalidConfig("cannot export an empty graph") }
        if flavor == .keras3, graph.nodes.contains(where: { $0.name.contains("/") }) {
            return try json(for: keras3Named(graph), modelName: modelName, flavor: flavor)
        }
        let inputs = graph.inputNodes.map(\.name)
        guard !inputs.isEmpty else { throw GraphError.invalidConfig("cannot export a graph without an input layer") }
        let outputs = graph.effectiveOutputs
        for output in outputs where graph.node(output) == nil { throw GraphError.unknownNode(output) }

        let layers = try modelLayerEntries(graph, flavor: flavor)
        if flavor == .tfKeras2 {
            let model: JSON = .object([
                ("class_name", "Functional"),
                ("config", .object([
                    ("name", .string(modelName)),
                    ("trainable", true),
                    ("layers", .array(layers)),
                    ("input_layers", .array(inputs.map { JSON.array([.string($0), 0, 0]) })),
                    ("output_layers", .array(outputs.map { JSON.array([.string($0), 0, 0]) })),
                ])),
                ("keras_version", .string(tfKeras2Version)),
                ("backend", "tensorflow"),
            ])
            var text = ""
            try model.write(to: &text)
            return text
        }
        let model: JSON = .object([
            ("module", "keras.src.models.functional"),
            ("class_name", "Functional"),
            ("config", .object([
                ("name", .string(modelName)),
                ("trainable", true),
                ("layers", .array(layers)),
                ("input_layers", tensorList(inputs)),
                ("output_layers", tensorList(outputs)),
            ])),
            ("registered_name", "Functional"),
            ("build_config", .object([("input_shape", .null)])),
            ("compile_config", .object([])),
        ])
        var text = ""
        try model.write(to: &text)
        return text
    }

    /// The graph with every layer named as Keras 3 allows (`KerasNaming.keras3LayerName`), or
    /// an error when two names then collide.
    private static func keras3Named(_ graph: Graph) throws -> Graph {
        var renamed = Graph()
        var seen: [String: String] = [:]
        for node in graph.nodes {
            let name = KerasNaming.keras3LayerName(node.name)
            if let other = seen[name] {
                throw GraphError.invalidConfig("layers '\(other)' and '\(node.name)' both become '\(name)' in a Keras 3 config, which refuses '/' in names; rename one")
            }
            seen[name] = node.name
            try renamed.add(name, node.op, inputs: node.inputs.map(KerasNaming.keras3LayerName), trainable: node.trainable, container: node.container.map(KerasNaming.keras3LayerName))
        }
        renamed.outputs = graph.outputs.map(KerasNaming.keras3LayerName)
        return renamed
    }

    /// `["name", 0, 0]` for one tensor, `[["a", 0, 0], ["b", 0, 0]]` for several (as Keras
    /// writes a model built with a single tensor or with a list).
    private static func tensorList(_ names: [String]) -> JSON {
        let entries = names.map { JSON.array([.string($0), 0, 0]) }
        return entries.count == 1 ? entries[0] : .array(entries)
    }

    // MARK: - Nested models

    /// The model's `layers` list: one entry per node, and one `Sequential` or `Functional`
    /// entry holding the layers of each nested model (`Node.container`), called on the
    /// tensors its layers read from outside it.
    private static func modelLayerEntries(_ graph: Graph, flavor: Flavor) throws -> [JSON] {
        // Outside a nested model, its output node is read under the nested model's name.
        let nested = Dictionary(graph.modelLayers.filter(\.isNestedModel).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        func outerName(_ input: String, reader: String) throws -> String {
            guard let source = graph.node(input), let container = source.container else { return input }
            guard nested[container]?.nodes.last?.name == input else {
                throw GraphError.invalidConfig("layer '\(reader)' reads '\(input)' inside nested model '\(container)', which Keras cannot express (only a nested model's output is visible outside it)")
            }
            return container
        }
        // Every node in order (op nodes too); a nested model's consecutive nodes become one entry.
        var entries: [JSON] = []
        var done: Set<String> = []
        for node in graph.nodes {
            guard let container = node.container else {
                entries.append(try layer(node, in: graph, flavor: flavor, inputNames: try node.inputs.map { try outerName($0, reader: node.name) }))
                continue
            }
            guard done.insert(container).inserted, let model = nested[container] else { continue }
            entries.append(try nestedModel(model, in: graph, flavor: flavor, outerName: outerName))
        }
        return entries
    }

    /// A nested model's entry: a Sequential (its layers chained, without names or inbound
    /// nodes, after an InputLayer) or a Functional (its own InputLayers for the outer tensors).
    private static func nestedModel(_ model: ModelLayer, in graph: Graph, flavor: Flavor,
                                    outerName: (String, String) throws -> String) throws -> JSON {
        let outside = model.externalInputs
        guard !outside.isEmpty else { throw GraphError.invalidConfig("nested model '\(model.name)' reads no tensor from outside it") }
        let shapes = try outside.map { input -> [Int] in
            guard let node = graph.node(input) else { throw GraphError.unknownInput(node: model.name, input: input) }
            return node.outputShape
        }
        let inputNames = outside.count == 1 ? ["\(model.name)_input"] : outside.indices.map { "\(model.name)_input_\($0 + 1)" }
        func inputLayer(_ name: String, _ shape: [Int]) -> JSON {
            if flavor == .tfKeras2 {
                return .object([("class_name", "InputLayer"), ("config", .object([("batch_input_shape", batchShape(shape)), ("dtype", "float32"),
                                                                                   ("sparse", false), ("ragged", false), ("name", .string(name))]))])
            }
            return .object([("module", "keras.layers"), ("class_name", "InputLayer"),
                            ("config", .object([("batch_shape", batchShape(shape)), ("dtype", "float32"), ("sparse", false), ("ragged", false),
                                                ("name", .string(name)), ("optional", false)])),
                            ("registered_name", .null)])
        }
        let rename = Dictionary(uniqueKeysWithValues: zip(outside, inputNames))
        let trainable = model.nodes.contains { $0.trainable }
        let outerInputs = try outside.map { try outerName($0, model.name) }
        var config: [(String, JSON)] = [("name", .string(model.name)), ("trainable", .bool(trainable))]
        if flavor == .keras3 { config.append(("dtype", dtypePolicy)) }
        let isSequential = model.className == "Sequential"
        if isSequential {
            var layers = [inputLayer(inputNames[0], shapes[0])]
            for node in model.nodes {
                let entry = try layer(node, in: graph, flavor: flavor, inputNames: node.inputs.map { rename[$0] ?? $0 })
                layers.append(entry.removing(["name", "inbound_nodes"]))
            }
            config.append(("layers", .array(layers)))
            if flavor == .keras3 { config.append(("build_input_shape", batchShape(shapes[0]))) }
        } else {
            var layers = zip(inputNames, shapes).map { name, shape in
                inputLayer(name, shape).adding([("name", .string(name)), ("inbound_nodes", .array([]))])
            }
            for node in model.nodes {
                layers.append(try layer(node, in: graph, flavor: flavor, inputNames: node.inputs.map { rename[$0] ?? $0 }))
            }
            config.append(("layers", .array(layers)))
            let output = model.nodes.last?.name ?? model.name
            if flavor == .tfKeras2 {
                config.append(("input_layers", .array(inputNames.map { JSON.array([.string($0), 0, 0]) })))
                config.append(("output_layers", .array([.array([.string(output), 0, 0])])))
            } else {
                config.append(("input_layers", tensorList(inputNames)))
                config.append(("output_layers", tensorList([output])))
            }
        }
        if flavor == .tfKeras2 {
            return .object([
                ("class_name", .string(model.className)),
                ("config", .object(config)),
                ("name", .string(model.name)),
                ("inbound_nodes", .array([.array(outerInputs.map { JSON.array([.string($0), 0, 0, .object([])]) })])),
            ])
        }
        let tensors = zip(outerInputs, shapes).map { kerasTensor(layer: $0, shape: $1) }
        return .object([
            ("module", isSequential ? "keras" : "keras.src.models.functional"),
            ("class_name", .string(model.className)),
            ("config", .object(config)),
            ("registered_name", isSequential ? .null : "Functional"),
            ("build_config", .object([("input_shape", shapes.count == 1 ? batchShape(shapes[0]) : .array(shapes.map(batchShape)))])),
            ("name", .string(model.name)),
            ("inbound_nodes", .array([.object([("args", .array(tensors)), ("kwargs", .object([]))])])),
        ])
    }

    // MARK: - Layers

    /// One layer's entry; `inputNames` are the names its inbound nodes use for its inputs
    /// (a nested model's name for its output, a nested model's own InputLayer inside it).
    private static func layer(_ node: Node, in graph: Graph, flavor: Flavor, inputNames: [String]? = nil) throws -> JSON {
        let inputShapes = try node.inputs.map { input -> [Int] in
            guard let source = graph.node(input) else { throw GraphError.unknownInput(node: node.name, input: input) }
            return source.outputShape
        }
        var node = node
        if let inputNames { node.inputs = inputNames }
        if case .input(let shape) = node.op, flavor == .tfKeras2 {
            return .object([
                ("module", "keras.layers"),
                ("class_name", "InputLayer"),
                ("config", .object([("batch_input_shape", batchShape(shape)), ("dtype", "float32"), ("sparse", false), ("ragged", false),
                                    ("name", .string(node.name))])),
                ("registered_name", .null),
                ("name", .string(node.name)),
                ("inbound_nodes", .array([])),
            ])
        }
        if case .input(let shape) = node.op {
            var config: [(String, JSON)] = [
                ("batch_shape", batchShape(shape)),
                ("dtype", "float32"),
                ("sparse", false),
                ("ragged", false),
                ("name", .string(node.name)),
                ("optional", false),
            ]
            // Keras never writes `trainable` for an InputLayer (it has no weights) but accepts it;
            // it is kept only when false, so that a frozen input survives a round trip.
            if !node.trainable { config.append(("trainable", false)) }
            return .object([
                ("module", "keras.layers"),
                ("class_name", "InputLayer"),
                ("config", .object(config)),
                ("registered_name", .null),
                ("name", .string(node.name)),
                ("inbound_nodes", .array([])),
            ])
        }

        if case .scalarArithmetic(let a) = node.op {
            return try operationNode(node, a, inputShapes: inputShapes, flavor: flavor)
        }
        if case .tensorArithmetic(let operation) = node.op {
            return try operationNode(node, operation, inputShapes: inputShapes, flavor: flavor)
        }

        var config: [(String, JSON)] = [("name", .string(node.name)), ("trainable", .bool(node.trainable)),
                                        ("dtype", flavor == .tfKeras2 ? "float32" : dtypePolicy)]
        config += try options(of: node)
        if flavor == .tfKeras2 { config = tfKeras2Options(config, node.op) }
        let (moduleName, registered) = module(of: node.op)
        var entry: [(String, JSON)] = [
            ("module", .string(moduleName)),
            ("class_name", .string(node.op.kerasClassName)),
            ("config", .object(config)),
            ("registered_name", registered),
        ]
        if hasBuildConfig(node.op) {
            let shape: JSON = inputShapes.count == 1 ? batchShape(inputShapes[0]) : .array(inputShapes.map(batchShape))
            entry.append(("build_config", .object([("input_shape", shape)])))
        }
        if flavor == .tfKeras2 {
            // [[["source", 0, 0, {}], ...]]: one call node, its input tensors.
            entry.append(("name", .string(node.name)))
            entry.append(("inbound_nodes", .array([.array(node.inputs.map { JSON.array([.string($0), 0, 0, .object([])]) })])))
            return .object(entry)
        }
        let tensors = zip(node.inputs, inputShapes).map { kerasTensor(layer: $0, shape: $1) }
        let args: JSON = isMerge(node.op) ? .array([.array(tensors)]) : .array(tensors)
        entry.append(("name", .string(node.name)))
        entry.append(("inbound_nodes", .array([.object([("args", args), ("kwargs", callKeywords(node.op))])])))
        return .object(entry)
    }

    /// A tensor-and-number op node: Keras 3 writes it as an operation of `keras.src.ops.numpy`
    /// (config holds only the name; the number sits in the call's args), tf-keras as a
    /// `TFOpLambda` layer whose call keywords carry the number as `y`.
    private static func operationNode(_ node: Node, _ a: ScalarArithmetic, inputShapes: [[Int]], flavor: Flavor) throws -> JSON {
        guard node.inputs.count == 1, inputShapes.count == 1 else {
            throw GraphError.wrongInputCount(node: node.name, op: a.operation.rawValue, expected: "1", found: node.inputs.count)
        }
        let number = try self.number(a.constant, node, "constant")
        if flavor == .tfKeras2 {
            // tf-keras: [["source", 0, 0, {"y": 3.0, "name": null}]], or for `3.0 - x`
            // [["_CONSTANT_VALUE", -1, 3.0, {"y": ["source", 0, 0], "name": null}]].
            let call: JSON = a.constantFirst
                ? .array([.string(KerasConfigImporter.tfConstantValue), -1, number, .object([("y", .array([.string(node.inputs[0]), 0, 0])), ("name", .null)])])
                : .array([.string(node.inputs[0]), 0, 0, .object([("y", number), ("name", .null)])])
            return .object([
                ("module", "tf_keras.src.layers.core.tf_op_layer"),
                ("class_name", "TFOpLambda"),
                ("config", .object([("name", .string(node.name)), ("trainable", .bool(node.trainable)), ("dtype", "float32"),
                                    ("function", .string(a.operation.tfFunction))])),
                ("registered_name", "TFOpLambda"),
                ("build_config", .object([("input_shape", batchShape(inputShapes[0]))])),
                ("name", .string(node.name)),
                ("inbound_nodes", .array([call])),
            ])
        }
        let tensor = kerasTensor(layer: node.inputs[0], shape: inputShapes[0])
        return .object([
            ("module", "keras.src.ops.numpy"),
            ("class_name", .string(a.operation.rawValue)),
            ("config", .object([("name", .string(node.name))])),
            ("registered_name", .string(a.operation.rawValue)),
            ("name", .string(node.name)),
            ("inbound_nodes", .array([.object([("args", .array(a.constantFirst ? [number, tensor] : [tensor, number])), ("kwargs", .object([]))])])),
        ])
    }

    /// A two-tensor op node (`x + y`): Keras 3 `args: [x, y]`; tf-keras a TFOpLambda whose `y`
    /// keyword names the second tensor.
    private static func operationNode(_ node: Node, _ operation: ScalarArithmetic.Operation, inputShapes: [[Int]], flavor: Flavor) throws -> JSON {
        guard node.inputs.count == 2, inputShapes.count == 2 else {
            throw GraphError.wrongInputCount(node: node.name, op: operation.rawValue, expected: "2", found: node.inputs.count)
        }
        if flavor == .tfKeras2 {
            return .object([
                ("module", "tf_keras.src.layers.core.tf_op_layer"),
                ("class_name", "TFOpLambda"),
                ("config", .object([("name", .string(node.name)), ("trainable", .bool(node.trainable)), ("dtype", "float32"),
                                    ("function", .string(operation.tfFunction))])),
                ("registered_name", "TFOpLambda"),
                ("build_config", .object([("input_shape", batchShape(inputShapes[0]))])),
                ("name", .string(node.name)),
                ("inbound_nodes", .array([.array([.string(node.inputs[0]), 0, 0,
                                                  .object([("y", .array([.string(node.inputs[1]), 0, 0])), ("name", .null)])])])),
            ])
        }
        let tensors = zip(node.inputs, inputShapes).map { kerasTensor(layer: $0, shape: $1) }
        return .object([
            ("module", "keras.src.ops.numpy"),
            ("class_name", .string(operation.rawValue)),
            ("config", .object([("name", .string(node.name))])),
            ("registered_name", .string(operation.rawValue)),
            ("name", .string(node.name)),
            ("inbound_nodes", .array([.object([("args", .array(tensors)), ("kwargs", .object([]))])])),
        ])
    }

    /// The class-specific part of a layer config, in Keras's key order.
    private static func options(of node: Node) throws -> [(String, JSON)] {
        switch node.op {
        case .input:
            return []
        case .conv2D(let a):
            return [
                ("filters", .int(a.filters)), ("kernel_size", ints(a.kernel)), ("strides", ints(a.strides)),
                ("padding", .string(a.padding.rawValue)), ("data_format", "channels_last"), ("dilation_rate", ints(a.dilation)),
                ("groups", .int(a.groups)), ("activation", .string(try activationName(a.activation, node))), ("use_bias", .bool(a.useBias)),
                ("kernel_initializer", glorotUniform), ("bias_initializer", initializer("Zeros")),
                ("kernel_regularizer", try regularizer(a.kernelL2, node)), ("bias_regularizer", .null), ("activity_regularizer", .null),
                ("kernel_constraint", .null), ("bias_constraint", .null),
            ]
        case .depthwiseConv2D(let a):
            return [
                ("depth_multiplier", .int(a.filters)), ("kernel_size", ints(a.kernel)), ("strides", ints(a.strides)),
                ("padding", .string(a.padding.rawValue)), ("data_format", "channels_last"), ("dilation_rate", ints(a.dilation)),
                ("activation", .string(try activationName(a.activation, node))), ("use_bias", .bool(a.useBias)),
                ("depthwise_initializer", glorotUniform), ("bias_initializer", initializer("Zeros")),
                ("depthwise_regularizer", .null), ("bias_regularizer", .null), ("activity_regularizer", .null),
                ("depthwise_constraint", .null), ("bias_constraint", .null),
            ]
        case .batchNormalization(let a):
            return [
                ("axis", .int(a.axis)), ("momentum", try number(a.effectiveMomentum, node, "momentum")), ("epsilon", try number(a.epsilon, node, "epsilon")),
                ("center", .bool(a.center)), ("scale", .bool(a.scale)),
                ("beta_initializer", initializer("Zeros")), ("gamma_initializer", initializer("Ones")),
                ("moving_mean_initializer", initializer("Zeros")), ("moving_variance_initializer", initializer("Ones")),
                ("beta_regularizer", .null), ("gamma_regularizer", .null), ("beta_constraint", .null), ("gamma_constraint", .null),
                ("synchronized", false), ("renorm", false), ("renorm_clipping", .null), ("renorm_momentum", .double(0.99)),
            ]
        case .activation(let activation):
            return [("activation", .string(try activationName(activation, node)))]
        case .relu:
            return [("max_value", .null), ("negative_slope", .double(0)), ("threshold", .double(0))]
        case .zeroPadding2D(let top, let bottom, let left, let right):
            return [("padding", .array([ints([top, bottom]), ints([left, right])])), ("data_format", "channels_last")]
        case .maxPooling2D(let a), .averagePooling2D(let a):
            return [("pool_size", ints(a.size)), ("padding", .string(a.padding.rawValue)), ("strides", ints(a.strides)),
                    ("data_format", "channels_last")]
        case .globalAveragePooling2D, .globalMaxPooling2D:
            return [("data_format", "channels_last"), ("keepdims", false)]
        case .add:
            return []
        case .concatenate(let axis):
            return [("axis", .int(axis))]
        case .flatten:
            return [("data_format", "channels_last")]
        case .dense(let a):
            return [
                ("units", .int(a.units)), ("activation", .string(try activationName(a.activation, node))), ("use_bias", .bool(a.useBias)),
                ("kernel_initializer", glorotUniform), ("bias_initializer", initializer("Zeros")),
                ("kernel_regularizer", try regularizer(a.kernelL2, node)), ("bias_regularizer", .null), ("kernel_constraint", .null), ("bias_constraint", .null),
                ("quantization_config", .null),
            ]
        case .dropout(let rate):
            return [("rate", try number(rate, node, "rate")), ("seed", .null), ("noise_shape", .null)]
        case .dropoutWithNoiseShape(let rate, let noise):
            return [("rate", try number(rate, node, "rate")), ("seed", .null), ("noise_shape", .array(noise.map { $0.map { JSON.int($0) } ?? .null }))]
        case .rescaling(let scale, let offset):
            return [("scale", try number(scale, node, "scale")), ("offset", try number(offset, node, "offset"))]
        case .channelRescaling(let scale, let offset):
            func values(_ list: [Double], _ key: String) throws -> JSON {
                list.count == 1 ? try number(list[0], node, key) : .array(try list.map { try number($0, node, key) })
            }
            return [("scale", try values(scale, "scale")), ("offset", try values(offset, "offset"))]
        case .reluLayer(let a):
            return [("max_value", try a.maxValue.map { try number($0, node, "max_value") } ?? .null),
                    ("negative_slope", try number(a.negativeSlope, node, "negative_slope")), ("threshold", try number(a.threshold, node, "threshold"))]
        case .leakyReLU(let slope):
            return [("negative_slope", try number(slope, node, "negative_slope"))]
        case .separableConv2D(let a):
            return [
                ("depth_multiplier", .int(a.depthMultiplier)), ("filters", .int(a.filters)), ("kernel_size", ints(a.kernel)), ("strides", ints(a.strides)),
                ("padding", .string(a.padding.rawValue)), ("data_format", "channels_last"), ("dilation_rate", ints(a.dilation)),
                ("activation", .string(try activationName(a.activation, node))), ("use_bias", .bool(a.useBias)),
                ("depthwise_initializer", glorotUniform), ("pointwise_initializer", glorotUniform), ("bias_initializer", initializer("Zeros")),
                ("depthwise_regularizer", .null), ("pointwise_regularizer", .null), ("bias_regularizer", .null), ("activity_regularizer", .null),
                ("depthwise_constraint", .null), ("pointwise_constraint", .null), ("bias_constraint", .null),
            ]
        case .multiply, .subtract, .average, .maximum:
            return []
        case .reshape(let target):
            return [("target_shape", ints(target))]
        case .permute(let dims):
            return [("dims", ints(dims))]
        case .cropping2D(let top, let bottom, let left, let right):
            return [("cropping", .array([ints([top, bottom]), ints([left, right])])), ("data_format", "channels_last")]
        case .globalAveragePooling2DKeepingDims, .globalMaxPooling2DKeepingDims:
            return [("data_format", "channels_last"), ("keepdims", true)]
        case .normalization(let a):
            func values(_ list: [Double]?, _ key: String) throws -> JSON {
                guard let list else { return .null }
                return .array(try list.map { try number($0, node, key) })
            }
            return [("axis", .array([-1])), ("invert", .bool(a.invert)), ("mean", try values(a.mean, "mean")), ("variance", try values(a.variance, "variance"))]
        case .layerNormalization(let a):
            return [
                ("axis", .array([-1])), ("epsilon", try number(a.epsilon, node, "epsilon")), ("center", .bool(a.center)), ("scale", .bool(a.scale)),
                ("rms_scaling", false), ("beta_initializer", initializer("Zeros")), ("gamma_initializer", initializer("Ones")),
                ("beta_regularizer", .null), ("gamma_regularizer", .null), ("beta_constraint", .null), ("gamma_constraint", .null),
            ]
        case .layerScale(let initValue):
            return [("init_values", try number(initValue, node, "init_values")), ("projection_dim", .int(node.outputShape.last ?? 1))]
        case .customScale(let scale):
            return [("scale", try number(scale, node, "scale"))]
        case .scalarArithmetic, .tensorArithmetic:
            return []  // an op node, written by operationNode
        }
    }

    /// The Keras name of an activation, or an error for one Keras cannot name in a config.
    private static func activationName(_ activation: Activation, _ node: Node) throws -> String {
        switch activation {
        case .geluTanh:
            throw GraphError.invalidConfig("layer '\(node.name)': gelu with approximate=True has no Keras config name (Keras's 'gelu' is the exact one)")
        case .hardSigmoidKeras2:
            throw GraphError.invalidConfig("layer '\(node.name)': Keras 2's hard_sigmoid (0.2 x + 0.5) has no Keras 3 config name (Keras 3's 'hard_sigmoid' is relu6(x + 3) / 6)")
        default:
            return activation.rawValue
        }
    }

    /// Where Keras keeps a layer class (`module` in the config) and its registered name.
    private static func module(of op: Op) -> (module: String, registered: JSON) {
        switch op {
        case .layerScale: return ("keras.src.applications.convnext", "LayerScale")
        case .customScale: return ("keras.src.applications.inception_resnet_v2", "CustomScaleLayer")
        default: return ("keras.layers", .null)
        }
    }

    /// A Keras 3 layer config made into tf-keras 2's: initializers without Keras 3's extra
    /// GlorotUniform options, no Keras 3-only keys (BatchNormalization's `synchronized` and
    /// renorm options, Dense's `quantization_config`), Dense with its `activity_regularizer`.
    private static func tfKeras2Options(_ config: [(String, JSON)], _ op: Op) -> [(String, JSON)] {
        let dropped: Set<String> = ["synchronized", "renorm", "renorm_clipping", "renorm_momentum", "quantization_config"]
        var result: [(String, JSON)] = []
        for (key, value) in config where !dropped.contains(key) {
            if key.hasSuffix("_initializer"), case .object(let fields) = value,
               fields.contains(where: { $0.0 == "class_name" && { if case .string("GlorotUniform") = $0.1 { return true } else { return false } }($0) }) {
                result.append((key, .object([("module", "keras.initializers"), ("class_name", "GlorotUniform"),
                                             ("config", .object([("seed", .null)])), ("registered_name", .null)])))
                continue
            }
            result.append((key, value))
            if key == "bias_regularizer", case .dense = op { result.append(("activity_regularizer", .null)) }
        }
        return result
    }

    /// Keras 3 writes `build_config` for the layers that define `build()`.
    private static func hasBuildConfig(_ op: Op) -> Bool {
        switch op {
        case .conv2D, .depthwiseConv2D, .batchNormalization, .zeroPadding2D, .add, .concatenate, .flatten, .dense, .rescaling,
             .channelRescaling, .separableConv2D, .multiply, .subtract, .average, .maximum, .permute, .cropping2D, .normalization,
             .layerNormalization, .layerScale, .customScale:
            return true
        case .input, .activation, .relu, .reluLayer, .leakyReLU, .maxPooling2D, .averagePooling2D, .globalAveragePooling2D,
             .globalMaxPooling2D, .globalAveragePooling2DKeepingDims, .globalMaxPooling2DKeepingDims, .dropout, .dropoutWithNoiseShape, .reshape,
             .scalarArithmetic, .tensorArithmetic:
            return false
        }
    }

    /// Merge layers take their inputs as one list argument.
    private static func isMerge(_ op: Op) -> Bool {
        switch op {
        case .add, .concatenate, .multiply, .subtract, .average, .maximum, .customScale: return true
        default: return false
        }
    }

    /// The call keywords Keras records for a layer built symbolically.
    private static func callKeywords(_ op: Op) -> JSON {
        switch op {
        case .batchNormalization: return .object([("mask", .null)])
        case .dropout, .dropoutWithNoiseShape: return .object([("training", false)])
        default: return .object([])
        }
    }

    private static func kerasTensor(layer: String, shape: [Int]) -> JSON {
        .object([
            ("class_name", "__keras_tensor__"),
            ("config", .object([("shape", batchShape(shape)), ("dtype", "float32"), ("keras_history", .array([.string(layer), 0, 0]))])),
        ])
    }

    /// Keras 3's serialised `L2(l2)` regularizer, or null.
    private static func regularizer(_ l2: Double?, _ node: Node) throws -> JSON {
        guard let l2 else { return .null }
        return .object([("module", "keras.regularizers"), ("class_name", "L2"), ("config", .object([("l2", try number(l2, node, "l2"))])),
                        ("registered_name", .null)])
    }

    private static func batchShape(_ shape: [Int]) -> JSON { .array([.null] + shape.map(JSON.int)) }
    private static func ints(_ values: [Int]) -> JSON { .array(values.map(JSON.int)) }

    private static func number(_ value: Double, _ node: Node, _ key: String) throws -> JSON {
        guard value.isFinite else { throw GraphError.invalidConfig("layer '\(node.name)': \(key) \(value) is not a finite number") }
        return .double(value)
    }

    private static let dtypePolicy: JSON = .object([
        ("module", "keras"), ("class_name", "DTypePolicy"), ("config", .object([("name", "float32")])), ("registered_name", .null),
    ])

    private static let glorotUniform: JSON = .object([
        ("module", "keras.initializers"), ("class_name", "GlorotUniform"),
        ("config", .object([("seed", .null), ("input_axes", .null), ("output_axes", .null)])), ("registered_name", .null),
    ])

    private static func initializer(_ className: String) -> JSON {
        .object([("module", "keras.initializers"), ("class_name", .string(className)), ("config", .object([])), ("registered_name", .null)])
    }
}

/// A JSON value with ordered object keys, written like Python's `json.dumps` (separators
/// `", "` and `": "`, `ensure_ascii`, floats as `repr`).
private indirect enum JSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    init(stringLiteral value: String) { self = .string(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(integerLiteral value: Int) { self = .int(value) }

    func write(to out: inout String) throws {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .double(let value):
            guard value.isFinite else { throw GraphError.invalidConfig("\(value) cannot be written as JSON") }
            // Swift's shortest round-trip form matches Python's repr for the values configs hold
            // (0.99, 0.001, 1.001e-05, 0.0, 0.00392156862745098).
            out += value.description
        case .string(let value): JSON.writeString(value, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                try item.write(to: &out)
            }
            out += "]"
        case .object(let pairs):
            out += "{"
            for (i, pair) in pairs.enumerated() {
                if i > 0 { out += ", " }
                JSON.writeString(pair.0, to: &out)
                out += ": "
                try pair.1.write(to: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ value: String, to out: inout String) {
        out += "\""
        for unit in value.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        out += "\""
    }
}

private extension JSON {
    /// The object without `keys`.
    func removing(_ keys: Set<String>) -> JSON {
        guard case .object(let pairs) = self else { return self }
        return .object(pairs.filter { !keys.contains($0.0) })
    }

    /// The object with `pairs` appended.
    func adding(_ more: [(String, JSON)]) -> JSON {
        guard case .object(let pairs) = self else { return self }
        return .object(pairs + more)
    }
}
