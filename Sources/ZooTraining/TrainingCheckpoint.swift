import Foundation
import ZooCompute
import ZooFormats

/// The per-epoch checkpoint of a fit: `DIR/checkpoint.npz`, written atomically (temporary file,
/// fsync, rename), so a run killed at any moment leaves the previous epoch's checkpoint whole.
///
/// Members: `meta` (uint8 JSON: format version, the variables' names and shapes, the epoch
/// state and history, the optimiser's configuration and iteration count), `param/I` (trainable
/// variable I), `state/LAYER/NAME` (moving statistics and frozen weights after the prefix),
/// `slot/KIND/I` (optimiser slots), and `best/...` (the best epoch's parameters, for early
/// stopping's restore).
enum TrainingCheckpoint {
    static let fileName = "checkpoint.npz"
    static let version = 1

    private struct Meta: Codable {
        var version: Int
        var variables: [String]
        var shapes: [[Int]]
        var state: FitState
        var optimizer: Optimizer.Configuration
        var iterations: Int
        var slotCounts: [Int]
        var slotKinds: [String]
        var hasBest: Bool
    }

    private static func slotArrays(_ slots: Optimizer.Slots) -> [(String, [[Float]])] {
        [("momentums", slots.momentums), ("velocities", slots.velocities), ("velocityHats", slots.velocityHats),
         ("averageGradients", slots.averageGradients)]
    }

    private static func floats(_ name: String, _ values: [Float]) -> (name: String, array: NumpyArray) {
        (name, NumpyArray(float32: values, shape: [values.count]))
    }

    private static func parameterArrays(_ prefix: String, _ parameters: TrainingGraph.Parameters) -> [(name: String, array: NumpyArray)] {
        var arrays = parameters.trainable.enumerated().map { floats("\(prefix)param/\($0.offset)", $0.element) }
        for (layer, weights) in parameters.state.sorted(by: { $0.key < $1.key }) {
            for (name, values) in weights.sorted(by: { $0.key < $1.key }) { arrays.append(floats("\(prefix)state/\(layer)/\(name)", values)) }
        }
        return arrays
    }

    static func save(directory: String, graph: TrainingGraph, parameters: TrainingGraph.Parameters, optimizer: Optimizer, state: FitState) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw TrainingError.checkpoint(path: directory, reason: "cannot make the checkpoint directory (\(error.localizedDescription))")
        }
        let slots = slotArrays(optimizer.slots).filter { !$0.1.isEmpty }
        let meta = Meta(version: version, variables: graph.variables.map { "\($0.layer)/\($0.name)" }, shapes: graph.variables.map(\.shape),
                        state: state, optimizer: optimizer.configuration, iterations: optimizer.iterations,
                        slotCounts: optimizer.slots.elementCounts, slotKinds: slots.map(\.0), hasBest: state.bestParameters != nil)
        let json = try JSONEncoder().encode(meta)
        var arrays: [(name: String, array: NumpyArray)] = [("meta", NumpyArray(dtype: .uint8, shape: [json.count], data: TensorData(values: [UInt8](json))))]
        arrays += parameterArrays("", parameters)
        for (kind, values) in slots {
            arrays += values.enumerated().map { floats("slot/\(kind)/\($0.offset)", $0.element) }
        }
        if let best = state.bestParameters { arrays += parameterArrays("best/", best) }
        try NumpyArchive.write(arrays, to: (directory as NSString).appendingPathComponent(fileName))
    }

    /// The checkpoint in `directory`, or nil when there is none yet (a fresh run). A checkpoint
    /// made for another model or variable layout is an error.
    static func load(directory: String, graph: TrainingGraph) throws -> (parameters: TrainingGraph.Parameters, optimizer: Optimizer, state: FitState)? {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let arrays = try NumpyArchive.read(path)
        var byName: [String: NumpyArray] = [:]
        for (name, array) in arrays { byName[name] = array }
        guard let metaArray = byName["meta"], metaArray.dtype == .uint8 else {
            throw TrainingError.checkpoint(path: path, reason: "no 'meta' member; not a zoo training checkpoint")
        }
        let meta: Meta
        do {
            meta = try JSONDecoder().decode(Meta.self, from: Data(metaArray.data.array(of: UInt8.self)))
        } catch {
            throw TrainingError.checkpoint(path: path, reason: "its 'meta' member is not valid (\(error))")
        }
        guard meta.version == version else {
            throw TrainingError.checkpoint(path: path, reason: "checkpoint format \(meta.version), this zoo reads \(version)")
        }
        let expected = graph.variables.map { "\($0.layer)/\($0.name)" }
        guard meta.variables == expected, meta.shapes == graph.variables.map(\.shape) else {
            throw TrainingError.checkpoint(path: path, reason: "it was made for other trainable layers (\(meta.variables.count) variables, this run has \(expected.count)); use another --checkpoint directory or drop --resume")
        }
        func values(_ name: String, count: Int) throws -> [Float] {
            guard let array = byName[name], array.dtype == .float32, array.elementCount == count else {
                throw TrainingError.checkpoint(path: path, reason: "member '\(name)' is missing or does not hold \(count) float32 values")
            }
            return array.data.array(of: Float.self)
        }
        func parameters(_ prefix: String) throws -> TrainingGraph.Parameters {
            var result = graph.initialParameters
            for (i, variable) in graph.variables.enumerated() { result.trainable[i] = try values("\(prefix)param/\(i)", count: variable.count) }
            for (layer, weights) in graph.initialParameters.state {
                for (name, initial) in weights { result.state[layer]?[name] = try values("\(prefix)state/\(layer)/\(name)", count: initial.count) }
            }
            return result
        }
        var slots = Optimizer.Slots(elementCounts: meta.slotCounts)
        for kind in meta.slotKinds {
            let arrays = try meta.slotCounts.enumerated().map { try values("slot/\(kind)/\($0.offset)", count: $0.element) }
            switch kind {
            case "momentums": slots.momentums = arrays
            case "velocities": slots.velocities = arrays
            case "velocityHats": slots.velocityHats = arrays
            case "averageGradients": slots.averageGradients = arrays
            default: throw TrainingError.checkpoint(path: path, reason: "unknown optimiser slot '\(kind)'")
            }
        }
        var state = meta.state
        if meta.hasBest { state.bestParameters = try parameters("best/") }
        return (try parameters(""), Optimizer(configuration: meta.optimizer, iterations: meta.iterations, slots: slots), state)
    }
}
