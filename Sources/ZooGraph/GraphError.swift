/// An error building or transforming a graph. Each case names the node involved.
public enum GraphError: Error, CustomStringConvertible, Equatable, Sendable {
    case duplicateNode(String)
    case unknownInput(node: String, input: String)
    case unknownNode(String)
    case wrongInputCount(node: String, op: String, expected: String, found: Int)
    case shapeMismatch(node: String, reason: String)
    case unsupportedLayer(name: String, className: String)
    case invalidConfig(String)

    public var description: String {
        switch self {
        case .duplicateNode(let name): return "graph already has a layer named '\(name)'"
        case .unknownInput(let node, let input): return "layer '\(node)' takes input '\(input)', which is not an earlier layer of the graph"
        case .unknownNode(let name): return "no layer named '\(name)' in the graph"
        case .wrongInputCount(let node, let op, let expected, let found): return "layer '\(node)' (\(op)) takes \(expected) input(s), got \(found)"
        case .shapeMismatch(let node, let reason): return "layer '\(node)': \(reason)"
        case .unsupportedLayer(let name, let className): return "layer '\(name)' has unsupported type \(className) (supported: \(Op.supportedClassNames.joined(separator: ", ")))"
        case .invalidConfig(let reason): return "invalid model config: \(reason)"
        }
    }
}
