import ZooGraph

/// Keras 3's `model.layers` order for a functional graph (`keras/src/ops/function.py`,
/// `map_graph`), so a builder can add layers in the order the Python source creates them and
/// still list them as Keras does.
///
/// Keras walks the graph depth-first from the outputs, visiting each layer's inputs in argument
/// order, and numbers every layer the first time it is reached (pre-order). A layer's depth is
/// the longest path from it to an output. `model.layers` lists the layers by decreasing depth,
/// and layers of equal depth by that traversal number.
enum KerasLayerOrder {
    /// `graph` with its nodes in Keras's `model.layers` order (outputs kept).
    static func reordered(_ graph: Graph) throws -> Graph {
        let outputs = graph.effectiveOutputs
        // Pre-order traversal numbers from the outputs (iterative, inputs in argument order).
        var traversal: [String: Int] = [:]
        for output in outputs {
            var stack = [output]
            while let name = stack.popLast() {
                guard traversal[name] == nil, let node = graph.node(name) else { continue }
                traversal[name] = traversal.count
                stack.append(contentsOf: node.inputs.reversed())
            }
        }
        // Longest path to an output: consumers come later in a topological order, so walking the
        // nodes backwards settles every consumer before its producers.
        var depth: [String: Int] = [:]
        for output in outputs { depth[output] = 0 }
        for node in graph.nodes.reversed() {
            guard let d = depth[node.name] else { continue }
            for input in node.inputs { depth[input] = max(depth[input] ?? 0, d + 1) }
        }
        let kept = graph.nodes.filter { depth[$0.name] != nil }
        let ordered = kept.sorted { a, b in
            let (da, db) = (depth[a.name]!, depth[b.name]!)
            return da != db ? da > db : traversal[a.name]! < traversal[b.name]!
        }
        var result = Graph()
        for node in ordered {
            try result.add(node.name, node.op, inputs: node.inputs, trainable: node.trainable, container: node.container)
        }
        result.outputs = graph.outputs
        return result
    }
}

/// Keras's automatic layer names: the class name in snake case, then `_1`, `_2`, ... for later
/// layers of the same class (`conv2d`, `conv2d_1`, `batch_normalization`, ...), counted in the
/// order the layers are created.
struct KerasAutoNames {
    private var counts: [String: Int] = [:]

    mutating func next(_ base: String) -> String {
        let count = counts[base, default: 0]
        counts[base] = count + 1
        return count == 0 ? base : "\(base)_\(count)"
    }
}

extension ArchitectureOptions {
    /// Keras's `obtain_input_shape` check: three dimensions, height and width at least `minimum`.
    func requireInput(atLeast minimum: Int, for kerasName: String) throws {
        guard inputShape.count == 3, inputShape[0] >= minimum, inputShape[1] >= minimum else {
            throw GraphError.invalidConfig("\(kerasName) needs an input shape (height, width, channels) of at least \(minimum)x\(minimum), got \(inputShape)")
        }
    }
}
