import ArgumentParser
import ZooGraph
import ZooModels
import ZooTraining

/// What `train`, `evaluate` and `gradients` read from their flags the same way.
enum TrainingFlags {
    /// The `--loss` value.
    static func loss(_ name: String) throws -> Loss.Kind {
        guard let kind = Loss.Kind(rawValue: name) else {
            throw ValidationError("unknown --loss '\(name)'; expected \(Loss.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return kind
    }

    /// Applies `--freeze-through L` (L and everything before it frozen, the rest trainable) or
    /// `--train-from L` (L and everything after it trainable), after checking that L exists.
    static func applyTrainable(freezeThrough: String?, trainFrom: String?, to graph: inout Graph, architecture: Architecture?) throws {
        guard let name = freezeThrough ?? trainFrom else { return }
        try Train.requireLayer(name, in: graph, option: freezeThrough != nil ? "--freeze-through" : "--train-from", architecture: architecture)
        if freezeThrough != nil { try graph.trainOnly(after: name) } else { try graph.trainOnly(from: name) }
    }
}
