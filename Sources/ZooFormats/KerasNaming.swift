/// Keras's naming rules that the layouts depend on.
public enum KerasNaming {
    /// The name a layer takes in a Keras 3 config: Keras 3 refuses `/` in layer names, which
    /// tf-keras allowed (its MobileNetV3 has `expanded_conv/depthwise`), so `/` becomes `_`.
    public static func keras3LayerName(_ name: String) -> String {
        name.contains("/") ? name.replacingOccurrences(of: "/", with: "_") : name
    }

    /// Keras's `to_snake_case`, which names Keras 3 weight groups after a layer's class:
    /// `Conv2D` -> `conv2d`, `BatchNormalization` -> `batch_normalization`,
    /// `GlobalAveragePooling2D` -> `global_average_pooling2d`.
    public static func snakeCase(_ className: String) -> String {
        // Step 1: drop non-word characters.
        let chars = Array(className.filter { $0.isLetter || $0.isNumber || $0 == "_" })
        // Step 2: "(.)([A-Z][a-z]+)" -> "\1_\2".
        var step2: [Character] = []
        for (i, c) in chars.enumerated() {
            if i > 0, c.isUppercase, i + 1 < chars.count, chars[i + 1].isLowercase {
                step2.append("_")
            }
            step2.append(c)
        }
        // Step 3: "([a-z])([A-Z])" -> "\1_\2", then lower-case.
        var step3: [Character] = []
        for (i, c) in step2.enumerated() {
            if i > 0, c.isUppercase, step2[i - 1].isLowercase { step3.append("_") }
            step3.append(c)
        }
        return String(step3).lowercased()
    }

    /// Splits a Keras 3 group name into its class part and counter: `conv2d_3` -> (`conv2d`, 3),
    /// `conv2d` -> (`conv2d`, 0). The counter is the number after the last underscore when the
    /// rest is a known class; otherwise the whole name with counter 0.
    public static func splitCounter(_ groupName: String) -> (base: String, counter: Int) {
        if let underscore = groupName.lastIndex(of: "_"),
           let counter = Int(groupName[groupName.index(after: underscore)...]),
           !groupName[..<underscore].isEmpty {
            return (String(groupName[..<underscore]), counter)
        }
        return (groupName, 0)
    }

    /// The variable names of a layer class, in the order Keras stores them.
    /// `useBias`, `center` and `scale` follow the layer's config where it is known.
    public static func variableNames(forClass className: String, useBias: Bool = true, center: Bool = true, scale: Bool = true) -> [String]? {
        let bias = useBias ? ["bias"] : []
        switch className {
        case "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "Dense":
            return ["kernel"] + bias
        case "DepthwiseConv1D", "DepthwiseConv2D":
            return ["depthwise_kernel"] + bias
        case "SeparableConv1D", "SeparableConv2D":
            return ["depthwise_kernel", "pointwise_kernel"] + bias
        case "BatchNormalization":
            return (scale ? ["gamma"] : []) + (center ? ["beta"] : []) + ["moving_mean", "moving_variance"]
        case "LayerNormalization":
            return (scale ? ["gamma"] : []) + (center ? ["beta"] : [])
        case "Embedding":
            return ["embeddings"]
        case "PReLU":
            return ["alpha"]
        case "Normalization":
            // An adapted or loaded Normalization (without constant mean/variance in its config).
            return ["mean", "variance", "count"]
        case "LayerScale":
            return ["gamma"]
        default:
            return nil
        }
    }

    /// Classes whose snake-case name is used by Keras 3 for group names, for the classes whose
    /// variables `variableNames` knows, keyed by snake-case name.
    public static let classesBySnakeCase: [String: String] = {
        let classes = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
                       "Dense", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
                       "BatchNormalization", "LayerNormalization", "Embedding", "PReLU", "Normalization", "LayerScale"]
        return Dictionary(uniqueKeysWithValues: classes.map { (snakeCase($0), $0) })
    }()

    /// Infers a layer's Keras class from its weights' short names and ranks, for files that
    /// carry no config (legacy weights-only files). Returns nil when the weights do not say.
    public static func inferClass(weightNames: [String], ranks: [Int]) -> String? {
        let names = Set(weightNames)
        let kernelRank = zip(weightNames, ranks).first { $0.0 == "kernel" }?.1
        if names.contains("pointwise_kernel") { return "SeparableConv2D" }
        if names.contains("depthwise_kernel") { return "DepthwiseConv2D" }
        if names.contains("moving_mean") && names.contains("moving_variance") { return "BatchNormalization" }
        if names == ["mean", "variance", "count"] { return "Normalization" }
        if names.contains("embeddings") { return "Embedding" }
        if let rank = kernelRank {
            switch rank {
            case 2: return "Dense"
            case 3: return "Conv1D"
            case 4: return "Conv2D"
            case 5: return "Conv3D"
            default: return nil
            }
        }
        if !names.isEmpty, names.isSubset(of: ["gamma", "beta"]) { return "LayerNormalization" }
        return nil
    }

    /// The canonical short name of a legacy weight name: last path component without `:0`.
    /// `conv1/kernel:0` -> `kernel`, `bn1/moving_variance` -> `moving_variance`.
    public static func shortName(ofStoredName stored: String) -> String {
        var last = stored.split(separator: "/").last.map(String.init) ?? stored
        if let colon = last.lastIndex(of: ":"), Int(last[last.index(after: colon)...]) != nil {
            last = String(last[..<colon])
        }
        return last
    }

    /// `inner/kernel` for a weight stored in a nested model's legacy group: the layer before
    /// the weight's own name in its stored name (tf-keras `inner/kernel:0`, Keras 3
    /// `nested/inner/kernel`); nil when the stored name has no layer part.
    public static func nestedWeightName(ofStoredName stored: String) -> (layer: String, weight: String)? {
        let parts = stored.split(separator: "/").map(String.init)
        guard parts.count >= 2 else { return nil }
        return (parts[parts.count - 2], shortName(ofStoredName: parts[parts.count - 1]))
    }
}
