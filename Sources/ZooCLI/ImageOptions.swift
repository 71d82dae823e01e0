import ArgumentParser
import Foundation
import ZooImages
import ZooModels

/// How `zoo extract` and `zoo predict --images` turn files into model input, with Keras's names.
struct ImageOptions: ParsableArguments {
    @Option(name: .customLong("image-size"), parsing: .upToNextOption, help: "Resize to H W (default: the model's input size, else 256 256 as Keras).")
    var imageSize: [Int] = []

    @Option(help: "Resize path: dataset (image_dataset_from_directory: TensorFlow decoders, tf.image.resize) or load-img (keras.utils.load_img: Pillow).")
    var resize: String = "dataset"

    @Option(help: "Interpolation. dataset: bilinear (default), nearest, bicubic, area, lanczos3, lanczos5, gaussian, mitchellcubic; load-img: nearest (default), bilinear, bicubic, lanczos, box, hamming.")
    var interpolation: String?

    @Flag(name: .customLong("crop-to-aspect-ratio"), help: "Centre-crop to the target aspect ratio before resizing (load-img: keep_aspect_ratio).")
    var cropToAspectRatio = false

    @Flag(name: .customLong("pad-to-aspect-ratio"), help: "Resize to fit and pad with zeros to the target size (dataset path only).")
    var padToAspectRatio = false

    @Option(name: .customLong("color-mode"), help: "rgb (default), grayscale or rgba, as Keras's color_mode.")
    var colorMode: String = "rgb"

    @Option(help: "Input preprocessing: caffe, tf, torch or none (default: what the model records or its family uses).")
    var preprocessing: String?

    @Flag(name: .customLong("exif-orientation"), help: "Apply the EXIF orientation tag (Keras ignores it).")
    var exifOrientation = false

    @Option(name: .customLong("max-pixels"), help: "Refuse images declaring more pixels than this (decompression bombs).")
    var maxPixels: Int = 178_956_970

    /// The loading settings for a model whose input is `inputShape` (height, width, channels).
    func loading(inputShape: [Int]) throws -> ImageLoading {
        guard cropToAspectRatio == false || padToAspectRatio == false else {
            throw ValidationError("--crop-to-aspect-ratio and --pad-to-aspect-ratio exclude each other")
        }
        let size: (Int, Int)
        if imageSize.isEmpty {
            size = inputShape.count == 3 && inputShape[0] > 0 && inputShape[1] > 0 ? (inputShape[0], inputShape[1]) : (256, 256)
        } else {
            guard imageSize.count == 2, imageSize[0] > 0, imageSize[1] > 0, imageSize[0] <= 16384, imageSize[1] <= 16384 else {
                throw ValidationError("--image-size takes two positive sizes, H W (at most 16384), got \(imageSize)")
            }
            size = (imageSize[0], imageSize[1])
        }
        guard let mode = ColorMode(rawValue: colorMode) else {
            throw ValidationError("--color-mode must be rgb, grayscale or rgba, got '\(colorMode)'")
        }
        let aspect: AspectRatioMode = cropToAspectRatio ? .crop : (padToAspectRatio ? .pad : .stretch)
        let resizing: ImageLoading.Resize
        do { resizing = try .named(resize, interpolation: interpolation, aspectRatio: aspect) } catch { throw ValidationError("\(error)") }
        guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive") }
        return ImageLoading(height: size.0, width: size.1, resize: resizing, colorMode: mode, applyEXIFOrientation: exifOrientation, maxPixels: maxPixels)
    }

    /// The preprocessing: the flag, else the model's record, else an error asking for the flag.
    func preprocessing(model path: String, loaded: ModelLoader.Loaded) throws -> Preprocessing {
        if let preprocessing {
            guard let value = Preprocessing(rawValue: preprocessing) else {
                throw ValidationError("--preprocessing must be caffe, tf, torch or none, got '\(preprocessing)'")
            }
            return value
        }
        guard let recorded = Preprocessing.recorded(in: path, loaded: loaded) else {
            throw ValidationError("\(path): the model does not record its input preprocessing; pass --preprocessing caffe, tf, torch or none")
        }
        return recorded
    }
}
