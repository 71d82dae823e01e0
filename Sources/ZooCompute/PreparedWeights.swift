import Foundation

/// The packed matrices of a model's convolutions and Dense layers, shared by all its plans.
///
/// Every plan (one per batch size, requested outputs and thread count) needs the same packed
/// weights, and a model that runs images in parallel uses two plans at once; packing once keeps
/// one copy of the weights in memory instead of one per plan.
final class PreparedWeights: @unchecked Sendable {
    private var values: [String: AnyObject] = [:]
    private let lock = NSLock()

    /// The prepared weights for `key` (the layer name, plus whether a BatchNormalization was
    /// folded into it and how they are laid out), made by `make` the first time.
    func value<T: AnyObject>(_ key: String, make: () throws -> T) rethrows -> T {
        lock.lock()
        if let value = values[key] as? T { lock.unlock(); return value }
        lock.unlock()
        let value = try make()
        lock.lock()
        defer { lock.unlock() }
        if let existing = values[key] as? T { return existing }
        values[key] = value
        return value
    }
}
