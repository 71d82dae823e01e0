/// What binding a checkpoint onto a graph found: every problem at once, like PyTorch's
/// `load_state_dict` report but with expected and found shapes.
public struct BindingReport: Codable, Equatable, Sendable {
    /// A weight present in both, with different shapes.
    public struct Mismatch: Codable, Equatable, Sendable {
        /// The graph's name for the weight (`layer/weight`).
        public var name: String
        /// The shape the graph expects, in the file's layout.
        public var expected: [Int]
        public var found: [Int]
    }

    /// Graph weights (`layer/weight`) that were loaded.
    public var matched: [String] = []
    /// Graph weights (`layer/weight`) the file does not have.
    public var missing: [String] = []
    /// File tensors (in the file's own names) that no graph weight takes.
    public var unexpected: [String] = []
    public var mismatched: [Mismatch] = []
    /// Graph weights the file's naming scheme does not have, set to zero because that is what
    /// the source model computes (torchvision ResNet convs have no bias).
    public var zeroFilled: [String] = []

    public init() {}

    /// True when every graph weight was loaded and the file had nothing else.
    public var isComplete: Bool { missing.isEmpty && unexpected.isEmpty && mismatched.isEmpty }

    /// One line naming the first few problems of each kind.
    public var summaryLine: String {
        func few(_ names: [String]) -> String {
            names.isEmpty ? "" : " (" + names.prefix(3).joined(separator: ", ") + (names.count > 3 ? ", ..." : "") + ")"
        }
        let shapes = mismatched.prefix(3).map { "\($0.name) expected \($0.expected) found \($0.found)" }
        return "\(missing.count) missing\(few(missing)), \(unexpected.count) unexpected\(few(unexpected)), \(mismatched.count) mismatched\(few(shapes))"
    }

    /// A multi-line summary listing every problem.
    public var text: String {
        var lines = ["Binding: \(matched.count) matched, \(missing.count) missing, \(unexpected.count) unexpected, \(mismatched.count) mismatched"]
        for name in missing { lines.append("  missing:    \(name)") }
        for name in unexpected { lines.append("  unexpected: \(name)") }
        for m in mismatched { lines.append("  mismatched: \(m.name) expected \(m.expected) found \(m.found)") }
        if !zeroFilled.isEmpty { lines.append("  zero-filled (the file's scheme has no such weight): \(zeroFilled.count) weights, e.g. \(zeroFilled[0])") }
        return lines.joined(separator: "\n")
    }
}

/// Binding failed in strict mode; the report lists every problem.
public enum BindingError: Error, CustomStringConvertible, Sendable {
    case incomplete(file: String, report: BindingReport)
    case noArchitecture(file: String, reason: String)

    public var description: String {
        switch self {
        case .incomplete(let file, let report):
            return "\(file): weights do not fit the model: \(report.summaryLine); `zoo summary \(file)` lists every problem"
        case .noArchitecture(let file, let reason):
            return "\(file): cannot tell the architecture: \(reason); pass --arch (one of \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")))"
        }
    }
}
