import Foundation
import ZooFormats
import ZooGraph

/// What a sliced model records about where it came from.
public struct SliceRecord: Codable, Equatable, Sendable {
    /// The architecture of the parent (`resnet50`), nil for a graph from a user's config.
    public var parentArchitecture: String?
    /// The file the parent's weights came from and its SHA-256.
    public var sourceFile: String
    public var sourceSHA256: String
    /// The layer the graph was cut at (kept, with its ancestors).
    public var cutPoint: String
    public var frozenThrough: String?
    public var headClasses: Int?
    public var headPooling: String?
    public var tool: String = "swiftzoo"

    public init(parentArchitecture: String?, sourceFile: String, sourceSHA256: String, cutPoint: String,
                frozenThrough: String? = nil, headClasses: Int? = nil, headPooling: String? = nil) {
        self.parentArchitecture = parentArchitecture
        self.sourceFile = sourceFile
        self.sourceSHA256 = sourceSHA256
        self.cutPoint = cutPoint
        self.frozenThrough = frozenThrough
        self.headClasses = headClasses
        self.headPooling = headPooling
    }

    /// The record as compact JSON with sorted keys (what files store).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// Cutting a bound model at a transfer point, freezing, and adding a new head.
public enum Transfer {
    /// A new classification head: global pooling, then Dense(classes, softmax).
    public struct Head: Sendable {
        public var classes: Int
        public var pooling: ArchitectureOptions.Pooling
        /// Seed for the head's Glorot-uniform kernel (the bias starts at zero, as in Keras).
        public var seed: UInt64
        /// A Dropout layer (`head_dropout`) of this rate before the Dense layer, when > 0.
        public var dropout: Double

        public init(classes: Int, pooling: ArchitectureOptions.Pooling = .avg, seed: UInt64 = 0, dropout: Double = 0) {
            self.classes = classes
            self.pooling = pooling
            self.seed = seed
            self.dropout = dropout
        }
    }

    /// Names of the head's layers.
    public static let headPoolName = "head_pool"
    public static let headDenseName = "head_predictions"
    public static let headDropoutName = "head_dropout"

    /// Keeps `layer` and its ancestors with their weights, freezes through `freezeThrough`, and
    /// adds `head` after the cut.
    public static func slice(_ model: BoundModel, at layer: String, freezeThrough: String? = nil, head: Head? = nil) throws -> BoundModel {
        var graph = try model.graph.cut(at: layer)
        if let freezeThrough {
            guard graph.node(freezeThrough) != nil else {
                throw GraphError.invalidConfig("--freeze-through '\(freezeThrough)' is not kept by the cut at '\(layer)'")
            }
            try graph.freeze(through: freezeThrough)
        }
        var weights = model.weights.filter { graph.node($0.key) != nil }
        if let head {
            var x = layer
            if graph.node(layer)?.outputShape.count == 3 {
                let op: Op = head.pooling == .max ? .globalMaxPooling2D : .globalAveragePooling2D
                guard head.pooling != .none else {
                    throw GraphError.invalidConfig("a head after '\(layer)' (a feature map) needs --pooling avg or max")
                }
                x = try graph.add(headPoolName, op, inputs: [x])
            }
            if head.dropout > 0 {
                guard head.dropout < 1 else { throw GraphError.invalidConfig("the head's dropout rate must be in [0, 1), got \(head.dropout)") }
                x = try graph.add(headDropoutName, .dropout(rate: head.dropout), inputs: [x])
            }
            let dense = try graph.add(headDenseName, .dense(DenseAttributes(units: head.classes, activation: .softmax)), inputs: [x])
            guard let node = graph.node(dense) else { throw GraphError.unknownNode(dense) }
            weights[dense] = initialHeadWeights(node, seed: head.seed)
            graph.outputs = [dense]
        }
        return BoundModel(graph: graph, weights: weights, report: model.report, scheme: model.scheme)
    }

    /// Glorot-uniform kernel (limit sqrt(6 / (fan_in + fan_out))) and zero bias, from a seeded
    /// SplitMix64 stream so a slice is reproducible.
    static func initialHeadWeights(_ node: Node, seed: UInt64) -> [String: Weight] {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Double(z >> 11) / Double(1 << 53)
        }
        var result: [String: Weight] = [:]
        for spec in node.weights {
            var values = [Float](repeating: 0, count: spec.elementCount)
            if spec.name == "kernel", spec.shape.count == 2 {
                let limit = (6.0 / Double(spec.shape[0] + spec.shape[1])).squareRoot()
                for i in values.indices { values[i] = Float((next() * 2 - 1) * limit) }
            }
            result[spec.name] = Weight(name: spec.name, path: "", storedName: "\(node.name)/\(spec.name)", dtype: .float32,
                                       shape: spec.shape, data: TensorData(values: values))
        }
        return result
    }
}
