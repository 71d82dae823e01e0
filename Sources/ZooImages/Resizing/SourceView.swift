/// A rectangle of an HWC image in place: `height` rows of `width` pixels starting at `base`,
/// rows `rowStride` elements apart (so a crop needs no copy).
struct SourceView<T: ResizeSample> {
    let base: UnsafePointer<T>
    let height: Int
    let width: Int
    let channels: Int
    let rowStride: Int

    @inline(__always) func row(_ y: Int) -> UnsafePointer<T> { base + y * rowStride }
}
