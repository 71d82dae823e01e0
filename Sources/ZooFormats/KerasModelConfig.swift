import Foundation

/// The layer list of a Keras model config JSON (functional or sequential, legacy HDF5
/// `model_config` or Keras 3 `config.json`): enough to know each layer's name, class and the
/// options that decide which variables it has.
public struct KerasModelConfig: Sendable, Equatable {
    /// One layer entry of the config, in `model.layers` order.
    public struct Layer: Sendable, Equatable {
        public var name: String
        public var className: String
        public var useBias: Bool
        public var center: Bool
        public var scale: Bool
        /// Layers of a nested model (a `Functional` or `Sequential` used as a layer).
        public var nested: [Layer]

        /// The variable names Keras stores for this layer, or nil for classes it does not know.
        public var variableNames: [String]? {
            KerasNaming.variableNames(forClass: className, useBias: useBias, center: center, scale: scale)
        }
    }

    /// The model's class (`Functional`, `Sequential`, `Model`).
    public var className: String
    public var name: String?
    /// Layers in `model.layers` order.
    public var layers: [Layer]

    /// Parses a config JSON string; `file` is used in error messages.
    public init(json: String, file: String) throws {
        guard let data = json.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FormatError.malformed(file: file, path: "model config", expected: "a JSON object")
        }
        guard let parsed = Self.parseModel(object) else {
            throw FormatError.malformed(file: file, path: "model config", expected: "a model with 'class_name' and 'config.layers'")
        }
        self = parsed
    }

    private init(className: String, name: String?, layers: [Layer]) {
        self.className = className
        self.name = name
        self.layers = layers
    }

    private static func parseModel(_ object: [String: Any]) -> KerasModelConfig? {
        guard let className = object["class_name"] as? String,
              let config = object["config"] as? [String: Any] else { return nil }
        // Old Sequential configs are a bare list of layers.
        let rawLayers = (config["layers"] as? [[String: Any]]) ?? (object["config"] as? [[String: Any]])
        guard let rawLayers else { return nil }
        var layers = rawLayers.compactMap(parseLayer)
        // Sequential.layers leaves out the InputLayer its config lists first.
        if className == "Sequential", layers.first?.className == "InputLayer" { layers.removeFirst() }
        return KerasModelConfig(className: className, name: config["name"] as? String, layers: layers)
    }

    /// One layer of the list, or nil for an entry that is not a layer: a Keras 3 op node
    /// (`module` `keras.src.ops.*`, such as `x + 3.0`), which `model.layers` and `.weights.h5`
    /// leave out.
    private static func parseLayer(_ object: [String: Any]) -> Layer? {
        if let module = object["module"] as? String, module.hasPrefix("keras.src.ops") { return nil }
        guard let className = object["class_name"] as? String else { return nil }
        let config = object["config"] as? [String: Any] ?? [:]
        let name = (config["name"] as? String) ?? (object["name"] as? String) ?? KerasNaming.snakeCase(className)
        var nested: [Layer] = []
        if config["layers"] != nil, let model = parseModel(object) { nested = model.layers }
        return Layer(name: name, className: className,
                     useBias: config["use_bias"] as? Bool ?? true,
                     center: config["center"] as? Bool ?? true,
                     scale: config["scale"] as? Bool ?? true,
                     nested: nested)
    }

    /// The Keras 3 `.weights.h5` group name of each layer (`conv2d`, `conv2d_1`, ...): the
    /// snake-case class name plus a per-class counter over `layers` in order.
    public static func keras3GroupNames(for layers: [Layer]) -> [String] {
        var used: [String: Int] = [:]
        return layers.map { layer in
            let base = KerasNaming.snakeCase(layer.className)
            if let count = used[base] {
                used[base] = count + 1
                return "\(base)_\(count + 1)"
            }
            used[base] = 0
            return base
        }
    }
}
