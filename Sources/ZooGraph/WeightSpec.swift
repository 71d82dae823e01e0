/// A weight a layer expects: its canonical name, shape (Keras layout: Conv2D HWIO, Dense
/// `(in, out)`) and whether training updates it.
public struct WeightSpec: Codable, Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var dtype: String
    /// False for BatchNormalization's moving statistics, which training does not update by gradient.
    public var trainable: Bool

    public init(name: String, shape: [Int], dtype: String = "float32", trainable: Bool = true) {
        self.name = name
        self.shape = shape
        self.dtype = dtype
        self.trainable = trainable
    }

    public var elementCount: Int { shape.reduce(1, *) }
}
