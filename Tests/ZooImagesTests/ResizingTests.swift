import Foundation
import Testing
@testable import ZooImages

/// Checks both Keras resize paths against outputs of the real libraries, written by
/// Fixtures/images/make_resize_fixtures.py (TensorFlow 2.18.1, Keras 3.15.1, Pillow 13.0.0).
@Suite struct ResizingTests {
    // MARK: Fixtures

    /// A parsed .npy array: uint8 or float32, C order.
    struct NumpyArray {
        var shape: [Int]
        var bytes: [UInt8]?
        var floats: [Float]?
    }

    static let fixtureDirectory: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/images/resize")

    static func loadNumpy(_ name: String) throws -> NumpyArray {
        let data = [UInt8](try Data(contentsOf: fixtureDirectory.appendingPathComponent(name)))
        guard data.count > 10, data[0] == 0x93, data[1] == UInt8(ascii: "N") else { throw ImageError.invalidArgument("\(name): not .npy") }
        let headerLength: Int
        let headerStart: Int
        if data[6] == 1 {
            headerLength = Int(data[8]) | Int(data[9]) << 8
            headerStart = 10
        } else {
            headerLength = Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24
            headerStart = 12
        }
        let header = String(decoding: data[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        let payload = Array(data[(headerStart + headerLength)...])
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw ImageError.invalidArgument("\(name): no shape")
        }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        if header.contains("'<f4'") {
            var floats = [Float](repeating: 0, count: payload.count / 4)
            for i in 0..<floats.count {
                let bits = UInt32(payload[4 * i]) | UInt32(payload[4 * i + 1]) << 8 | UInt32(payload[4 * i + 2]) << 16 | UInt32(payload[4 * i + 3]) << 24
                floats[i] = Float(bitPattern: bits)
            }
            return NumpyArray(shape: shape, bytes: nil, floats: floats)
        }
        guard header.contains("'|u1'") else { throw ImageError.invalidArgument("\(name): unexpected dtype \(header)") }
        return NumpyArray(shape: shape, bytes: payload, floats: nil)
    }

    struct Manifest {
        var sources: [String: String]
        var cases: [[String: Any]]
    }

    static func manifest() throws -> Manifest {
        let data = try Data(contentsOf: fixtureDirectory.appendingPathComponent("manifest.json"))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let sources = root["sources"] as? [String: String], let cases = root["cases"] as? [[String: Any]] else {
            throw ImageError.invalidArgument("bad manifest")
        }
        return Manifest(sources: sources, cases: cases)
    }

    static func sourceImage(_ name: String, _ manifest: Manifest) throws -> Image {
        let array = try loadNumpy(manifest.sources[name] ?? "")
        return try Image(width: array.shape[1], height: array.shape[0], channels: array.shape[2], pixels: array.bytes ?? [])
    }

    /// Per-method tolerances on 0...255 data (nearest copies values, so it must be exact). On
    /// x86-64 Linux every method currently matches TensorFlow bit for bit; the slack covers
    /// libm differences (sinf, exp) on other platforms.
    static func tolerance(_ method: DatasetInterpolation) -> Float {
        switch method {
        case .nearest: return 0
        case .bilinear: return 1e-5
        default: return 1e-4
        }
    }

    // MARK: TensorFlow path

    @Test func tensorFlowMatchesFixtures() throws {
        let manifest = try Self.manifest()
        var worst: [String: Float] = [:]
        var checked = 0
        for entry in manifest.cases {
            guard let path = entry["path"] as? String, path == "tf" || path == "tf_float",
                  let sourceName = entry["source"] as? String, let height = entry["height"] as? Int, let width = entry["width"] as? Int,
                  let methods = entry["methods"] as? [String], let aspectName = entry["aspect"] as? String,
                  let aspect = AspectRatioMode(rawValue: aspectName), let file = entry["expected"] as? String else { continue }
            let expected = try Self.loadNumpy(file)
            let expectedValues = try #require(expected.floats)
            let perMethod = height * width * expected.shape[3]
            for (m, methodName) in methods.enumerated() {
                let method = try #require(DatasetInterpolation(rawValue: methodName))
                let result: FloatImage
                if path == "tf_float" {
                    let array = try Self.loadNumpy(manifest.sources[sourceName] ?? "")
                    let source = try FloatImage(width: array.shape[1], height: array.shape[0], channels: array.shape[2], pixels: array.floats ?? [])
                    result = try TensorFlowResize.resize(source, height: height, width: width, method: method)
                } else {
                    let source = try Self.sourceImage(sourceName, manifest)
                    result = try TensorFlowResize.resize(source, height: height, width: width, method: method, aspectRatio: aspect)
                }
                #expect(result.height == height && result.width == width)
                let want = expectedValues[(m * perMethod)..<((m + 1) * perMethod)]
                var maxDiff: Float = 0
                for (a, b) in zip(result.pixels, want) { maxDiff = max(maxDiff, abs(a - b)) }
                // Float sources are not on the 0...255 scale everywhere; scale the bound with them.
                let bound = Self.tolerance(method) * (path == "tf_float" ? 2 : 1)
                #expect(maxDiff <= bound, "\(file) \(methodName): max diff \(maxDiff)")
                worst[methodName] = max(worst[methodName] ?? 0, maxDiff)
                checked += 1
            }
        }
        #expect(checked > 100)
        print("TensorFlow path, max abs diff per method over \(checked) resizes: \(worst.sorted { $0.key < $1.key })")
    }

    @Test func aspectCropRejectsMethodsSmartResizeRejects() throws {
        let image = try Image(width: 5, height: 3, channels: 3, filledWith: 9)
        #expect(throws: ImageError.self) { try TensorFlowResize.resize(image, height: 2, width: 2, method: .gaussian, aspectRatio: .crop) }
        #expect(throws: ImageError.self) { try TensorFlowResize.resize(image, height: 2, width: 2, method: .mitchellcubic, aspectRatio: .crop) }
        let padded = try TensorFlowResize.resize(image, height: 4, width: 4, method: .gaussian, aspectRatio: .pad)
        #expect(padded.height == 4 && padded.width == 4)
    }

    // MARK: Pillow path

    @Test func pillowMatchesFixturesExactly() throws {
        let manifest = try Self.manifest()
        var checked = 0
        var mismatches: [String: Int] = [:]
        for entry in manifest.cases {
            guard let path = entry["path"] as? String, path == "pil" || path == "load_img",
                  let sourceName = entry["source"] as? String, let height = entry["height"] as? Int, let width = entry["width"] as? Int,
                  let methods = entry["methods"] as? [String], let file = entry["expected"] as? String else { continue }
            let expected = try Self.loadNumpy(file)
            let expectedBytes = try #require(expected.bytes)
            let perMethod = expected.shape[1] * expected.shape[2] * expected.shape[3]
            let source = try Self.sourceImage(sourceName, manifest)
            for (m, methodName) in methods.enumerated() {
                let filter = try #require(PillowInterpolation(rawValue: methodName))
                let result: Image
                if path == "load_img" {
                    let keep = entry["keep_aspect_ratio"] as? Bool ?? false
                    result = try PillowResize.loadImageResize(source, height: height, width: width, interpolation: filter, keepAspectRatio: keep)
                } else {
                    var box: (x0: Double, y0: Double, x1: Double, y1: Double)?
                    if let b = entry["box"] as? [Double], b.count == 4 { box = (b[0], b[1], b[2], b[3]) }
                    result = try PillowResize.resize(source, width: width, height: height, filter: filter, box: box)
                }
                #expect(result.width == expected.shape[2] && result.height == expected.shape[1])
                let want = Array(expectedBytes[(m * perMethod)..<((m + 1) * perMethod)])
                let differing = zip(result.pixels, want).filter { $0 != $1 }.count
                #expect(differing == 0, "\(file) \(methodName): \(differing) of \(want.count) bytes differ")
                if differing > 0 { mismatches["\(file) \(methodName)"] = differing }
                checked += 1
            }
        }
        #expect(checked > 100)
        print("Pillow path: \(checked) resizes, mismatches: \(mismatches)")
    }

    // MARK: Arguments and concurrency

    @Test func invalidArgumentsThrow() throws {
        let image = try Image(width: 4, height: 3, channels: 3, filledWith: 7)
        for (h, w) in [(0, 4), (4, 0), (-1, 3), (1 << 20, 2), (1 << 15, 1 << 15)] {
            for method in DatasetInterpolation.allCases {
                #expect(throws: ImageError.self) { try TensorFlowResize.resize(image, height: h, width: w, method: method) }
            }
            for filter in PillowInterpolation.allCases {
                #expect(throws: ImageError.self) { try PillowResize.resize(image, width: w, height: h, filter: filter) }
                #expect(throws: ImageError.self) { try PillowResize.loadImageResize(image, height: h, width: w, interpolation: filter, keepAspectRatio: true) }
            }
        }
        let badBoxes: [(Double, Double, Double, Double)] = [(-1, 0, 2, 2), (0, 0, 5, 3), (0, 0, 4, 4), (3, 0, 1, 2), (.nan, 0, 2, 2), (0, 0, .infinity, 2)]
        for box in badBoxes {
            #expect(throws: ImageError.self) { try PillowResize.resize(image, width: 2, height: 2, filter: .bilinear, box: (box.0, box.1, box.2, box.3)) }
        }
        // Pad into a target so thin the fitted image is empty.
        let wide = try Image(width: 100, height: 1, channels: 1, filledWith: 1)
        #expect(throws: ImageError.self) { try TensorFlowResize.resize(wide, height: 10, width: 5, method: .bilinear, aspectRatio: .pad) }
    }

    @Test func oddShapesNeverCrash() throws {
        let rng = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for channels in 1...4 {
            for (w, h) in [(1, 1), (1, 7), (9, 1), (3, 2)] {
                let image = try Image(width: w, height: h, channels: channels, pixels: Array(rng.prefix(w * h * channels)))
                for (tw, th) in [(1, 1), (1, 13), (17, 1), (5, 4)] {
                    for method in DatasetInterpolation.allCases {
                        for aspect in [AspectRatioMode.stretch, .crop, .pad] {
                            _ = try? TensorFlowResize.resize(image, height: th, width: tw, method: method, aspectRatio: aspect)
                        }
                    }
                    for filter in PillowInterpolation.allCases {
                        _ = try PillowResize.resize(image, width: tw, height: th, filter: filter)
                        _ = try PillowResize.resize(image, width: tw, height: th, filter: filter, box: (0, 0, 0, 0))
                        _ = try PillowResize.loadImageResize(image, height: th, width: tw, interpolation: filter, keepAspectRatio: true)
                    }
                }
            }
        }
    }

    @Test func concurrentUseGivesIdenticalResults() async throws {
        var pixels = [UInt8](repeating: 0, count: 61 * 47 * 3)
        for i in pixels.indices { pixels[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 7) }
        let image = try Image(width: 61, height: 47, channels: 3, pixels: pixels)
        let referenceTF = try DatasetInterpolation.allCases.map { try TensorFlowResize.resize(image, height: 20, width: 33, method: $0) }
        let referencePIL = try PillowInterpolation.allCases.map { try PillowResize.resize(image, width: 33, height: 20, filter: $0) }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let tf = try DatasetInterpolation.allCases.map { try TensorFlowResize.resize(image, height: 20, width: 33, method: $0) }
                    let pil = try PillowInterpolation.allCases.map { try PillowResize.resize(image, width: 33, height: 20, filter: $0) }
                    return tf == referenceTF && pil == referencePIL
                }
            }
            for try await same in group { #expect(same) }
        }
    }
}
