import ZooGraph

/// MobileNetV3Small and MobileNetV3Large as keras.applications builds them
/// (`mobilenet_v3.py`, Keras 3 names): `Rescaling(1/127.5, -1)` inside the model, a 3x3 stem,
/// inverted residual blocks (1x1 expand, kxk depthwise, optional squeeze-and-excitation,
/// 1x1 project, Add when the shape is kept), `conv_1`, and a top of keepdims pooling, `conv_2`,
/// Dropout(0.2), the 1x1 `logits` conv, Flatten and the softmax `predictions`.
///
/// Activations: hard swish is `Activation("hard_swish")`, the SE gate's hard sigmoid is
/// `ReLU(6)(x + 3.0) * (1 / 6)`, two op nodes (`add`, `multiply`; `ScalarArithmetic`) around an
/// automatically named ReLU. `minimalistic=True` uses 3x3 kernels, ReLU and no SE. Widths are
/// `_depth(d * alpha)` (multiples of 8). BatchNormalization epsilon 1e-3, momentum 0.999.
///
/// tf-keras named the same layers `Conv`, `Conv/BatchNorm`, `expanded_conv_1/expand`, ...
/// (`WeightNameMap.kerasV1Name`), and built hard swish as `x * hard_sigmoid(x)`: its weights
/// bind to this graph under the keras-v1 naming.
struct MobileNetV3Builder: ArchitectureBuilder {
    let architecture: Architecture

    var large: Bool { architecture == .mobilenetv3large }
    var kerasName: String { large ? "MobileNetV3Large" : "MobileNetV3Small" }

    /// (expansion, filters, kernel (nil: the model's 5 or minimalistic 3), stride, squeeze-and-
    /// excitation, hard swish (else ReLU)) per block, as the Keras stack functions list them.
    typealias Block = (expansion: Double, filters: Double, kernel: Int?, stride: Int, se: Bool, hardSwish: Bool)
    static let smallBlocks: [Block] = [
        (1, 16, 3, 2, true, false), (72.0 / 16, 24, 3, 2, false, false), (88.0 / 24, 24, 3, 1, false, false),
        (4, 40, nil, 2, true, true), (6, 40, nil, 1, true, true), (6, 40, nil, 1, true, true), (3, 48, nil, 1, true, true),
        (3, 48, nil, 1, true, true), (6, 96, nil, 2, true, true), (6, 96, nil, 1, true, true), (6, 96, nil, 1, true, true),
    ]
    static let largeBlocks: [Block] = [
        (1, 16, 3, 1, false, false), (4, 24, 3, 2, false, false), (3, 24, 3, 1, false, false), (3, 40, nil, 2, true, false),
        (3, 40, nil, 1, true, false), (3, 40, nil, 1, true, false), (6, 80, 3, 2, false, true), (2.5, 80, 3, 1, false, true),
        (2.3, 80, 3, 1, false, true), (2.3, 80, 3, 1, false, true), (6, 112, 3, 1, true, true), (6, 112, 3, 1, true, true),
        (6, 160, nil, 2, true, true), (6, 160, nil, 1, true, true), (6, 160, nil, 1, true, true),
    ]

    /// The last block of each resolution, then the backbone's output (`conv_1`'s hard swish,
    /// automatically named `activation_17` / `activation_19` at the defaults), then `conv_2`.
    func transferPoints(includeTop: Bool) -> [String] {
        (large ? ["expanded_conv_add", "expanded_conv_2_add", "expanded_conv_5_add", "expanded_conv_11_add", "expanded_conv_14_add", "activation_19"]
               : ["expanded_conv_project_bn", "expanded_conv_2_add", "expanded_conv_7_add", "expanded_conv_10_add", "activation_17"])
            + (includeTop ? ["conv_2"] : [])
    }

    /// Keras's `_depth`.
    static func depth(_ v: Double) -> Int { KerasApplications.makeDivisible(v) }

