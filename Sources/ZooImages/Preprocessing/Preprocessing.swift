import ZooFormats
import ZooModels
import ZooNative

/// The input preprocessing of a Keras application (`keras.applications.*.preprocess_input`),
/// applied to float RGB pixels in 0...255, in float32 exactly as Keras computes it.
public enum Preprocessing: String, Sendable, CaseIterable {
    /// RGB to BGR, then subtract the ImageNet means `[103.939, 116.779, 123.68]` (BGR order);
    /// ResNet, VGG.
    case caffe
    /// Scale to [-1, 1]: `x / 127.5 - 1`; Inception, Xception, MobileNet.
    case tf
    /// Scale to [0, 1], subtract `[0.485, 0.456, 0.406]`, divide by `[0.229, 0.224, 0.225]`; DenseNet.
    case torch
    /// Leave the pixels as they are (models with in-model Rescaling, or already-prepared data).
    case none

    /// Applies the preprocessing in place to interleaved pixels with `channels` per pixel.
    /// caffe and torch need 3 channels (as in Keras); grayscale or RGBA input to them is an error.
    public func apply(to pixels: UnsafeMutableBufferPointer<Float>, channels: Int) throws {
        switch self {
        case .none:
            return
        case .tf:
            for index in pixels.indices { pixels[index] = pixels[index] / Float(127.5) - 1 }
        case .caffe:
            guard channels == 3 else { throw ImageError.invalidArgument("caffe preprocessing needs RGB input (3 channels), got \(channels)") }
            let mean: (Float, Float, Float) = (103.939, 116.779, 123.68)
            var index = 0
            while index + 2 < pixels.count {
                let red = pixels[index], blue = pixels[index + 2]
                pixels[index] = blue - mean.0
                pixels[index + 1] = pixels[index + 1] - mean.1
                pixels[index + 2] = red - mean.2
                index += 3
            }
        case .torch:
            guard channels == 3 else { throw ImageError.invalidArgument("torch preprocessing needs RGB input (3 channels), got \(channels)") }
            let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
            for index in pixels.indices {
                let channel = index % 3
                pixels[index] = (pixels[index] / Float(255) - mean[channel]) / std[channel]
            }
        }
    }

    /// Applies the preprocessing to a copy of `image`.
    public func applied(to image: FloatImage) throws -> FloatImage {
        var copy = image
        try copy.withUnsafeMutablePixels { try apply(to: $0, channels: image.channels) }
        return copy
    }

    /// The value `.zoo` metadata records for this mode.
    public var metadata: ZooMetadata.Preprocessing {
        switch self {
        case .caffe: return .caffe
        case .tf: return .tf
        case .torch: return .torch
        case .none: return .none
        }
    }

    /// The preprocessing a model file records or implies: the `.zoo` metadata's mode; else the
    /// architecture's (`Architecture.preprocessing`); else the Keras config's model name when it names
    /// a known family. Nil when nothing says (pass one explicitly).
    public static func recorded(in path: String, loaded: ModelLoader.Loaded? = nil) -> Preprocessing? {
        if ZooFileReader.isZooFile(path), let reader = try? ZooFileReader(path: path),
           let mode = (try? reader.metadata())?.preprocessing?.mode {
            return Preprocessing(rawValue: mode)
        }
        if let architecture = loaded?.architecture { return Preprocessing(rawValue: architecture.preprocessing.mode) }
        if let config = loaded?.checkpoint.modelConfig, let name = (try? KerasModelConfig(json: config, file: path))?.name {
            return family(of: name)
        }
        return nil
    }

    /// The preprocessing of a keras.applications model by its function or model name.
    public static func family(of name: String) -> Preprocessing? {
        ZooMetadata.Preprocessing.kerasApplication(named: name).flatMap { Preprocessing(rawValue: $0.mode) }
    }
}
