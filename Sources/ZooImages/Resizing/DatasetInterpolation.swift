/// The `interpolation` values of `keras.utils.image_dataset_from_directory`, i.e. the methods of
/// `tf.image.resize` (antialias off, half-pixel centres). See `TensorFlowResize`.
public enum DatasetInterpolation: String, Sendable, CaseIterable {
    /// `tf.image.ResizeMethod.BILINEAR` (the Keras default).
    case bilinear
    /// `NEAREST_NEIGHBOR`: values are copied, so they stay integral for 8-bit input.
    case nearest
    /// `BICUBIC`: Keys cubic (a = -0.5), taps outside the image dropped and the rest renormalised.
    case bicubic
    /// `AREA`: the exact area average of the covered source pixels.
    case area
    /// `LANCZOS3` (scale_and_translate, radius 3).
    case lanczos3
    /// `LANCZOS5` (scale_and_translate, radius 5).
    case lanczos5
    /// `GAUSSIAN` (scale_and_translate, radius 1.5, sigma 0.5).
    case gaussian
    /// `MITCHELLCUBIC` (scale_and_translate, Mitchell-Netravali B = C = 1/3).
    case mitchellcubic
}
