import Foundation

/// A fresh directory under the system temporary folder, removed when the value is deinitialised.
final class TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "swiftzoo-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
