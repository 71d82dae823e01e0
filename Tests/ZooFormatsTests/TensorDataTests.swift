import Foundation
import Testing
@testable import ZooFormats

/// Deferred bytes and giving mapped pages back: the values a reader sees never change.
@Suite struct TensorDataTests {
    @Test func deferredBytesAreMadeOnceOnFirstRead() {
        final class Calls: @unchecked Sendable { var count = 0; let lock = NSLock() }
        let calls = Calls()
        let data = TensorData(deferredByteCount: 12) { raw in
            calls.lock.lock(); calls.count += 1; calls.lock.unlock()
            let floats = raw.bindMemory(to: Float.self)
            for i in 0..<3 { floats[i] = Float(i) + 0.5 }
        }
        #expect(data.count == 12)
        #expect(calls.count == 0, "nothing is made before a read")
        DispatchQueue.concurrentPerform(iterations: 8) { _ in _ = data.array(of: Float.self) }
        #expect(data.array(of: Float.self) == [0.5, 1.5, 2.5])
        #expect(calls.count == 1)
    }

    @Test func releasedPagesReadBackFromTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-release-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let values = (0..<(300_000)).map { Float($0) * 0.25 }
        try values.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: path))
        let file = try MappedFile(path: path)
        #expect(file.isMapped)
        let view = TensorData(viewing: file.bytes.baseAddress! + 4096, count: 1_000_000, owner: file)
        let before = view.array(of: Float.self)
        view.releasePages()
        file.releasePages(0..<file.bytes.count)
        #expect(view.array(of: Float.self) == before)
        #expect(before.first == values[1024] && before.last == values[1024 + 249_999])
        // Data that is not a file view is left alone.
        let owned = TensorData(values: values)
        owned.releasePages()
        #expect(owned.array(of: Float.self) == values)
    }
}
