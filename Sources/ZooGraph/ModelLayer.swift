/// A layer as Keras's `model.layers` lists it: one graph node, or a nested model (a Sequential
/// or Functional used as a layer) standing for its consecutive nodes.
public struct ModelLayer: Equatable, Sendable {
    /// The layer's name (the nested model's name for a nested model).
    public var name: String
    /// The Keras class: the node's (`Conv2D`), or `Sequential` / `Functional` for a nested model.
    public var className: String
    /// The nodes it stands for, in `model.layers` order (one for a plain layer).
    public var nodes: [Node]
    /// The output shape without the batch dimension: the last node's.
    public var outputShape: [Int] { nodes.last?.outputShape ?? [] }
    /// Elements over all the nodes' weights.
    public var parameterCount: Int { nodes.reduce(0) { $0 + $1.parameterCount } }
    /// Whether this is a nested model rather than one node.
    public var isNestedModel: Bool { nodes.first?.container != nil }

    /// The layers its nodes read from outside it, in first-use order, each once (for one node:
    /// its inputs).
    public var externalInputs: [String] {
        let own = Set(nodes.map(\.name))
        var result: [String] = []
        for node in nodes { for input in node.inputs where !own.contains(input) && !result.contains(input) { result.append(input) } }
        return result
    }

    public init(name: String, className: String, nodes: [Node]) {
        self.name = name
        self.className = className
        self.nodes = nodes
    }
}

extension Graph {
    /// The model's layers as Keras lists them: nested models collapse to one entry at the place
    /// of their first node (holding all its nodes, op nodes included); op nodes (`x + 3.0`) of
    /// the model itself, which Keras does not list, are left out.
    public var modelLayers: [ModelLayer] {
        var result: [ModelLayer] = []
        for node in nodes where !node.op.isOperationNode || node.container != nil {
            if let container = node.container {
                if let last = result.last, last.name == container, last.isNestedModel {
                    result[result.count - 1].nodes.append(node)
                } else {
                    result.append(ModelLayer(name: container, className: nestedModelClass(container), nodes: [node]))
                }
            } else {
                result.append(ModelLayer(name: node.name, className: node.op.kerasClassName, nodes: [node]))
            }
        }
        return result
    }

    /// Keras's class of a nested model: Sequential when its layers form one chain from the
    /// layer before it, Functional otherwise.
    func nestedModelClass(_ container: String) -> String {
        let members = nodes.filter { $0.container == container }
        for (i, node) in members.enumerated() where i > 0 {
            if node.inputs != [members[i - 1].name] { return "Functional" }
        }
        return members.first.map { $0.inputs.count == 1 } ?? true ? "Sequential" : "Functional"
    }
}

extension Graph {
    /// The names Keras gives `node`'s inputs: a layer inside a nested model read from outside
    /// it is that nested model.
    public func kerasInputs(of node: Node) -> [String] {
        node.inputs.map { kerasName(of: $0, readFrom: node.container) }
    }

    /// The names Keras gives the layers a nested model reads from outside it.
    public func kerasInputs(of layer: ModelLayer) -> [String] {
        layer.externalInputs.map { kerasName(of: $0, readFrom: nil) }
    }

    private func kerasName(of input: String, readFrom reader: String?) -> String {
        guard let container = node(input)?.container, container != reader else { return input }
        return container
    }
}
