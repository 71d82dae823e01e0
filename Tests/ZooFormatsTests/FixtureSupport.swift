import Foundation
import Testing
@testable import ZooFormats

/// Paths of the shipped fixtures and the expected values the fixture script computed with h5py.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    struct Expected: Decodable {
        struct Layer: Decodable { let name: String; let weights: [Weight] }
        struct Weight: Decodable {
            let name: String; let path: String; let shape: [Int]; let dtype: String
            let sum: Double; let first: [Double]
        }
        let format: String
        let keras_version: String?
        let backend: String?
        let layers: [Layer]
        let total_params: Int
        let layer_classes: [String: String]?
    }

    static func expected(_ name: String) throws -> Expected {
        let data = try Data(contentsOf: directory.appendingPathComponent("expected/\(name).json"))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    /// Every good fixture with the layout it holds.
    static let good: [(String, CheckpointFormat)] = [
        ("tiny.legacy.h5", .kerasH5Weights), ("tiny.tfera.h5", .kerasH5Weights), ("tiny.split.h5", .kerasH5Weights),
        ("tiny.f16.h5", .kerasH5Weights), ("tiny.model.h5", .kerasH5Model), ("tiny.weights.h5", .keras3Weights),
        ("tiny.keras", .kerasArchive),
    ]
}

/// Float values of a weight, whatever its stored dtype.
func floatValues(_ weight: Weight) -> [Double] {
    switch weight.dtype {
    case .float32: return weight.data.array(of: Float.self).map(Double.init)
    case .float64: return weight.data.array(of: Double.self)
    case .float16: return weight.data.array(of: UInt16.self).map { Double(TensorStatistics.halfToFloat($0)) }
    case .bfloat16: return weight.data.array(of: UInt16.self).map { Double(Float(bitPattern: UInt32($0) << 16)) }
    case .int32: return weight.data.array(of: Int32.self).map(Double.init)
    case .int64: return weight.data.array(of: Int64.self).map(Double.init)
    case .uint8: return weight.data.array(of: UInt8.self).map(Double.init)
    }
}

/// A fresh directory removed when the value goes away.
final class TemporaryDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "swiftzoo-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path).sorted()) ?? [] }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
