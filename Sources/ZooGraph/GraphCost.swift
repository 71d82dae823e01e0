/// The arithmetic a graph costs per image: multiply-adds of its convolutions and Dense layers
/// (the number model tables quote as "FLOPs"; 2 floating-point operations each).
extension Graph {
    /// Multiply-adds of one image through `node` (0 for layers without a weight product).
    public func multiplyAdds(of node: Node) -> Int {
        let input = node.inputs.first.flatMap { self.node($0)?.outputShape } ?? []
        let out = node.outputShape
        let pixels = out.count == 3 ? out[0] * out[1] : 1
        switch node.op {
        case .conv2D(let a):
            guard input.count == 3 else { return 0 }
            return pixels * a.filters * a.kernel[0] * a.kernel[1] * input[2] / max(a.groups, 1)
        case .depthwiseConv2D(let a):
            guard input.count == 3 else { return 0 }
            return pixels * input[2] * a.filters * a.kernel[0] * a.kernel[1]
        case .separableConv2D(let a):
            guard input.count == 3 else { return 0 }
            let middle = input[2] * a.depthMultiplier
            return pixels * (middle * a.kernel[0] * a.kernel[1] + middle * a.filters)
        case .dense(let a):
            guard let features = input.last else { return 0 }
            return input.dropLast().reduce(1, *) * features * a.units
        default:
            return 0
        }
    }

    /// Multiply-adds of one image through the whole graph.
    public var multiplyAdds: Int { nodes.reduce(0) { $0 + multiplyAdds(of: $1) } }
}
