import Foundation
import Testing
@testable import ZooGraph

@Suite struct GraphTests {
    @Test(arguments: [
        // input, kernel, stride, dilation, padding, expected (Keras's conv_output_length)
        (224, 7, 2, 1, Padding.valid, 109), (230, 7, 2, 1, .valid, 112), (224, 3, 1, 1, .same, 224),
        (224, 3, 2, 1, .same, 112), (225, 3, 2, 1, .same, 113), (10, 3, 1, 2, .valid, 6), (10, 3, 1, 2, .same, 10),
        (2, 3, 1, 1, .valid, 0), (7, 2, 2, 1, .valid, 3),
    ])
    func outputLengthsFollowKeras(input: Int, kernel: Int, stride: Int, dilation: Int, padding: Padding, expected: Int) {
        #expect(ShapeInference.outputLength(input, kernel: kernel, stride: stride, dilation: dilation, padding: padding) == expected)
    }

    @Test func shapesAndWeightsAreInferredPerOp() throws {
        var g = Graph()
        let input = try g.add("in", .input(shape: [32, 30, 3]))
        let conv = try g.add("conv", .conv2D(ConvAttributes(filters: 8, kernel: [3, 3], strides: [2, 2], padding: .same, useBias: false)), inputs: [input])
        #expect(g.node(conv)?.outputShape == [16, 15, 8])
        #expect(g.node(conv)?.weights.map(\.shape) == [[3, 3, 3, 8]])
        let dw = try g.add("dw", .depthwiseConv2D(ConvAttributes(filters: 2, kernel: [3, 3], dilation: [2, 2])), inputs: [conv])
        #expect(g.node(dw)?.outputShape == [12, 11, 16])
        #expect(g.node(dw)?.weights.map(\.name) == ["depthwise_kernel", "bias"])
        #expect(g.node(dw)?.weights.map(\.shape) == [[3, 3, 8, 2], [16]])
        let bn = try g.add("bn", .batchNormalization(BatchNormAttributes(center: false)), inputs: [dw])
        #expect(g.node(bn)?.weights.map(\.name) == ["gamma", "moving_mean", "moving_variance"])
        #expect(g.node(bn)?.trainableParameterCount == 16)
        let pad = try g.add("pad", .zeroPadding2D(top: 1, bottom: 2, left: 0, right: 3), inputs: [bn])
        #expect(g.node(pad)?.outputShape == [15, 14, 16])
        let pool = try g.add("pool", .maxPooling2D(PoolAttributes(size: [3, 3], strides: [2, 2], padding: .same)), inputs: [pad])
        #expect(g.node(pool)?.outputShape == [8, 7, 16])
        let avg = try g.add("avg", .averagePooling2D(PoolAttributes(size: [2, 2])), inputs: [pad])
        #expect(g.node(avg)?.outputShape == [7, 7, 16])
        let side = try g.add("side", .conv2D(ConvAttributes(filters: 4, kernel: [1, 1])), inputs: [avg])
        let cat = try g.add("cat", .concatenate(axis: -1), inputs: [avg, side])
        #expect(g.node(cat)?.outputShape == [7, 7, 20])
        let flat = try g.add("flat", .flatten, inputs: [cat])
        #expect(g.node(flat)?.outputShape == [980])
        let drop = try g.add("drop", .dropout(rate: 0.5), inputs: [flat])
        let dense = try g.add("dense", .dense(DenseAttributes(units: 10, activation: .softmax)), inputs: [drop])
        #expect(g.node(dense)?.weights.map(\.shape) == [[980, 10], [10]])
        let gap = try g.add("gap", .globalAveragePooling2D, inputs: [cat])
        #expect(g.node(gap)?.outputShape == [20])
        let scaled = try g.add("scale", .rescaling(scale: 1.0 / 255, offset: 0), inputs: [input])
        #expect(g.node(scaled)?.outputShape == [32, 30, 3])
        // Dense on an image applies to the channel axis, as in Keras.
        let perPixel = try g.add("perpixel", .dense(DenseAttributes(units: 5)), inputs: [scaled])
        #expect(g.node(perPixel)?.outputShape == [32, 30, 5])
        #expect(g.totalParameterCount == 216 + (144 + 16) + 48 + 68 + 9810 + 20)
        #expect(g.nonTrainableParameterCount == 32)
    }

    @Test func badGraphsAreErrorsNamingTheLayer() throws {
        var g = Graph()
        try g.add("in", .input(shape: [8, 8, 3]))
        try g.add("a", .conv2D(ConvAttributes(filters: 4, kernel: [1, 1])), inputs: ["in"])
        #expect(throws: GraphError.duplicateNode("a")) { try g.add("a", .relu, inputs: ["in"]) }
        #expect(throws: GraphError.unknownInput(node: "b", input: "nope")) { try g.add("b", .relu, inputs: ["nope"]) }
        #expect(throws: GraphError.wrongInputCount(node: "c", op: "Add", expected: "2 or more", found: 1)) { try g.add("c", .add, inputs: ["a"]) }
        #expect(throws: GraphError.self) { try g.add("d", .add, inputs: ["in", "a"]) }
        try g.add("flat", .flatten, inputs: ["a"])
        #expect(throws: GraphError.self) { try g.add("e", .conv2D(ConvAttributes(filters: 1, kernel: [1, 1])), inputs: ["flat"]) }
        #expect(GraphError.unsupportedLayer(name: "lstm", className: "LSTM").description.hasPrefix("layer 'lstm' has unsupported type LSTM"))
    }

