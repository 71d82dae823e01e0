import ArgumentParser
import ZooModels

/// Options shared by the commands that bind a file onto a graph.
struct ModelOptions: ParsableArguments {
    @Option(help: "Architecture, for files without a config: resnet50, resnet101, resnet152, vgg16, vgg19, mobilenet, mobilenetv2, xception, inceptionresnetv2 (default: detected from the names).")
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

    func loader(mode: Binder.Mode = .lenient) throws -> ModelLoader {
        ModelLoader(architecture: try architecture(), scheme: try scheme(), mode: mode)
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
