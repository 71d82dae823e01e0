import Foundation

/// The packed matrices of a model's convolutions and Dense layers, shared by all its plans.
///
/// Every plan (one per batch size, requested outputs and thread count) needs the same packed
/// weights, and a model that runs images in parallel uses two plans at once; packing once keeps
/// one copy of the weights in memory instead of one per plan.
final class PreparedWeights: @unchecked Sendable {
    private var matrices: [String: MatrixMultiply.PreparedMatrix] = [:]
    private let lock = NSLock()

    /// The packed matrix for `key` (the layer name, plus whether a BatchNormalization was
    /// folded into it), made by `make` the first time.
    func matrix(_ key: String, make: () throws -> MatrixMultiply.PreparedMatrix) rethrows -> MatrixMultiply.PreparedMatrix {
        lock.lock()
        if let matrix = matrices[key] { lock.unlock(); return matrix }
        lock.unlock()
        let matrix = try make()
        lock.lock()
        defer { lock.unlock() }
        if let existing = matrices[key] { return existing }
        matrices[key] = matrix
        return matrix
    }
}
