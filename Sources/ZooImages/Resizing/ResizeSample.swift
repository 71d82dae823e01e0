/// A pixel component the TensorFlow kernels read: 8-bit from decoders or float32.
protocol ResizeSample: Sendable {
    /// The value as TensorFlow's `static_cast<float>` gives it.
    var floatValue: Float { get }
}

extension UInt8: ResizeSample {
    @inline(__always) var floatValue: Float { Float(self) }
}

extension Float: ResizeSample {
    @inline(__always) var floatValue: Float { self }
}
