import ZooFormats

/// A float32 tensor in NHWC (or `[batch, features]`) layout, used for inputs and outputs.
public struct Tensor: Sendable, Equatable {
    /// Shape including the batch dimension.
    public var shape: [Int]
    public var data: TensorData

    public init(shape: [Int], data: TensorData) {
        self.shape = shape
        self.data = data
    }

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.data = TensorData(values: values)
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// The values copied into an array.
    public var values: [Float] { data.array(of: Float.self) }
}
