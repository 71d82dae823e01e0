/// How `TensorFlowResize` treats a target aspect ratio that differs from the image's, as
/// `image_dataset_from_directory`'s `crop_to_aspect_ratio` / `pad_to_aspect_ratio` flags do.
public enum AspectRatioMode: String, Sendable {
    /// Resize to the target size, distorting the aspect ratio (both flags off).
    case stretch
    /// `crop_to_aspect_ratio=True`: Keras `smart_resize`, the largest centred crop of the target
    /// aspect ratio, then resize.
    case crop
    /// `pad_to_aspect_ratio=True`: `tf.image.resize_with_pad`, resize to fit inside the target
    /// keeping the aspect ratio, then pad with zeros, centred.
    case pad
}
