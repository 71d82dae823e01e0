import ZooFormats

/// The `packed` tensor layout of `.zoo` files: a float32 kernel stored the way the compute
/// core's matrix multiply reads it, so a model loads without repacking its weights.
///
/// The kernel is viewed as a matrix of `rows` = product of all dimensions but the last (for an
/// HWIO conv kernel kh*kw*in, for an IO Dense kernel in) by `columns` = the last dimension. The
/// columns are cut into panels of 32; panel p holds, for every row k in order, the 32 values
/// `[k][32p ..< 32p + 32]`, zero-padded past the last column. This is exactly what
/// CZooKernels' `zoo_pack_b` writes (a test checks that the two agree).
public enum PackedKernel {
    /// Columns per panel.
    public static let panelWidth = 32

    /// Rows and columns of the matrix view of `shape` (nil for rank < 2 or empty dimensions).
    public static func matrix(_ shape: [Int]) -> (rows: Int, columns: Int)? {
        guard shape.count >= 2, let columns = shape.last, columns > 0 else { return nil }
        var rows = 1
        for dim in shape.dropLast() {
            let (product, overflow) = rows.multipliedReportingOverflow(by: dim)
            guard !overflow, dim > 0 else { return nil }
            rows = product
        }
        return (rows, columns)
    }

    /// Bytes of the packed form of a float32 kernel of `shape` (nil when the shape cannot be
    /// packed or the size overflows).
    public static func byteCount(shape: [Int]) -> Int? {
        guard let (rows, columns) = matrix(shape) else { return nil }
        let panels = (columns + panelWidth - 1) / panelWidth
        let (a, o1) = panels.multipliedReportingOverflow(by: panelWidth * 4)
        let (b, o2) = a.multipliedReportingOverflow(by: rows)
        return o1 || o2 ? nil : b
    }

    /// Packs a plain float32 kernel of `shape`.
    public static func pack(_ plain: TensorData, shape: [Int]) -> TensorData? {
        guard let (rows, columns) = matrix(shape), let size = byteCount(shape: shape), plain.count == rows * columns * 4 else { return nil }
        return TensorData(byteCount: size) { raw in
            guard var scatter = Scatter(shape: shape, into: raw) else { return }
            plain.withUnsafeBytes { scatter.scatter($0) }
        }
    }

    /// Packs a plain float32 kernel of `shape` arriving in C-order pieces into `packed` (exactly
    /// `byteCount(shape:)` bytes): call `scatter` with each piece in turn, starting at element 0.
    /// The padding columns are zeroed up front. Memory: the output and one piece, never the
    /// whole plain kernel (VGG16's fc1 is 411 MB).
    public struct Scatter {
        let rows: Int
        let columns: Int
        let packed: UnsafeMutableBufferPointer<Float>
        /// Elements of the plain kernel delivered so far.
        public private(set) var delivered = 0

        /// Prepares `packed` for a kernel of `shape`; nil when the shape cannot be packed or the
        /// buffer has the wrong size.
        public init?(shape: [Int], into packed: UnsafeMutableRawBufferPointer) {
            guard let (rows, columns) = PackedKernel.matrix(shape), let size = PackedKernel.byteCount(shape: shape),
                  packed.count == size else { return nil }
            self.rows = rows
            self.columns = columns
            self.packed = packed.bindMemory(to: Float.self)
            if columns % PackedKernel.panelWidth != 0 { self.packed.initialize(repeating: 0) }
        }

        /// Places the next `piece` (whole float32 values, in C order) into its panels.
        public mutating func scatter(_ piece: UnsafeRawBufferPointer) {
            let values = piece.count / 4
            let width = PackedKernel.panelWidth
            let panelStride = rows * width
            piece.withMemoryRebound(to: Float.self) { source in
                var element = delivered
                var index = 0
                while index < values, element < rows * columns {
                    let k = element / columns
                    var j = element % columns
                    // The rest of row k in this piece, one panel segment at a time.
                    var run = min(columns - j, values - index)
                    while run > 0 {
                        let inPanel = j % width
                        let count = min(width - inPanel, run)
                        let out = (j / width) * panelStride + k * width + inPanel
                        for t in 0..<count { packed[out + t] = source[index + t] }
                        index += count
                        j += count
                        run -= count
                    }
                    element = k * columns + j
                }
                delivered = element
            }
        }

        /// Whether every element of the kernel has arrived.
        public var isComplete: Bool { delivered == rows * columns }
    }

    /// The plain (row-major `shape`) values of a packed kernel, made only when first read.
    public static func deferredPlain(_ packed: TensorData, shape: [Int]) -> TensorData? {
        guard let (rows, columns) = matrix(shape), byteCount(shape: shape) == packed.count else { return nil }
        return TensorData(deferredByteCount: rows * columns * 4) { raw in
            let dst = raw.bindMemory(to: Float.self)
            packed.withUnsafeBuffer(of: Float.self) { src in
                var at = 0
                for j0 in stride(from: 0, to: columns, by: panelWidth) {
                    let width = min(panelWidth, columns - j0)
                    for k in 0..<rows {
                        for j in 0..<width { dst[k * columns + j0 + j] = src[at + j] }
                        at += panelWidth
                    }
                }
            }
        }
    }
}
