import ZooFormats

/// One row of a `.zoo` tensor table.
public struct ZooTensorEntry: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var layout: TensorLayout
    public var shape: [Int]
    /// Absolute byte offset of the tensor in the file.
    public var offset: Int
    public var length: Int
    public var checksum: UInt64

    public init(name: String, dtype: DType, layout: TensorLayout, shape: [Int], offset: Int, length: Int, checksum: UInt64) {
        self.name = name
        self.dtype = dtype
        self.layout = layout
        self.shape = shape
        self.offset = offset
        self.length = length
        self.checksum = checksum
    }

    static let dtypeCodes: [DType: UInt8] = [.float16: 1, .bfloat16: 2, .float32: 3, .float64: 4, .int32: 5, .int64: 6, .uint8: 7]
    static let dtypesByCode: [UInt8: DType] = Dictionary(uniqueKeysWithValues: dtypeCodes.map { ($0.value, $0.key) })

    /// Bytes this entry takes in the table.
    var encodedSize: Int { 2 + name.utf8.count + 3 + 8 * shape.count + 24 }
}
