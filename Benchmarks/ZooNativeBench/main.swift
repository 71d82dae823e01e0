// ZooNativeBench: the .zoo format's speed targets, measured on one model.
//
//     ZooNativeBench MODEL.h5 WORKDIR [--iterations N]
//
// Converts MODEL.h5 (a legacy Keras weights file) to WORKDIR/model.zoo, then measures, with the
// files in the page cache: opening the .zoo and taking a view of every tensor; reading the same
// weights from the HDF5 file with CheckpointReader; verify() of every checksum; and the whole
// conversion (read, bind, SHA-256 of the source, write, fsync, rename) against the plain read.
// Prints one JSON object. Benchmarks/native.sh runs it next to Python safetensors.

import Foundation
import ZooFormats
import ZooModels
import ZooNative

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ZooNativeBench: error: \(message)\n".utf8))
    exit(1)
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now()
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

func peakRSS() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kb = Int(line.split(separator: " ").dropFirst().first(where: { !$0.isEmpty }) ?? "") else { return 0 }
    return kb * 1024
}

var arguments = Array(CommandLine.arguments.dropFirst())
var iterations = 20
if let i = arguments.firstIndex(of: "--iterations"), i + 1 < arguments.count, let n = Int(arguments[i + 1]) {
    iterations = max(3, n)
    arguments.removeSubrange(i...(i + 1))
}
guard arguments.count == 2 else { fail("usage: ZooNativeBench MODEL.h5 WORKDIR [--iterations N]") }
let source = arguments[0], workdir = arguments[1]
let zooPath = workdir + "/model.zoo"

do {
    // Conversion: the full pipeline the CLI runs, against just reading the HDF5 file.
    var readTimes: [Double] = [], convertTimes: [Double] = []
    var weightBytes = 0
    for _ in 0..<max(3, iterations / 4) {
        readTimes.append(try seconds { weightBytes = try CheckpointReader.read(source).byteCount })
        convertTimes.append(try seconds {
            let loaded = try ModelLoader(mode: .strict).load(source)
            let sha = try SHA256.hexDigest(ofFile: source)
            try ZooExport.write(loaded, sourceFile: URL(fileURLWithPath: source).lastPathComponent, sourceSHA256: sha, to: zooPath, options: .init())
        })
    }
    var shaTimes: [Double] = []
    for _ in 0..<3 { shaTimes.append(try seconds { _ = try SHA256.hexDigest(ofFile: source) }) }
    // Open + a view of every tensor.
    var openTimes: [Double] = []
    var tensors = 0
    for _ in 0..<(iterations * 10) {
        openTimes.append(try seconds {
            let reader = try ZooFileReader(path: zooPath)
            var touched = 0
            for entry in reader.entries { touched += try reader.tensor(entry.name).count }
            tensors = reader.entries.count
            precondition(touched == weightBytes)
        })
    }
    // verify(): every checksum, the mapping already made.
    let reader = try ZooFileReader(path: zooPath, populate: true)
    try reader.verify()
    var verifyTimes: [Double] = []
    for _ in 0..<iterations { verifyTimes.append(try seconds { try reader.verify() }) }
    let result: [String: Any] = [
        "source": source, "zoo": zooPath, "tensors": tensors, "weight_bytes": weightBytes, "iterations": iterations,
        "hdf5_read_ms": median(readTimes) * 1000,
        "zoo_open_and_view_ms": median(openTimes) * 1000, "zoo_open_min_ms": (openTimes.min() ?? 0) * 1000,
        "open_speedup_vs_hdf5_read": median(readTimes) / median(openTimes),
        "verify_ms": median(verifyTimes) * 1000, "verify_gbps": Double(weightBytes) / median(verifyTimes) / 1e9,
        "convert_ms": median(convertTimes) * 1000, "convert_over_read": median(convertTimes) / median(readTimes),
        "sha256_ms": median(shaTimes) * 1000,
        "convert_peak_rss_bytes": peakRSS(),
    ]
    let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} catch {
    fail("\(error)")
}
