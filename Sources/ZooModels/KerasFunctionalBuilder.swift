import ZooFormats
import ZooGraph

/// Records layers in the order keras.applications code creates and calls them, gives unnamed
/// layers Keras 3's automatic names, and then adds them to a `Graph` in Keras's `model.layers`
/// order, so builders of branching families (Inception, DenseNet, ResNetV2) can be written the
/// way the Keras source reads.
///
/// Automatic names: each unnamed layer is named after its snake-case class with a per-class
/// counter in creation order (`conv2d`, `conv2d_1`, ...), as Keras 3 names them in a fresh session.
///
/// Order (`keras/src/ops/function.py`, `map_graph`): a depth-first walk from the output, inputs in
/// call order, numbers each layer when first reached; a layer's depth is the longest path from it
/// to the output; layers sort by depth, deepest first, ties by that number.
struct KerasFunctionalBuilder {
    private struct Layer {
        var name: String
        var op: Op
        var inputs: [String]
    }

    private var layers: [Layer] = []
    private var index: [String: Int] = [:]
    private var counters: [String: Int] = [:]

    /// Adds a layer; `name` nil takes Keras's automatic name. Returns the name.
    @discardableResult
    mutating func add(_ name: String?, _ op: Op, inputs: [String] = []) throws -> String {
        let resolved: String
        if let name {
            resolved = name
        } else {
            let base = KerasNaming.snakeCase(op.kerasClassName)
            let count = counters[base, default: 0]
            counters[base] = count + 1
            resolved = count == 0 ? base : "\(base)_\(count)"
        }
        guard index[resolved] == nil else { throw GraphError.duplicateNode(resolved) }
        for input in inputs where index[input] == nil { throw GraphError.unknownInput(node: resolved, input: input) }
        index[resolved] = layers.count
        layers.append(Layer(name: resolved, op: op, inputs: inputs))
        return resolved
    }

    /// The graph of every layer `output` depends on, in Keras's `model.layers` order.
    func graph(output: String) throws -> Graph {
        guard let last = index[output] else { throw GraphError.unknownNode(output) }
        // Depth-first walk from the output: first-visit numbers and a post-order.
        var visitNumber: [Int: Int] = [:]
        var postOrder: [Int] = []
        var finished = Set<Int>()
        // Iterative DFS that keeps the recursive visiting order.
        var stack: [(layer: Int, next: Int)] = [(last, 0)]
        visitNumber[last] = 0
        while let top = stack.last {
            let inputs = layers[top.layer].inputs
            if top.next < inputs.count {
                stack[stack.count - 1].next += 1
                guard let child = index[inputs[top.next]], !finished.contains(child) else { continue }
                if visitNumber[child] == nil { visitNumber[child] = visitNumber.count }
                stack.append((child, 0))
            } else {
                stack.removeLast()
                if finished.insert(top.layer).inserted { postOrder.append(top.layer) }
            }
        }
        // Longest distance to the output, from the output backwards.
        var depth: [Int: Int] = [:]
        for layer in postOrder.reversed() {
            let d = depth[layer, default: 0]
            depth[layer] = d
            for input in layers[layer].inputs {
                guard let parent = index[input] else { continue }
                depth[parent] = max(depth[parent, default: 0], d + 1)
            }
        }
        let order = postOrder.sorted { a, b in
            depth[a]! != depth[b]! ? depth[a]! > depth[b]! : visitNumber[a]! < visitNumber[b]!
        }
        var graph = Graph()
        for i in order { try graph.add(layers[i].name, layers[i].op, inputs: layers[i].inputs) }
        graph.outputs = [output]
        return graph
    }
}

/// The classifier or pooling keras.applications puts on top of a backbone.
enum ApplicationTop {
    /// `avg_pool` + `predictions` with include_top, else the global pooling (`avg_pool` /
    /// `max_pool` when `namedPooling`, Keras's automatic names otherwise), else nothing.
    /// Returns the output layer.
    static func add(to b: inout KerasFunctionalBuilder, after x: String, options: ArchitectureOptions, namedPooling: Bool) throws -> String {
        if options.includeTop {
            let pooled = try b.add("avg_pool", .globalAveragePooling2D, inputs: [x])
            return try b.add("predictions", .dense(DenseAttributes(units: options.classes, activation: .softmax)), inputs: [pooled])
        }
        switch options.pooling {
        case .avg: return try b.add(namedPooling ? "avg_pool" : nil, .globalAveragePooling2D, inputs: [x])
        case .max: return try b.add(namedPooling ? "max_pool" : nil, .globalMaxPooling2D, inputs: [x])
        case .none: return x
        }
    }
}
