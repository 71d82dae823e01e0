import Testing
import ZooFormats
import ZooGraph
@testable import ZooModels

/// EfficientNetB0-B7 against Keras 3.15.1 (`keras.applications.EfficientNetBn(weights=None,
/// ...)`, `model.count_params()` and `len(model.layers)`, printed by /tmp-only dumps of
/// Fixtures/make_architectures.py's `build_app`); B0 is also compared layer by layer in
/// ArchitectureTests (Fixtures/architectures/efficientnetb0_*.json).
@Suite struct EfficientNetTests {
    /// (architecture, default input, params with top, params without, layers with top).
    static let kerasTotals: [(Architecture, Int, Int, Int, Int)] = [
        (.efficientnetb0, 224, 5_330_571, 4_049_571, 240),
        (.efficientnetb1, 240, 7_856_239, 6_575_239, 342),
        (.efficientnetb2, 260, 9_177_569, 7_768_569, 342),
        (.efficientnetb3, 300, 12_320_535, 10_783_535, 387),
        (.efficientnetb4, 380, 19_466_823, 17_673_823, 477),
        (.efficientnetb5, 456, 30_562_527, 28_513_527, 579),
        (.efficientnetb6, 528, 43_265_143, 40_960_143, 669),
        (.efficientnetb7, 600, 66_658_687, 64_097_687, 816),
    ]

    @Test(arguments: kerasTotals.map { $0.0 }) func totalsMatchKeras(_ architecture: Architecture) throws {
        let (_, size, top, notop, layers) = try #require(Self.kerasTotals.first { $0.0 == architecture })
        #expect(architecture.defaultInputShape == [size, size, 3])
        let withTop = try architecture.build(ArchitectureOptions(inputShape: [size, size, 3]))
        #expect(withTop.totalParameterCount == top)
        #expect(withTop.nodes.count == layers)
        #expect(try architecture.build(ArchitectureOptions(includeTop: false, inputShape: [size, size, 3])).totalParameterCount == notop)
        // Every stage's end and the pooled features exist.
        for point in architecture.transferPoints() { #expect(withTop.node(point) != nil, "\(architecture) \(point)") }
    }

    /// Odd input sizes pad the stride-2 convolutions as Keras's `correct_pad` does, and the
    /// drop-connect rates rise with depth exactly as Keras computes them.
    @Test func customInputAndDropConnectRates() throws {
        let graph = try Architecture.efficientnetb0.build(ArchitectureOptions(includeTop: false, pooling: .avg, inputShape: [161, 130, 3]))
        #expect(graph.node("stem_conv_pad")?.op == .zeroPadding2D(top: 1, bottom: 1, left: 0, right: 1))
        #expect(graph.node("stem_conv")?.outputShape == [81, 65, 32])
        #expect(graph.node("avg_pool")?.outputShape == [1280])
        #expect(graph.node("block2b_drop")?.op == .dropoutWithNoiseShape(rate: 0.2 * 2 / 16, noiseShape: [nil, 1, 1, 1]))
        #expect(graph.node("block7a_add") == nil)  // 192 -> 320 filters: no residual
        #expect(graph.node("block6d_drop")?.op == .dropoutWithNoiseShape(rate: 0.2 * 14 / 16, noiseShape: [nil, 1, 1, 1]))
        let ten = try Architecture.efficientnetb0.build(ArchitectureOptions(classes: 10))
        #expect(ten.totalParameterCount == 4_049_571 + 1280 * 10 + 10)
    }
}

/// EfficientNetV2 against Keras 3.15.1 totals (`keras.applications.EfficientNetV2*(weights=None)`,
/// `count_params()`, `len(model.layers)`; S/M/L from the same script) and EfficientNet detection.
@Suite struct EfficientNetV2Tests {
    static let kerasTotals: [(Architecture, Int, Int, Int, Int)] = [
        (.efficientnetv2b0, 224, 7_200_312, 5_919_312, 273),
        (.efficientnetv2b1, 240, 8_212_124, 6_931_124, 337),
        (.efficientnetv2b2, 260, 10_178_374, 8_769_374, 352),
        (.efficientnetv2b3, 300, 14_467_622, 12_930_622, 412),
        (.efficientnetv2s, 384, 21_612_360, 20_331_360, 516),
        (.efficientnetv2m, 480, 54_431_388, 53_150_388, 743),
        (.efficientnetv2l, 480, 119_027_848, 117_746_848, 1031),
    ]

