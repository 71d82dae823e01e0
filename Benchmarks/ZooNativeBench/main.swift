// ZooNativeBench: the .zoo format's speed targets, measured on one model.
//
//     ZooNativeBench MODEL.h5 WORKDIR [--iterations N]
//
// Converts MODEL.h5 (a legacy Keras weights file) to WORKDIR/model.zoo, then measures, with the
// files in the page cache: opening the .zoo and taking a view of every tensor; reading the same
// weights from the HDF5 file with CheckpointReader; verify() of every checksum; and the whole
// streaming conversion (structure read, bind, each weight read + hashed + written, SHA-256 of the
// source beside it, fsync, rename) against the plain read, and its peak memory.
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

/// A field of /proc/self/status in bytes (0 where there is none).
func statusBytes(_ field: String) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
          let kb = Int(line.split(separator: " ").dropFirst().first(where: { !$0.isEmpty }) ?? "") else { return 0 }
    return kb * 1024
}

/// The process's peak resident size since start or the last `resetPeakRSS()`.
func peakRSS() -> Int { statusBytes("VmHWM") }

func currentRSS() -> Int { statusBytes("VmRSS") }

/// Resets the peak resident size to the current one (Linux: `echo 5 > /proc/self/clear_refs`).
func resetPeakRSS() {
    guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return }
    handle.write(Data("5".utf8))
    try? handle.close()
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
    // Conversion: the pipeline `zoo convert MODEL.h5 OUT.zoo` runs (structure read and bind,
    // each weight read, hashed and written at its offset, SHA-256 of the source on a second
    // thread, fsync, rename), against just reading every weight of the HDF5 file.
    // Conversions run before any full read, so the peak is theirs: the high-water mark is reset
    // once the libraries are loaded and initialised (HDF5 opened once), and that resident size
    // is the baseline. Then conversions and plain reads alternate, so both see the same cache.
    var readTimes: [Double] = [], convertTimes: [Double] = []
    var weightBytes = 0
    let rounds = max(5, iterations / 2)
    _ = try AnyCheckpointReader.detectFormat(source)
    resetPeakRSS()
    let baselineRSS = currentRSS()
    // Each conversion writes a new file: the previous output is removed before the clock
    // starts (replacing an existing 100 MB file makes ext4 free its extents inside rename(),
    // about 15 ms here, which is deleting, not converting).
    let name = URL(fileURLWithPath: source).lastPathComponent
    func convert() throws -> Double {
        unlink(zooPath)
        return try seconds {
            let written = try ZooExport.convertStreaming(source, sourceFile: name, to: zooPath, loader: ModelLoader(mode: .strict), options: .init())
            if written == nil { fail("\(source) did not take the streaming conversion path") }
        }
    }
    for _ in 0..<rounds { convertTimes.append(try convert()) }
    let convertPeakRSS = peakRSS()
    for _ in 0..<rounds {
        readTimes.append(try seconds { weightBytes = try CheckpointReader.read(source).byteCount })
        convertTimes.append(try convert())
    }
    // Writing the already-read model alone (layout, checksums, write, fsync, rename; hash
    // given), for the floor.
    var writeTimes: [Double] = []
    let held = try ModelLoader(mode: .strict).load(source)
    let heldSHA = try SHA256.hexDigest(ofFile: source)
    for _ in 0..<rounds {
        unlink(zooPath)
        writeTimes.append(try seconds { try ZooExport.write(held, sourceFile: name, sourceSHA256: heldSHA, to: zooPath, options: .init()) })
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
        "hdf5_read_ms": median(readTimes) * 1000, "hdf5_read_all_ms": readTimes.map { ($0 * 10000).rounded() / 10 },
        "zoo_open_and_view_ms": median(openTimes) * 1000, "zoo_open_min_ms": (openTimes.min() ?? 0) * 1000,
        "open_speedup_vs_hdf5_read": median(readTimes) / median(openTimes),
        "verify_ms": median(verifyTimes) * 1000, "verify_gbps": Double(weightBytes) / median(verifyTimes) / 1e9,
        "convert_all_ms": convertTimes.map { ($0 * 10000).rounded() / 10 }, "convert_ms": median(convertTimes) * 1000, "convert_over_read": median(convertTimes) / median(readTimes),
        "sha256_ms": median(shaTimes) * 1000, "write_held_model_ms": median(writeTimes) * 1000,
        "convert_peak_rss_bytes": convertPeakRSS, "convert_baseline_rss_bytes": baselineRSS,
        "convert_peak_above_baseline_bytes": convertPeakRSS - baselineRSS,
    ]
    let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} catch {
    fail("\(error)")
}
