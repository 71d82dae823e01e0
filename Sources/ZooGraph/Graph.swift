/// A value-typed layer graph with Keras semantics: nodes in `model.layers` order (which is a
/// topological order), each with its output shape and weight specs inferred when it is added.
public struct Graph: Equatable, Sendable {
    /// Nodes in `model.layers` order.
    public private(set) var nodes: [Node] = []
    /// Names of the layers whose outputs are the model's outputs.
    public var outputs: [String] = []
    private var index: [String: Int] = [:]
    /// Names of the nested models the nodes belong to (`Node.container`).
    private var containers: Set<String> = []

    public init() {}

    /// Adds a layer after the existing ones; its inputs must already be in the graph.
    /// Returns the new node's name, for chaining builders.
    @discardableResult
    public mutating func add(_ name: String, _ op: Op, inputs: [String] = [], trainable: Bool = true, container: String? = nil) throws -> String {
        guard !containers.contains(name) else { throw GraphError.duplicateNode(name) }
        if let container {
            guard container != name, !container.isEmpty else { throw GraphError.invalidConfig("layer '\(name)': its nested model's name '\(container)' must differ from it and not be empty") }
            guard index[container] == nil else { throw GraphError.duplicateNode(container) }
            // A nested model's layers are consecutive, as Keras lists them.
            guard !containers.contains(container) || nodes.last?.container == container else {
                throw GraphError.invalidConfig("layer '\(name)' belongs to nested model '\(container)', whose other layers are not just before it")
            }
        }
        guard index[name] == nil else { throw GraphError.duplicateNode(name) }
        let shapes = try inputs.map { input -> [Int] in
            guard let position = index[input] else { throw GraphError.unknownInput(node: name, input: input) }
            return nodes[position].outputShape
        }
        let (shape, weights) = try ShapeInference.infer(name: name, op: op, inputs: shapes)
        index[name] = nodes.count
        if let container { containers.insert(container) }
        nodes.append(Node(name: name, op: op, inputs: inputs, weights: weights, outputShape: shape, trainable: trainable, container: container))
        return name
    }

    /// The node with this name.
    public func node(_ name: String) -> Node? { index[name].map { nodes[$0] } }

    /// Position of a node in `model.layers` order.
    public func position(of name: String) -> Int? { index[name] }

    /// The input nodes.
    public var inputNodes: [Node] { nodes.filter { if case .input = $0.op { return true } else { return false } } }

    public var totalParameterCount: Int { nodes.reduce(0) { $0 + $1.parameterCount } }
    public var trainableParameterCount: Int { nodes.reduce(0) { $0 + $1.trainableParameterCount } }
    public var nonTrainableParameterCount: Int { totalParameterCount - trainableParameterCount }

    /// Nodes in a topological order (Kahn's algorithm, ties broken by `model.layers` order).
    public func topologicalOrder() -> [Node] {
        var remaining = nodes.map { Set($0.inputs) }
        var consumers: [String: [Int]] = [:]
        for (i, node) in nodes.enumerated() { for input in node.inputs { consumers[input, default: []].append(i) } }
        var ready = nodes.indices.filter { remaining[$0].isEmpty }
        var order: [Node] = []
        while !ready.isEmpty {
            ready.sort()
            let next = ready.removeFirst()
            order.append(nodes[next])
            for consumer in consumers[nodes[next].name] ?? [] {
                remaining[consumer].remove(nodes[next].name)
                if remaining[consumer].isEmpty { ready.append(consumer) }
            }
        }
        return order
    }

    /// Names of `name` and every layer it depends on.
    public func ancestors(of name: String) throws -> Set<String> {
        guard index[name] != nil else { throw GraphError.unknownNode(name) }
        var seen: Set<String> = []
        var stack = [name]
        while let next = stack.popLast() {
            guard seen.insert(next).inserted, let node = node(next) else { continue }
            stack += node.inputs
        }
        return seen
    }

    /// The graph cut at `name`: that layer and its ancestors, which becomes the only output.
    public func cut(at name: String) throws -> Graph {
        let keep = try ancestors(of: name)
        var result = Graph()
        for node in nodes where keep.contains(node.name) {
            try result.add(node.name, node.op, inputs: node.inputs, trainable: node.trainable, container: node.container)
        }
        result.outputs = [name]
        return result
    }

    /// Marks every layer up to and including `name` (in `model.layers` order) as not trainable.
    public mutating func freeze(through name: String) throws {
        guard let last = index[name] else { throw GraphError.unknownNode(name) }
        for i in 0...last { nodes[i].trainable = false }
    }

    /// Makes `name` and every later layer (in `model.layers` order) trainable and every earlier
    /// one frozen: what fine-tuning "from" a layer means.
    public mutating func trainOnly(from name: String) throws {
        guard let first = index[name] else { throw GraphError.unknownNode(name) }
        for i in nodes.indices { nodes[i].trainable = i >= first }
    }

    /// Freezes every layer up to and including `name` and makes every later one trainable.
    public mutating func trainOnly(after name: String) throws {
        guard let last = index[name] else { throw GraphError.unknownNode(name) }
        for i in nodes.indices { nodes[i].trainable = i > last }
    }

    /// Sets one layer's trainable flag.
    public mutating func setTrainable(_ name: String, _ trainable: Bool) throws {
        guard let i = index[name] else { throw GraphError.unknownNode(name) }
        nodes[i].trainable = trainable
    }

    /// The outputs, or the last node when none were set.
    public var effectiveOutputs: [String] {
        outputs.isEmpty ? nodes.last.map { [$0.name] } ?? [] : outputs
    }
}

extension Graph: Codable {
    private enum CodingKeys: String, CodingKey { case nodes, outputs }

    /// Decoding rebuilds the graph through `add`, so a stored graph is validated exactly like a
    /// built one (inputs exist and come first, attributes are well-formed, shapes agree); derived
    /// fields in the data (output shapes, weight specs) are recomputed, never trusted.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let stored = try container.decode([Node].self, forKey: .nodes)
        var graph = Graph()
        for node in stored {
            try graph.add(node.name, node.op, inputs: node.inputs, trainable: node.trainable, container: node.container)
        }
        let outputs = try container.decodeIfPresent([String].self, forKey: .outputs) ?? []
        for name in outputs where graph.node(name) == nil { throw GraphError.unknownNode(name) }
        graph.outputs = outputs
        self = graph
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(nodes, forKey: .nodes)
        try container.encode(outputs, forKey: .outputs)
    }
}