    func build(_ options: ArchitectureOptions) throws -> Graph {
        try options.requireInput(atLeast: 32, for: kerasName)
        let alpha = options.alpha ?? 1
        guard alpha.isFinite, alpha > 0, alpha <= 16 else {
            throw GraphError.invalidConfig("\(kerasName): alpha \(alpha) must be a finite width multiplier in (0, 16]")
        }
        let minimalistic = options.minimalistic ?? false
        let eps = options.batchNormEpsilon ?? 1e-3
        var g = Graph()
        var auto = KerasAutoNames()
        func bn(_ name: String, _ input: String) throws -> String {
            try g.add(name, .batchNormalization(BatchNormAttributes(axis: -1, epsilon: eps, momentum: 0.999)), inputs: [input])
        }
        func conv(_ name: String, _ filters: Int, _ kernel: Int = 1, strides: Int = 1, bias: Bool, _ input: String) throws -> String {
            try g.add(name, .conv2D(ConvAttributes(filters: filters, kernel: [kernel, kernel], strides: [strides, strides], padding: .same, useBias: bias)),
                      inputs: [input])
        }
        func activate(_ input: String, hardSwish: Bool) throws -> String {
            hardSwish ? try g.add(auto.next("activation"), .activation(.hardSilu), inputs: [input])
                      : try g.add(auto.next("re_lu"), .relu, inputs: [input])
        }
        func channels(_ name: String) throws -> Int {
            guard let node = g.node(name) else { throw GraphError.unknownNode(name) }
            return node.outputShape.last ?? 0
        }
        func size(_ name: String) throws -> [Int] {
            guard let node = g.node(name) else { throw GraphError.unknownNode(name) }
            return node.outputShape
        }

        var x = try g.add("input_layer", .input(shape: options.inputShape))
        x = try g.add(auto.next("rescaling"), .rescaling(scale: 1 / 127.5, offset: -1), inputs: [x])
        let modelHardSwish = !minimalistic
        x = try activate(try bn("conv_bn", try conv("conv", 16, 3, strides: 2, bias: false, x)), hardSwish: modelHardSwish)
        for (id, block) in (large ? Self.largeBlocks : Self.smallBlocks).enumerated() {
            let kernel = block.kernel ?? (minimalistic ? 3 : 5)
            let hardSwish = block.hardSwish && !minimalistic
            let se = block.se && !minimalistic
            let filters = Self.depth(block.filters * alpha)
            let shortcut = x
            let inFilters = try channels(x)
            let prefix = id == 0 ? "expanded_conv_" : "expanded_conv_\(id)_"
            let expanded = Self.depth(Double(inFilters) * block.expansion)
            if id > 0 {
                x = try activate(try bn("\(prefix)expand_bn", try conv("\(prefix)expand", expanded, bias: false, x)), hardSwish: hardSwish)
            }
            if block.stride == 2 {
                x = try g.add("\(prefix)depthwise_pad", KerasApplications.correctPad(try size(x), kernel: kernel), inputs: [x])
            }
            x = try g.add("\(prefix)depthwise", .depthwiseConv2D(ConvAttributes(filters: 1, kernel: [kernel, kernel], strides: [block.stride, block.stride],
                                                                                 padding: block.stride == 1 ? .same : .valid, useBias: false)), inputs: [x])
            x = try activate(try bn("\(prefix)depthwise_bn", x), hardSwish: hardSwish)
            if se {
                let gateInput = x
                let width = try channels(x)
                var s = try g.add("\(prefix)squeeze_excite_avg_pool", .globalAveragePooling2DKeepingDims, inputs: [x])
                s = try conv("\(prefix)squeeze_excite_conv", Self.depth(Double(width) * 0.25), bias: true, s)
                s = try g.add("\(prefix)squeeze_excite_relu", .relu, inputs: [s])
                s = try conv("\(prefix)squeeze_excite_conv_1", width, bias: true, s)
                // hard_sigmoid: ReLU(6.0)(s + 3.0) * (1.0 / 6.0); the ReLU is named first (Python
                // builds the layer before evaluating its argument).
                let relu6 = auto.next("re_lu")
                s = try g.add(auto.next("add"), .scalarArithmetic(ScalarArithmetic(.add, 3)), inputs: [s])
                s = try g.add(relu6, .reluLayer(ReLUAttributes(maxValue: 6)), inputs: [s])
                s = try g.add(auto.next("multiply"), .scalarArithmetic(ScalarArithmetic(.multiply, 1.0 / 6.0)), inputs: [s])
                x = try g.add("\(prefix)squeeze_excite_mul", .multiply, inputs: [gateInput, s])
            }
            x = try bn("\(prefix)project_bn", try conv("\(prefix)project", filters, bias: false, x))
            if block.stride == 1 && inFilters == filters {
                x = try g.add("\(prefix)add", .add, inputs: [shortcut, x])
            }
        }
        let lastConv = Self.depth(Double(try channels(x)) * 6)
        var lastPoint = large ? 1280 : 1024
        if alpha > 1 { lastPoint = Self.depth(Double(lastPoint) * alpha) }
        x = try activate(try bn("conv_1_bn", try conv("conv_1", lastConv, bias: false, x)), hardSwish: modelHardSwish)
        if options.includeTop {
            x = try g.add(auto.next("global_average_pooling2d"), .globalAveragePooling2DKeepingDims, inputs: [x])
            x = try activate(try conv("conv_2", lastPoint, bias: true, x), hardSwish: modelHardSwish)
            x = try g.add(auto.next("dropout"), .dropout(rate: 0.2), inputs: [x])
            x = try conv("logits", options.classes, bias: true, x)
            x = try g.add(auto.next("flatten"), .flatten, inputs: [x])
            x = try g.add("predictions", .activation(.softmax), inputs: [x])
        } else if options.pooling == .avg {
            x = try g.add("avg_pool", .globalAveragePooling2D, inputs: [x])
        } else if options.pooling == .max {
            x = try g.add("max_pool", .globalMaxPooling2D, inputs: [x])
        }
        g.outputs = [x]
        return try KerasLayerOrder.reordered(g)
    }
}
