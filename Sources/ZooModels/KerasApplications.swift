import ZooGraph

/// The arithmetic keras.applications' builders share, written once: the channel rounding of
/// MobileNetV2/V3 and EfficientNet (`_make_divisible`, `_depth`, `round_filters`), the padding
/// before a stride-2 valid convolution (`imagenet_utils.correct_pad`) and the block letters of
/// EfficientNet's names (`block2a`, `block2b`, ...).
enum KerasApplications {
    /// `value` rounded to the nearest multiple of `divisor` (at least `divisor`), raised by one
    /// multiple when that loses more than 10%.
    static func makeDivisible(_ value: Double, divisor: Int = 8) -> Int {
        var result = max(divisor, Int(value + Double(divisor) / 2) / divisor * divisor)
        if Double(result) < 0.9 * value { result += divisor }
        return result
    }

    /// `correct_pad(x, kernel)` for an input of `size` (height, width, ...): `kernel / 2` on every
    /// side, one less at the top (left) when the height (width) is even.
    static func correctPad(_ size: [Int], kernel: Int) -> Op {
        let half = kernel / 2
        let (height, width) = (size.count > 0 ? size[0] : 0, size.count > 1 ? size[1] : 0)
        return .zeroPadding2D(top: half - (1 - height % 2), bottom: half, left: half - (1 - width % 2), right: half)
    }

    /// The letter of the `index`-th block of a stage: a, b, c, ...
    static func blockLetter(_ index: Int) -> Character { Character(UnicodeScalar(UInt8(97 + index % 26))) }
}
