import ArgumentParser
import ZooModels

/// Options shared by the commands that bind a file onto a graph.
struct ModelOptions: ParsableArguments {
    @Option(help: "Architecture, for files without a config (the names are listed by `zoo models`; default: detected from the names).")
    var arch: String?

    @Option(help: "Naming scheme of the file: keras, keras-v1, keras3, torchvision (default: detected from the names).")
    var naming: String?

    /// Options built in code (for commands that name the flags differently).
    static func with(arch: String?, naming: String?) -> ModelOptions {
        var options = ModelOptions()
        options.arch = arch
        options.naming = naming
        return options
    }

    func loader(mode: Binder.Mode = .lenient, build: BuildOptions? = nil) throws -> ModelLoader {
        var loader = ModelLoader(architecture: try architecture(), scheme: try scheme(), mode: mode)
        try build?.apply(to: &loader)
        return loader
    }

    func architecture() throws -> Architecture? {
        guard let arch else { return nil }
        guard let value = Architecture(rawValue: arch.lowercased()) else {
            throw ValidationError("unknown --arch '\(arch)'; expected one of \(Architecture.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    func scheme() throws -> NamingScheme? {
        guard let naming else { return nil }
        guard let value = NamingScheme(rawValue: naming) else {
            throw ValidationError("unknown --naming '\(naming)'; expected one of \(NamingScheme.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}

/// How to build a detected architecture where the weights file cannot say: the pooling after a
/// backbone without its classifier and the input size (for `summary`, `predict`, `evaluate`,
/// `bench` and `gradients`; `extract`, `slice` and `train` have their own pooling).
struct BuildOptions: ParsableArguments {
    @Option(help: "Global pooling after a detected backbone without its classifier: none, avg or max (default: none; a weights file cannot say).")
    var pooling: String?

    @Option(name: .customLong("input-shape"), parsing: .upToNextOption,
            help: "Input height, width and channels to build a detected architecture at, e.g. --input-shape 160 160 3 (default: the architecture's).")
    var inputShape: [Int] = []

    func apply(to loader: inout ModelLoader) throws {
        if let pooling {
            guard let value = ArchitectureOptions.Pooling(rawValue: pooling.lowercased()) else {
                throw ValidationError("--pooling must be none, avg or max, got '\(pooling)'")
            }
            loader.pooling = value
        }
        if !inputShape.isEmpty {
            guard inputShape.count == 3, inputShape.allSatisfy({ $0 >= 1 && $0 <= 1 << 16 }) else {
                throw ValidationError("--input-shape takes three positive sizes (height width channels), got \(inputShape.map(String.init).joined(separator: " "))")
            }
            loader.inputShape = inputShape
        }
    }
}
