/// The colour layout of a decoded image, Keras's `color_mode`: 3, 1 or 4 channels, always.
public enum ColorMode: String, Sendable, CaseIterable {
    case rgb, grayscale, rgba

    /// Channels of an image in this mode.
    public var channels: Int {
        switch self {
        case .rgb: return 3
        case .grayscale: return 1
        case .rgba: return 4
        }
    }
}

/// Which Keras loading path the decoded pixels must equal.
public enum DecoderProfile: String, Sendable {
    /// `tf.io.decode_image(bytes, channels=..., expand_animations=False)`, what
    /// `keras.utils.image_dataset_from_directory` uses (TensorFlow 2.18).
    case tensorflow
    /// `np.asarray(keras.utils.load_img(path, color_mode=...))` (Pillow 13).
    case pillow
}

/// How `ImageDecoder` decodes.
public struct DecodeOptions: Sendable {
    /// The Keras path to reproduce.
    public var profile: DecoderProfile = .tensorflow
    /// The output layout (Keras `color_mode`).
    public var colorMode: ColorMode = .rgb
    /// Rotate/flip by the JPEG EXIF orientation tag. Keras ignores the tag, hence `false`.
    public var applyEXIFOrientation = false
    /// Largest `width * height` accepted, checked from the header before any pixel memory is
    /// allocated (Pillow's decompression-bomb error limit by default).
    public var maxPixels = 178_956_970

    /// Options with Keras's defaults unless given.
    public init(profile: DecoderProfile = .tensorflow, colorMode: ColorMode = .rgb, applyEXIFOrientation: Bool = false, maxPixels: Int = 178_956_970) {
        self.profile = profile
        self.colorMode = colorMode
        self.applyEXIFOrientation = applyEXIFOrientation
        self.maxPixels = maxPixels
    }
}
