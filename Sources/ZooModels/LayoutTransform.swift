/// How a weight's layout in a file differs from Keras's layout (Conv2D HWIO, Dense `(in, out)`).
public enum LayoutTransform: Codable, Equatable, Sendable {
    case identity
    /// PyTorch conv weight `(out, in, kh, kw)` against Keras `(kh, kw, in, out)`.
    case oihw
    /// PyTorch Linear weight `(out, in)` against Keras `(in, out)`.
    case transposed
    /// VGG's first Dense after Flatten: PyTorch flattens NCHW, Keras NHWC, so the input rows are
    /// permuted as well as transposed. `height`, `width`, `channels` are the flattened feature map.
    case transposedFromNCHW(height: Int, width: Int, channels: Int)

    /// The shape in the file for a Keras-layout shape.
    public func fileShape(forKeras shape: [Int]) -> [Int] {
        switch self {
        case .identity: return shape
        case .oihw: return shape.count == 4 ? [shape[3], shape[2], shape[0], shape[1]] : shape
        case .transposed, .transposedFromNCHW: return shape.count == 2 ? [shape[1], shape[0]] : shape
        }
    }

    /// The element permutation from Keras layout to file layout: `file[i] = keras[map[i]]`.
    func fileToKerasIndex(kerasShape shape: [Int]) -> [Int] {
        switch self {
        case .identity:
            return Array(0..<shape.reduce(1, *))
        case .oihw:
            let (kh, kw, ci, co) = (shape[0], shape[1], shape[2], shape[3])
            var map = [Int](repeating: 0, count: kh * kw * ci * co)
            var i = 0
            for o in 0..<co { for c in 0..<ci { for h in 0..<kh { for w in 0..<kw {
                map[i] = ((h * kw + w) * ci + c) * co + o
                i += 1
            } } } }
            return map
        case .transposed:
            let (rows, cols) = (shape[0], shape[1])
            var map = [Int](repeating: 0, count: rows * cols)
            for o in 0..<cols { for r in 0..<rows { map[o * rows + r] = r * cols + o } }
            return map
        case .transposedFromNCHW(let height, let width, let channels):
            let cols = shape[1]
            var map = [Int](repeating: 0, count: shape[0] * cols)
            // File row (out o, input index in NCHW order c*H*W + h*W + w) takes Keras row
            // (input index in NHWC order (h*W + w)*C + c, out o).
            for o in 0..<cols {
                for c in 0..<channels { for h in 0..<height { for w in 0..<width {
                    let fileIn = (c * height + h) * width + w
                    let kerasIn = (h * width + w) * channels + c
                    map[o * shape[0] + fileIn] = kerasIn * cols + o
                } } }
            }
            return map
        }
    }

    /// Rearranges raw elements of `elementSize` bytes from Keras layout to file layout.
    public func toFile(_ bytes: UnsafeRawBufferPointer, kerasShape: [Int], elementSize: Int, into out: UnsafeMutableRawBufferPointer) {
        permute(bytes, map: fileToKerasIndex(kerasShape: kerasShape), elementSize: elementSize, into: out, forward: true)
    }

    /// Rearranges raw elements from file layout back to Keras layout.
    public func toKeras(_ bytes: UnsafeRawBufferPointer, kerasShape: [Int], elementSize: Int, into out: UnsafeMutableRawBufferPointer) {
        permute(bytes, map: fileToKerasIndex(kerasShape: kerasShape), elementSize: elementSize, into: out, forward: false)
    }

    private func permute(_ source: UnsafeRawBufferPointer, map: [Int], elementSize: Int, into out: UnsafeMutableRawBufferPointer, forward: Bool) {
        // Sizes that disagree with the map (data not read, a caller's mistake) leave `out` as is.
        guard let src = source.baseAddress, let dst = out.baseAddress,
              source.count >= map.count * elementSize, out.count >= map.count * elementSize else { return }
        for (fileIndex, kerasIndex) in map.enumerated() {
            let (from, to) = forward ? (kerasIndex, fileIndex) : (fileIndex, kerasIndex)
            (dst + to * elementSize).copyMemory(from: src + from * elementSize, byteCount: elementSize)
        }
    }
}
