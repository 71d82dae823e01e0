/// An error planning or running a model.
public enum ComputeError: Error, CustomStringConvertible, Equatable, Sendable {
    case unknownOutput(String, available: [String])
    case badInput(reason: String)
    case missingWeight(layer: String, weight: String)
    case unsupported(layer: String, reason: String)

    public var description: String {
        switch self {
        case .unknownOutput(let name, let available):
            return "no layer named '\(name)' in the model (layers: \(available.prefix(12).joined(separator: ", "))\(available.count > 12 ? ", ..." : ""))"
        case .badInput(let reason):
            return "bad input: \(reason)"
        case .missingWeight(let layer, let weight):
            return "layer '\(layer)' has no '\(weight)' weight bound; the file lacks it (see `zoo summary`)"
        case .unsupported(let layer, let reason):
            return "layer '\(layer)': \(reason)"
        }
    }
}
