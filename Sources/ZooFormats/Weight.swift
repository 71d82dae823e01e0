/// One weight tensor of a checkpoint layer.
public struct Weight: Sendable, Equatable {
    /// Canonical short name: `kernel`, `bias`, `gamma`, `beta`, `moving_mean`, `moving_variance`,
    /// `depthwise_kernel`, ... (or the stored index when the layer's class is unknown).
    public var name: String
    /// Where the tensor is stored inside the file, without a leading slash
    /// (`conv1/conv1/kernel:0`, `model_weights/...`, `layers/conv2d/vars/0`).
    public var path: String
    /// The weight's own name as the file records it (legacy `weight_names` entry such as
    /// `conv1/kernel:0`), kept so a rewrite in the same layout is lossless.
    public var storedName: String
    public var dtype: DType
    /// Dimensions, outermost first (Conv2D kernels HWIO, Dense kernels `(in, out)`).
    public var shape: [Int]
    /// The values in the layout `shape` describes. Replacing them drops `kernelPanels`.
    public var data: TensorData {
        didSet { kernelPanels = nil }
    }
    /// The same kernel in the compute core's GEMM panel layout, when the file stores it that way
    /// (a `.zoo` tensor with layout `packed`: the matrix of (product of all dimensions but the
    /// last) rows by (last dimension) columns, cut into panels of 32 columns, each panel's rows
    /// one after another, the last panel zero-padded). The compute core multiplies by these bytes
    /// in place; `data` is then derived from them only if something reads it.
    public var kernelPanels: TensorData?

    public init(name: String, path: String, storedName: String, dtype: DType, shape: [Int], data: TensorData) {
        self.name = name
        self.path = path
        self.storedName = storedName
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// Number of elements.
    public var elementCount: Int { shape.reduce(1, *) }
}