    @Test(arguments: kerasTotals.map { $0.0 }) func totalsMatchKeras(_ architecture: Architecture) throws {
        let (_, size, top, notop, layers) = try #require(Self.kerasTotals.first { $0.0 == architecture })
        #expect(architecture.defaultInputShape == [size, size, 3])
        let graph = try architecture.build()
        #expect(graph.totalParameterCount == top)
        #expect(graph.nodes.count == layers)
        #expect(try architecture.build(architecture.defaultOptions(includeTop: false)).totalParameterCount == notop)
        for point in architecture.transferPoints() { #expect(graph.node(point) != nil, "\(architecture) \(point)") }
    }

    /// S, M and L preprocess with Rescaling(1/128, -1), the B variants with Rescaling(1/255) and a
    /// constant Normalization (no weights).
    @Test func preprocessingInsideTheModel() throws {
        let s = try Architecture.efficientnetv2s.build(Architecture.efficientnetv2s.defaultOptions(includeTop: false))
        #expect(s.node("rescaling")?.op == .rescaling(scale: 1.0 / 128, offset: -1))
        #expect(s.node("normalization") == nil)
        #expect(s.nodes[1].name == "rescaling" && s.nodes[2].name == "stem_conv")
        let b0 = try Architecture.efficientnetv2b0.build()
        #expect(b0.node("normalization")?.weights.isEmpty == true)
        #expect(b0.node("stem_bn")?.op == .batchNormalization(BatchNormAttributes(axis: 3, epsilon: 1e-3, momentum: 0.9)))
    }

    /// Every EfficientNet and EfficientNetV2 member is told apart from the others in legacy and
    /// Keras 3 files (same names, different widths and depths), with and without the classifier.
    @Test(arguments: EfficientNetTests.kerasTotals.map(\.0) + [Architecture.efficientnetv2b0, .efficientnetv2b2, .efficientnetv2s])
    func membersAreDetected(_ architecture: Architecture) throws {
        for options in [architecture.defaultOptions(classes: 7), architecture.defaultOptions(includeTop: false)] {
            let graph = try architecture.build(options)
            for keras3 in [false, true] {
                let file = BinderTests.namesOnly(graph, keras3: keras3)
                let detection = try ModelDetector.detect(file, file: "f")
                #expect(detection.architecture == architecture, "\(architecture) keras3=\(keras3) top=\(options.includeTop)")
                #expect(detection.options.includeTop == options.includeTop)
                if options.includeTop { #expect(detection.options.classes == 7) }
                let model = try Binder.bind(file, to: try detection.architecture.build(detection.options), scheme: detection.scheme, mode: .lenient, file: "f")
                #expect(model.report.missing.isEmpty && model.report.mismatched.isEmpty && model.report.unexpected.isEmpty, "\(architecture) keras3=\(keras3)")
            }
        }
    }
}

/// EfficientNet's `weights="imagenet"` graph: the extra `Rescaling(1 / sqrt(std))` Keras adds,
/// chosen when a file's Normalization holds ImageNet's statistics.
@Suite struct EfficientNetImagenetTests {
    func checkpoint(variance: [Float]) throws -> Checkpoint {
        let graph = try Architecture.efficientnetb0.build()
        var layers: [CheckpointLayer] = []
        for node in graph.nodes where !node.weights.isEmpty {
            layers.append(CheckpointLayer(name: node.name, weights: node.weights.map { spec in
                var values = [Float](repeating: 0, count: spec.shape.reduce(1, *))
                if node.name == "normalization" && spec.name == "variance" { values = variance }
                let data = values.withUnsafeBytes { TensorData(copying: $0) }
                return Weight(name: spec.name, path: "", storedName: "\(node.name)/\(spec.name):0", dtype: spec.dtype == "int64" ? .int64 : .float32,
                              shape: spec.shape, data: spec.dtype == "int64" ? TensorData(byteCount: 8) { $0.initializeMemory(as: UInt8.self, repeating: 0) } : data)
            }))
        }
        return Checkpoint(format: .kerasH5Weights, layers: layers)
    }

    @Test func imagenetStatisticsAddKerasRescaling() throws {
        let detection = try ModelDetector.detect(try checkpoint(variance: [0.229 * 0.229, 0.224 * 0.224, 0.225 * 0.225]), file: "efficientnetb0.h5")
        #expect(detection.architecture == .efficientnetb0)
        #expect(detection.options.imagenetRescaling == true)
        let graph = try Architecture.efficientnetb0.build(detection.options)
        #expect(graph.node("rescaling_1")?.inputs == ["normalization"])
        #expect(graph.node("rescaling_1")?.op == .channelRescaling(scale: [0.229, 0.224, 0.225].map { 1 / $0.squareRoot() }, offset: [0]))
        #expect(graph.node("stem_conv_pad")?.inputs == ["rescaling_1"])
        // weights=None (variance 1) and statistics of other data: Keras's weights=None graph.
        for variance: [Float] in [[1, 1, 1], [0.06, 0.05, 0.05]] {
            let other = try ModelDetector.detect(try checkpoint(variance: variance), file: "efficientnetb0.h5")
            #expect(other.options.imagenetRescaling == nil)
            #expect(try Architecture.efficientnetb0.build(other.options).node("rescaling_1") == nil)
        }
    }
}
