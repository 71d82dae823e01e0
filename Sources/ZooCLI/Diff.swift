import ArgumentParser
import Foundation
import ZooFormats
import ZooModels
import ZooNative

/// `zoo diff A B`: compare two checkpoints of any formats after name mapping.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two checkpoints (any formats, any naming) tensor by tensor.",
        discussion: """
        Both files are mapped onto their graph in Keras naming and layout when their architecture \
        is known, so a torchvision-named safetensors file compares with a Keras .h5. Elements are \
        equal when |a - b| <= atol + rtol * |b| (numpy's allclose). Exit 0 when every tensor is \
        present in both with the same shape and equal within tolerance, 1 otherwise.
        """
    )

    @Argument(help: "The first file.") var a: String
    @Argument(help: "The second file.") var b: String
    @Option(help: "Absolute tolerance.") var atol: Double = 0
    @Option(help: "Relative tolerance.") var rtol: Double = 0
    @Option(help: "Architecture for files without a config (default: detected).") var arch: String?
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let left = try tensors(a)
        let right = try tensors(b)
        let missing = left.order.filter { right.map[$0] == nil }
        let extra = right.order.filter { left.map[$0] == nil }
        var shapeChanged: [(String, [Int], [Int])] = []
        var rows: [(name: String, maxAbs: Double, maxRel: Double, ok: Bool)] = []
        for name in left.order {
            guard let x = left.map[name], let y = right.map[name] else { continue }
            // A tensor whose shape does not fit the architecture is compared by shape only.
            guard x.shape == y.shape, !left.unbound.contains(name), !right.unbound.contains(name) else {
                shapeChanged.append((name, x.shape, y.shape))
                continue
            }
            let u = DTypeConversion.floats(x), v = DTypeConversion.floats(y)
            var maxAbs = 0.0, maxRel = 0.0, ok = true
            for i in u.indices {
                let d = abs(Double(u[i]) - Double(v[i]))
                maxAbs = max(maxAbs, d)
                if v[i] != 0 { maxRel = max(maxRel, d / abs(Double(v[i]))) } else if d > 0 { maxRel = .infinity }
                if d > atol + rtol * abs(Double(v[i])) || u[i].isNaN != v[i].isNaN { ok = false }
            }
            rows.append((name, maxAbs, maxRel, ok))
        }
        let equal = missing.isEmpty && extra.isEmpty && shapeChanged.isEmpty && rows.allSatisfy(\.ok)
        if json {
            let object: JSONValue = .object([
                ("equal", .bool(equal)),
                ("only_in_a", .array(missing.map { .string($0) })),
                ("only_in_b", .array(extra.map { .string($0) })),
                ("shape_changed", .array(shapeChanged.map { .object([("name", .string($0.0)), ("a", .array($0.1.map { .int($0) })), ("b", .array($0.2.map { .int($0) }))]) })),
                ("tensors", .array(rows.map { .object([("name", .string($0.name)), ("max_abs", .double($0.maxAbs)), ("max_rel", .double($0.maxRel)), ("within_tolerance", .bool($0.ok))]) })),
            ])
            print(object.rendered())
        } else {
            for name in missing { print("only in A:     \(name)") }
            for name in extra { print("only in B:     \(name)") }
            for (name, x, y) in shapeChanged { print("shape changed: \(name) \(x) -> \(y)") }
            for row in rows where !row.ok || row.maxAbs > 0 {
                print("\(row.ok ? "close:  " : "DIFFERS:") \(row.name)  max_abs=\(row.maxAbs)  max_rel=\(row.maxRel)")
            }
            let worst = rows.max { $0.maxAbs < $1.maxAbs }
            print("\(equal ? "equal" : "different"): \(rows.count) tensors compared, \(rows.filter { !$0.ok }.count) beyond tolerance, \(missing.count) only in A, \(extra.count) only in B, \(shapeChanged.count) shape changes; largest max_abs \(worst.map { "\($0.maxAbs) (\($0.name))" } ?? "0")")
        }
        if !equal { throw ExitCode(1) }
    }

    /// The file's tensors by Keras name (`layer/weight`, Keras layout) when it binds to a graph,
    /// otherwise as stored.
    /// A tensor whose stored shape does not fit the architecture stays in the map under its graph
    /// name, with its stored shape and no data, and is listed in `unbound`: a reshaped tensor is
    /// a shape change, not a tensor "only in" one file.
    func tensors(_ path: String) throws -> (map: [String: Weight], order: [String], unbound: Set<String>) {
        let (checkpoint, graph, _) = try AnyCheckpointReader.read(path)
        let options = ModelOptions.with(arch: arch, naming: nil)
        if let loaded = try? options.loader(mode: .lenient).load(checkpoint, file: path, graph: graph), loaded.model.report.matched.count > 0 {
            var map: [String: Weight] = [:]
            var order: [String] = []
            let mismatched = Dictionary(loaded.model.report.mismatched.map { ($0.name, $0.found) }, uniquingKeysWith: { first, _ in first })
            for node in loaded.model.graph.nodes {
                for spec in node.weights {
                    let name = "\(node.name)/\(spec.name)"
                    if let weight = loaded.model.weights[node.name]?[spec.name], mismatched[name] == nil {
                        map[name] = weight
                    } else if let found = mismatched[name] {
                        map[name] = Weight(name: spec.name, path: name, storedName: name, dtype: .float32, shape: found, data: TensorData(byteCount: 0) { _ in })
                    } else {
                        continue
                    }
                    order.append(name)
                }
            }
            for name in loaded.model.report.unexpected where map[name] == nil { order.append(name) }
            return (map, order, Set(mismatched.keys))
        }
        var map: [String: Weight] = [:]
        var order: [String] = []
        for (layer, weight) in checkpoint.allWeights {
            let name = "\(layer.name)/\(weight.name)"
            map[name] = weight
            order.append(name)
        }
        return (map, order, [])
    }
}
