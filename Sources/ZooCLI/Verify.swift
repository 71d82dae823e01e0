import ArgumentParser
import Foundation
import ZooFormats
import ZooNative

/// `zoo verify FILE`: structure and checksums.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a file's structure and, for .zoo files, every checksum.",
        discussion: "Exit status 0 when the file is sound; 1 with the bad tensor's name when it is not."
    )

    @Argument(help: "The file to check.") var file: String

    func run() throws {
        let start = DispatchTime.now()
        let format = try AnyCheckpointReader.detectFormat(file)
        if format == .zoo {
            let reader = try ZooFileReader(path: file, populate: true)
            try reader.verify()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            let bytes = reader.entries.reduce(0) { $0 + $1.length }
            print("ok: \(file): zoo \(reader.version.major).\(reader.version.minor), \(reader.entries.count) tensors, header and \(reader.entries.count) tensor checksums and the whole-file checksum verified (\(InspectReport.bytes(bytes)) in \(String(format: "%.1f", seconds * 1000)) ms)")
        } else {
            // Formats without checksums: read every tensor through the validating reader.
            let checkpoint = try AnyCheckpointReader.read(file).checkpoint
            print("ok: \(file): \(format.rawValue), \(checkpoint.allWeights.count) tensors read and structurally valid (this format has no checksums)")
        }
    }
}
