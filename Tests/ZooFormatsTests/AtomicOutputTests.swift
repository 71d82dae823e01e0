import Foundation
import Testing
@testable import ZooFormats

@Suite struct AtomicOutputTests {
    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A failed write names the requested output, never the temporary file, and leaves nothing.
    @Test func failuresNameTheOutputNotTheTemporaryFile() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let output = dir + "/model.keras"
        struct Raw: Error, CustomStringConvertible { let text: String; var description: String { text } }
        let failures: [(String) -> Error] = [
            { FormatError.io(file: $0, reason: "disk full") },
            { FormatError.cannotWrite(file: $0 + ".members/model.weights.h5", reason: "no space") },
            { Raw(text: "cannot open \($0) for writing") },
        ]
        for make in failures {
            var seenTemporary = ""
            do {
                try AtomicOutput.write(to: output) { temporary in
                    seenTemporary = temporary
                    FileManager.default.createFile(atPath: temporary, contents: Data([1, 2, 3]))
                    throw make(temporary)
                }
                Issue.record("the write should have failed")
            } catch {
                let text = "\(error)"
                #expect(!text.contains(seenTemporary), "\(text)")
                #expect(text.contains(output), "\(text)")
            }
            #expect((try FileManager.default.contentsOfDirectory(atPath: dir)).isEmpty)
        }
    }

    @Test func foundationErrorsReadAsOneLine() {
        let error = CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "/x/y"])
        let reason = AtomicOutput.plainReason(error)
        #expect(!reason.contains("NSCocoaErrorDomain"))
        #expect(!reason.isEmpty)
    }
}
