/// Owns the memory of one output tensor that several threads fill (each its own images) before
/// it is handed out, without a copy, as a `TensorData` view.
final class OutputBuffer: @unchecked Sendable {
    let floats: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        floats = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64).bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { floats.deallocate() }
}
