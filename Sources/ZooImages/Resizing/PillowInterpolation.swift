/// The `interpolation` values of `keras.utils.load_img`, i.e. Pillow's resampling filters. See
/// `PillowResize`.
public enum PillowInterpolation: String, Sendable, CaseIterable {
    /// `Image.Resampling.NEAREST` (Keras's `load_img` default), done by Pillow's affine transform.
    case nearest
    /// `BILINEAR`: triangle filter, support 1 scaled by the downscale factor.
    case bilinear
    /// `BICUBIC`: Keys cubic a = -0.5, support 2 scaled by the downscale factor.
    case bicubic
    /// `LANCZOS`: Lanczos-3 windowed sinc.
    case lanczos
    /// `BOX`: each output pixel averages the source pixels it covers.
    case box
    /// `HAMMING`: Hamming-windowed sinc, support 1.
    case hamming
}
