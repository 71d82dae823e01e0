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
        return plain.withUnsafeBuffer(of: Float.self) { src in
            TensorData(byteCount: size) { raw in
                let dst = raw.bindMemory(to: Float.self)
                var out = 0
                for j0 in stride(from: 0, to: columns, by: panelWidth) {
                    let width = min(panelWidth, columns - j0)
                    for k in 0..<rows {
                        for j in 0..<width { dst[out + j] = src[k * columns + j0 + j] }
                        for j in width..<panelWidth { dst[out + j] = 0 }
                        out += panelWidth
                    }
                }
            }
        }
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
