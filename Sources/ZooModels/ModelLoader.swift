import ZooFormats
import ZooGraph
import ZooNative

/// Loads any weight file onto a graph: the file's own config when it carries one, otherwise the
/// architecture detected from its names (or forced), bound with a full report.
public struct ModelLoader: Sendable {
    /// What the loader found and built.
    public struct Loaded: Sendable {
        public var checkpoint: Checkpoint
        public var model: BoundModel
        /// The architecture, nil when the graph came from the file's own config.
        public var architecture: Architecture?
        public var options: ArchitectureOptions?

        /// A loaded model put together by the caller (a trained or sliced model to export).
        public init(checkpoint: Checkpoint, model: BoundModel, architecture: Architecture? = nil, options: ArchitectureOptions? = nil) {
            self.checkpoint = checkpoint
            self.model = model
            self.architecture = architecture
            self.options = options
        }
    }

    public var architecture: Architecture?
    public var scheme: NamingScheme?
    /// Global pooling on a detected architecture without a classifier (nil: none, as a weights
    /// file cannot say; pooling has no weights).
    public var pooling: ArchitectureOptions.Pooling?
    /// The input shape (height, width, channels) to build a detected architecture at (nil: the
    /// architecture's default).
    public var inputShape: [Int]?
    public var mode: Binder.Mode
    /// When a `.zoo` file's tensor checksums are checked (default: all, while loading).
    public var verification: ZooFileReader.Verification

    public init(architecture: Architecture? = nil, scheme: NamingScheme? = nil, mode: Binder.Mode = .lenient,
                verification: ZooFileReader.Verification = .eager) {
        self.architecture = architecture
        self.scheme = scheme
        self.mode = mode
        self.verification = verification
    }

    public func load(_ path: String) throws -> Loaded {
        let (checkpoint, graph, architecture) = try AnyCheckpointReader.read(path, verification: verification)
        var loaded = try load(checkpoint, file: path, graph: graph)
        if loaded.architecture == nil, let name = architecture { loaded.architecture = Architecture(rawValue: name) }
        return loaded
    }

    /// Binds `checkpoint`; a `graph` stored with it (a `.zoo` file's) takes precedence over
    /// configs and detection unless an architecture is forced.
    public func load(_ checkpoint: Checkpoint, file: String, graph stored: Graph? = nil) throws -> Loaded {
        if architecture == nil, let stored, scheme == nil || scheme == .keras {
            let model = try Binder.bind(checkpoint, to: stored, scheme: .keras, mode: mode, file: file)
            return Loaded(checkpoint: checkpoint, model: model, architecture: nil, options: nil)
        }
        if architecture == nil, let config = checkpoint.modelConfig, scheme == nil || scheme == .keras {
            let graph = try KerasConfigImporter.graph(fromJSON: config)
            let model = try Binder.bind(checkpoint, to: graph, scheme: .keras, mode: mode, file: file)
            return Loaded(checkpoint: checkpoint, model: model, architecture: nil, options: nil)
        }
        var detection = try ModelDetector.detect(checkpoint, architecture: architecture, scheme: scheme, file: file)
        if let pooling, !detection.options.includeTop { detection.options.pooling = pooling }
        if let inputShape { detection.options.inputShape = inputShape }
        let graph = try detection.architecture.build(detection.options)
        let model = try Binder.bind(checkpoint, to: graph, scheme: detection.scheme, mode: mode, file: file)
        return Loaded(checkpoint: checkpoint, model: model, architecture: detection.architecture, options: detection.options)
    }
}
