import Testing
@testable import ZooFormats

@Suite struct KerasNamingTests {
    @Test(arguments: [
        ("Conv2D", "conv2d"), ("BatchNormalization", "batch_normalization"), ("Dense", "dense"),
        ("GlobalAveragePooling2D", "global_average_pooling2d"), ("ZeroPadding2D", "zero_padding2d"),
        ("InputLayer", "input_layer"), ("DepthwiseConv2D", "depthwise_conv2d"), ("MaxPooling2D", "max_pooling2d"),
        ("Conv2DTranspose", "conv2d_transpose"), ("ReLU", "re_lu"), ("PReLU", "p_re_lu"),
    ])
    func snakeCaseMatchesKeras(className: String, snake: String) {
        #expect(KerasNaming.snakeCase(className) == snake)
    }

    @Test func shortNamesDropScopeAndIndex() {
        #expect(KerasNaming.shortName(ofStoredName: "conv1/kernel:0") == "kernel")
        #expect(KerasNaming.shortName(ofStoredName: "bn_conv1/moving_variance") == "moving_variance")
        #expect(KerasNaming.shortName(ofStoredName: "bias") == "bias")
        #expect(KerasNaming.shortName(ofStoredName: "odd:name") == "odd:name")
    }

    @Test func classesAreInferredFromWeights() {
        #expect(KerasNaming.inferClass(weightNames: ["kernel", "bias"], ranks: [4, 1]) == "Conv2D")
        #expect(KerasNaming.inferClass(weightNames: ["kernel", "bias"], ranks: [2, 1]) == "Dense")
        #expect(KerasNaming.inferClass(weightNames: ["gamma", "beta", "moving_mean", "moving_variance"], ranks: [1, 1, 1, 1]) == "BatchNormalization")
        #expect(KerasNaming.inferClass(weightNames: ["depthwise_kernel", "bias"], ranks: [4, 1]) == "DepthwiseConv2D")
        #expect(KerasNaming.inferClass(weightNames: [], ranks: []) == nil)
    }

    @Test func keras3GroupNamesCountPerClass() {
        let layers = ["InputLayer", "Conv2D", "BatchNormalization", "Conv2D", "Dense", "Conv2D"].map {
            KerasModelConfig.Layer(name: $0.lowercased(), className: $0, useBias: true, center: true, scale: true, nested: [])
        }
        #expect(KerasModelConfig.keras3GroupNames(for: layers) == ["input_layer", "conv2d", "batch_normalization", "conv2d_1", "dense", "conv2d_2"])
        #expect(KerasNaming.splitCounter("conv2d_12") == ("conv2d", 12))
        #expect(KerasNaming.splitCounter("dense") == ("dense", 0))
    }

    @Test func variableNamesFollowTheConfig() {
        #expect(KerasNaming.variableNames(forClass: "Conv2D", useBias: false) == ["kernel"])
        #expect(KerasNaming.variableNames(forClass: "BatchNormalization", center: false) == ["gamma", "moving_mean", "moving_variance"])
        #expect(KerasNaming.variableNames(forClass: "Activation") == nil)
    }
}