    @Test func codableRoundTripIsExact() throws {
        var g = Graph()
        try g.add("in", .input(shape: [8, 8, 3]))
        try g.add("c", .conv2D(ConvAttributes(filters: 4, kernel: [3, 3], padding: .same, activation: .relu)), inputs: ["in"])
        try g.add("bn", .batchNormalization(BatchNormAttributes(axis: 3, epsilon: 1.001e-5)), inputs: ["c"], trainable: false)
        g.outputs = ["bn"]
        let data = try JSONEncoder().encode(g)
        let back = try JSONDecoder().decode(Graph.self, from: data)
        #expect(back == g)
        #expect(back.node("bn")?.trainable == false)
        #expect(back.position(of: "c") == 1)
    }

    @Test func cutFreezeAndOrder() throws {
        var g = Graph()
        try g.add("in", .input(shape: [8, 8, 3]))
        try g.add("a", .conv2D(ConvAttributes(filters: 4, kernel: [1, 1])), inputs: ["in"])
        try g.add("b", .conv2D(ConvAttributes(filters: 4, kernel: [1, 1])), inputs: ["in"])
        try g.add("sum", .add, inputs: ["a", "b"])
        try g.add("head", .globalAveragePooling2D, inputs: ["sum"])
        #expect(g.topologicalOrder().map(\.name) == ["in", "a", "b", "sum", "head"])
        let cut = try g.cut(at: "a")
        #expect(cut.nodes.map(\.name) == ["in", "a"])
        #expect(cut.outputs == ["a"])
        #expect(throws: GraphError.unknownNode("zzz")) { try g.cut(at: "zzz") }
        var frozen = g
        try frozen.freeze(through: "b")
        #expect(frozen.nodes.map(\.trainable) == [false, false, false, true, true])
        #expect(frozen.trainableParameterCount == 0)
        #expect(frozen.totalParameterCount == g.totalParameterCount)
    }
}

/// Stored graphs (in `.zoo` files) are rebuilt through `add`, so lies in the data are errors,
/// never crashes (each case was found by fuzzing, see Tests/Fuzz/crashes).
@Suite struct HostileGraphDecodingTests {
    func decode(_ json: String) -> Error? {
        do {
            _ = try JSONDecoder().decode(Graph.self, from: Data(json.utf8))
            return nil
        } catch {
            return error
        }
    }

    let input = #"{"name":"in","op":{"input":{"shape":[4,4,3]}},"inputs":[],"weights":[],"outputShape":[4,4,3],"trainable":true}"#

    func conv(_ attributes: String) -> String {
        #"{"nodes":[\#(input),{"name":"c","op":{"conv2D":{"_0":{\#(attributes)}}},"inputs":["in"],"weights":[],"outputShape":[4,4,8],"trainable":true}],"outputs":["c"]}"#
    }

    @Test func indexesAndDerivedFieldsAreRecomputed() throws {
        let lying = #"{"nodes":[\#(input)],"outputs":["in"],"index":{"in":1}}"#
        let graph = try JSONDecoder().decode(Graph.self, from: Data(lying.utf8))
        #expect(graph.node("in")?.outputShape == [4, 4, 3])
        let wrongShape = #"{"nodes":[{"name":"in","op":{"input":{"shape":[4,4,3]}},"inputs":[],"weights":[],"outputShape":[999],"trainable":true}],"outputs":[]}"#
        #expect(try JSONDecoder().decode(Graph.self, from: Data(wrongShape.utf8)).node("in")?.outputShape == [4, 4, 3])
    }

    @Test func badAttributesAreErrors() {
        let base = #""filters":8,"strides":[1,1],"padding":"same","useBias":true,"activation":"linear""#
        #expect(decode(conv(#"\#(base),"kernel":[3,3],"dilation":[1]"#)) != nil)
        #expect(decode(conv(#""filters":8,"kernel":[3,3],"strides":[0,1],"padding":"same","dilation":[1,1],"useBias":true,"activation":"linear""#)) != nil)
        #expect(decode(conv(#""filters":4611686018427387904,"kernel":[3,3],"strides":[1,1],"padding":"same","dilation":[1,1],"useBias":true,"activation":"linear""#)) != nil)
        #expect(decode(conv(#"\#(base),"kernel":[3,3],"dilation":[1,1]"#)) == nil)
        #expect(decode(#"{"nodes":[\#(input)],"outputs":["missing"]}"#) != nil)
        #expect(decode(#"{"nodes":[{"name":"in","op":{"input":{"shape":[-4,4,3]}},"inputs":[],"weights":[],"outputShape":[],"trainable":true}],"outputs":[]}"#) != nil)
        #expect(decode(#"{"nodes":[{"name":"d","op":"add","inputs":["x","y"],"weights":[],"outputShape":[],"trainable":true}],"outputs":[]}"#) != nil)
    }
}
