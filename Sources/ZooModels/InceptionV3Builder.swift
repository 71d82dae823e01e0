import ZooGraph

/// InceptionV3 as keras.applications builds it (`inception_v3.py`): every convolution is
/// `conv2d_bn` (Conv2D without bias, BatchNormalization with `scale=False` and Keras's default
/// epsilon 1e-3 on axis 3, relu), all with Keras's automatic names (`conv2d_N`,
/// `batch_normalization_N`, `activation_N`, `max_pooling2d_N`, `average_pooling2d_N`); only the
/// block outputs `mixed0`..`mixed10` and `mixed9_0`/`mixed9_1` are named (the inner
/// concatenations of mixed9/mixed10 are `concatenate`, `concatenate_1`). Default input 299x299x3,
/// at least 75x75.
struct InceptionV3Builder: ArchitectureBuilder {
    static let epsilon = 1e-3

    var kerasName: String { "InceptionV3" }
    var defaultInputShape: [Int] { [299, 299, 3] }

    /// Each mixed block's output, then the pooled features.
    func transferPoints(includeTop: Bool) -> [String] {
        (0...10).map { "mixed\($0)" } + (includeTop ? ["avg_pool"] : [])
    }

    func build(_ options: ArchitectureOptions) throws -> Graph {
        let eps = options.batchNormEpsilon ?? Self.epsilon
        var b = KerasFunctionalBuilder()
        func convBN(_ input: String, _ filters: Int, _ rows: Int, _ cols: Int, padding: Padding = .same, strides: Int = 1) throws -> String {
            var x = try b.add(nil, .conv2D(ConvAttributes(filters: filters, kernel: [rows, cols], strides: [strides, strides], padding: padding, useBias: false)), inputs: [input])
            x = try b.add(nil, .batchNormalization(BatchNormAttributes(axis: 3, epsilon: eps, scale: false)), inputs: [x])
            return try b.add(nil, .activation(.relu), inputs: [x])
        }
        func maxPool(_ input: String) throws -> String {
            try b.add(nil, .maxPooling2D(PoolAttributes(size: [3, 3], strides: [2, 2])), inputs: [input])
        }
        func avgPool(_ input: String) throws -> String {
            try b.add(nil, .averagePooling2D(PoolAttributes(size: [3, 3], strides: [1, 1], padding: .same)), inputs: [input])
        }
        func concat(_ name: String?, _ inputs: [String]) throws -> String {
            try b.add(name, .concatenate(axis: 3), inputs: inputs)
        }
        var x = try b.add("input_layer", .input(shape: options.inputShape))
        x = try convBN(x, 32, 3, 3, padding: .valid, strides: 2)
        x = try convBN(x, 32, 3, 3, padding: .valid)
        x = try convBN(x, 64, 3, 3)
        x = try maxPool(x)
        x = try convBN(x, 80, 1, 1, padding: .valid)
        x = try convBN(x, 192, 3, 3, padding: .valid)
        x = try maxPool(x)

        // mixed0..mixed2: 35x35.
        for (i, poolFilters) in [32, 64, 64].enumerated() {
            let branch1x1 = try convBN(x, 64, 1, 1)
            var branch5x5 = try convBN(x, 48, 1, 1)
            branch5x5 = try convBN(branch5x5, 64, 5, 5)
            var branch3x3dbl = try convBN(x, 64, 1, 1)
            branch3x3dbl = try convBN(branch3x3dbl, 96, 3, 3)
            branch3x3dbl = try convBN(branch3x3dbl, 96, 3, 3)
            let branchPool = try convBN(try avgPool(x), poolFilters, 1, 1)
            x = try concat("mixed\(i)", [branch1x1, branch5x5, branch3x3dbl, branchPool])
        }

        // mixed3: 17x17.
        do {
            let branch3x3 = try convBN(x, 384, 3, 3, padding: .valid, strides: 2)
            var branch3x3dbl = try convBN(x, 64, 1, 1)
            branch3x3dbl = try convBN(branch3x3dbl, 96, 3, 3)
            branch3x3dbl = try convBN(branch3x3dbl, 96, 3, 3, padding: .valid, strides: 2)
            let branchPool = try maxPool(x)
            x = try concat("mixed3", [branch3x3, branch3x3dbl, branchPool])
        }

        // mixed4..mixed7: 17x17 with factorized 7x7 convolutions.
        for (i, width) in [128, 160, 160, 192].enumerated() {
            let branch1x1 = try convBN(x, 192, 1, 1)
            var branch7x7 = try convBN(x, width, 1, 1)
            branch7x7 = try convBN(branch7x7, width, 1, 7)
            branch7x7 = try convBN(branch7x7, 192, 7, 1)
            var branch7x7dbl = try convBN(x, width, 1, 1)
            branch7x7dbl = try convBN(branch7x7dbl, width, 7, 1)
            branch7x7dbl = try convBN(branch7x7dbl, width, 1, 7)
            branch7x7dbl = try convBN(branch7x7dbl, width, 7, 1)
            branch7x7dbl = try convBN(branch7x7dbl, 192, 1, 7)
            let branchPool = try convBN(try avgPool(x), 192, 1, 1)
            x = try concat("mixed\(4 + i)", [branch1x1, branch7x7, branch7x7dbl, branchPool])
        }

        // mixed8: 8x8.
        do {
            var branch3x3 = try convBN(x, 192, 1, 1)
            branch3x3 = try convBN(branch3x3, 320, 3, 3, padding: .valid, strides: 2)
            var branch7x7x3 = try convBN(x, 192, 1, 1)
            branch7x7x3 = try convBN(branch7x7x3, 192, 1, 7)
            branch7x7x3 = try convBN(branch7x7x3, 192, 7, 1)
            branch7x7x3 = try convBN(branch7x7x3, 192, 3, 3, padding: .valid, strides: 2)
            let branchPool = try maxPool(x)
            x = try concat("mixed8", [branch3x3, branch7x7x3, branchPool])
        }

        // mixed9, mixed10: 8x8 with split 3x3 convolutions.
        for i in 0..<2 {
            let branch1x1 = try convBN(x, 320, 1, 1)
            let branch3x3 = try convBN(x, 384, 1, 1)
            let branch3x3a = try convBN(branch3x3, 384, 1, 3)
            let branch3x3b = try convBN(branch3x3, 384, 3, 1)
            let branch3x3Out = try concat("mixed9_\(i)", [branch3x3a, branch3x3b])
            var branch3x3dbl = try convBN(x, 448, 1, 1)
            branch3x3dbl = try convBN(branch3x3dbl, 384, 3, 3)
            let branch3x3dblA = try convBN(branch3x3dbl, 384, 1, 3)
            let branch3x3dblB = try convBN(branch3x3dbl, 384, 3, 1)
            let branch3x3dblOut = try concat(nil, [branch3x3dblA, branch3x3dblB])
            let branchPool = try convBN(try avgPool(x), 192, 1, 1)
            x = try concat("mixed\(9 + i)", [branch1x1, branch3x3Out, branch3x3dblOut, branchPool])
        }

        x = try ApplicationTop.add(to: &b, after: x, options: options, namedPooling: false)
        return try b.graph(output: x)
    }
}
