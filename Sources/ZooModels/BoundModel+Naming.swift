import ZooFormats
import ZooGraph

extension BoundModel {
    /// The bound weights renamed into `scheme` and converted to its layouts (torchvision: OIHW
    /// convs, `(out, in)` Dense, NCHW-ordered rows for VGG's first Dense), as a checkpoint in
    /// `model.layers` order ready for `CheckpointWriter`.
    public func checkpoint(naming scheme: NamingScheme, format: CheckpointFormat) throws -> Checkpoint {
        if scheme == .keras { return checkpoint(format: format) }
        let map = try WeightNameMap(graph: graph, scheme: scheme)
        var layers: [CheckpointLayer] = []
        var layerIndex: [String: Int] = [:]
        for entry in map.entries {
            guard let weight = weights[entry.node]?[entry.weight] else { continue }
            var renamed = weight
            renamed.name = entry.fileWeight
            renamed.storedName = scheme == .torchvision ? entry.fileWeight : "\(entry.fileLayer)/\(entry.fileWeight)"
            renamed.path = ""
            if entry.transform != .identity {
                renamed.shape = entry.transform.fileShape(forKeras: weight.shape)
                renamed.data = TensorData(byteCount: weight.data.count) { out in
                    weight.data.withUnsafeBytes { entry.transform.toFile($0, kerasShape: weight.shape, elementSize: weight.dtype.byteSize, into: out) }
                }
            }
            if let index = layerIndex[entry.fileLayer] {
                layers[index].weights.append(renamed)
            } else {
                layerIndex[entry.fileLayer] = layers.count
                let className = graph.node(entry.node)?.op.kerasClassName
                layers.append(CheckpointLayer(name: entry.fileLayer, className: className, weights: [renamed]))
            }
        }
        if scheme == .kerasV1 { layers = Self.kerasV1Order(layers) }
        return Checkpoint(format: format, layers: layers)
    }

    /// Keras 2.2.4 listed a conv block's `branch2c` before its `branch1` (current Keras lists
    /// `_0_conv` before `_3_conv`); files loaded by position must keep the old order, or the two
    /// same-shaped convs swap.
    static func kerasV1Order(_ layers: [CheckpointLayer]) -> [CheckpointLayer] {
        var result = layers
        var i = 0
        while i + 1 < result.count {
            let (a, b) = (result[i].name, result[i + 1].name)
            if a.hasSuffix("_branch1"), b.hasSuffix("_branch2c"), a.dropLast("_branch1".count) == b.dropLast("_branch2c".count) {
                result.swapAt(i, i + 1)
                i += 2
            } else {
                i += 1
            }
        }
        return result
    }
}
