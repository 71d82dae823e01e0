import Testing
@testable import ZooImages

@Suite struct PreprocessingTests {
    /// `keras.applications.{resnet50,inception_v3,densenet}.preprocess_input` on
    /// `np.array([[[[10, 128, 250], [0, 255, 77]]]], dtype=np.float32)` (Keras 3.15, float32).
    @Test func matchesKeras() throws {
        let pixels = try FloatImage(width: 2, height: 1, channels: 3, pixels: [10, 128, 250, 0, 255, 77])
        let caffe = try Preprocessing.caffe.applied(to: pixels).pixels
        #expect(caffe == [Float(250) - Float(103.939), Float(128) - Float(116.779), Float(10) - Float(123.68),
                          Float(77) - Float(103.939), Float(255) - Float(116.779), Float(0) - Float(123.68)])
        let tf = try Preprocessing.tf.applied(to: pixels).pixels
        #expect(tf == [10, 128, 250, 0, 255, 77].map { Float($0) / Float(127.5) - 1 })
        #expect(tf[4] == 1 && tf[3] == -1)
        let torch = try Preprocessing.torch.applied(to: pixels).pixels
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        let raw: [Float] = [10, 128, 250, 0, 255, 77]
        var want: [Float] = []
        for (index, value) in raw.enumerated() {
            let scaled: Float = value / 255
            want.append((scaled - mean[index % 3]) / std[index % 3])
        }
        #expect(torch == want)
        // Keras's float32 values (printed by numpy).
        #expect(torch[0] == -1.9466564655303955 && torch[4] == 2.4285714626312256)
        #expect(caffe[0] == 146.06100463867188 && caffe[3] == -26.939002990722656)
        #expect(try Preprocessing.none.applied(to: pixels) == pixels)
        let gray = try FloatImage(width: 1, height: 1, channels: 1, pixels: [3])
        #expect(throws: ImageError.self) { try Preprocessing.caffe.applied(to: gray) }
        #expect(try Preprocessing.tf.applied(to: gray).pixels == [Float(3) / Float(127.5) - 1])
    }

    @Test func familiesFollowKerasApplications() {
        #expect(Preprocessing.family(of: "resnet50") == .caffe)
        #expect(Preprocessing.family(of: "vgg16") == .caffe)
        #expect(Preprocessing.family(of: "resnet50v2") == .tf)
        #expect(Preprocessing.family(of: "mobilenetv2_1.00_224") == .tf)
        #expect(Preprocessing.family(of: "densenet121") == .torch)
        #expect(Preprocessing.family(of: "efficientnetb0") == Preprocessing.none)
        #expect(Preprocessing.family(of: "my_model") == nil)
    }
}
