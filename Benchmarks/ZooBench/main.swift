// ZooBench: how fast ZooFormats reads every weight of a Keras weight file.
//
//     ZooBench FILE [--iterations N] [--warmup W]
//
// Reads FILE with `CheckpointReader.read` W times untimed (default 1), then N times timed
// (default 20), each read fully loading every weight tensor into memory and releasing it again
// before the next. Prints one JSON line: median and minimum wall time in ms, GB/s (weight bytes
// over the median and the minimum time, 1 GB = 1e9 bytes), and memory from /proc/self/status:
// VmRSS before the first read (baseline) and VmHWM at the end (peak), against the total
// weight bytes. The baseline is taken after libhdf5 is initialised (a tiny HDF5 file written and
// read back through ZooHDF5, then deleted), so the library's code and start-up allocations count
// in the baseline as they do in h5py's, whose baseline is taken after `import h5py`; VmRSS at
// process start is reported too (start_rss_bytes). Benchmarks/run.sh runs it next to the h5py
// peer (Benchmarks/peers/h5py_read.py).

import Foundation
import ZooFormats
import ZooHDF5

struct Options {
    var path = ""
    var iterations = 20
    var warmup = 1
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ZooBench: error: \(message)\n".utf8))
    exit(1)
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    var positional: [String] = []
    func count(_ flag: String, _ value: String?, minimum: Int) -> Int {
        guard let value, let number = Int(value), number >= minimum else {
            fail("\(flag) needs a whole number >= \(minimum)")
        }
        return number
    }
    while let argument = arguments.popFirst() {
        switch argument {
        case "--iterations": options.iterations = count(argument, arguments.popFirst(), minimum: 1)
        case "--warmup": options.warmup = count(argument, arguments.popFirst(), minimum: 0)
        case "-h", "--help":
            print("usage: ZooBench FILE [--iterations N (default 20)] [--warmup W (default 1)]")
            exit(0)
        default:
            if argument.hasPrefix("--") { fail("unknown option \(argument)") }
            positional.append(argument)
        }
    }
    guard positional.count == 1 else { fail("expected exactly one FILE argument (got \(positional.count))") }
    options.path = positional[0]
    return options
}

/// A `kB` field of /proc/self/status in bytes (Linux only; nil elsewhere).
func procStatusBytes(_ field: String) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        let digits = line.dropFirst(field.count + 1).filter(\.isNumber)
        return Int(digits).map { $0 * 1024 }
    }
    return nil
}

func milliseconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) * 1e3 + Double(parts.attoseconds) / 1e15
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default:
            if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
        }
    }
    return out + "\""
}

func jsonNumber(_ value: Double?, digits: Int = 3) -> String {
    guard let value, value.isFinite else { return "null" }
    return String(format: "%.\(digits)f", value)
}

/// Initialises libhdf5 before the baseline: writes a tiny HDF5 file (one attribute, one float32
/// dataset) through ZooHDF5, opens it again, reads it back, closes and deletes it.
func initialiseHDF5() {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("zoobench-init-\(getpid()).h5").path
    defer { unlink(path) }
    do {
        do {
            let file = try HDF5File.create(path)
            let root = try file.root()
            try root.setAttribute("note", .string("ZooBench libhdf5 initialisation"))
            let values: [Float] = [1, 2, 3, 4]
            _ = try values.withUnsafeBytes { try root.createDataset("x", type: .float32, shape: [4], bytes: $0) }
        }  // closed here: the file goes when its last object does
        let file = try HDF5File.open(path)
        let root = try file.root()
        _ = try root.children()
        _ = try root.attribute("note")
        _ = try root.dataset("x").readBytes()
    } catch {
        fail("initialising libhdf5 with \(path): \(error)")
    }
}

let options = parseOptions()
let startRSS = procStatusBytes("VmRSS")
let startFileRSS = procStatusBytes("RssFile")
initialiseHDF5()
let baselineRSS = procStatusBytes("VmRSS")
let baselineFileRSS = procStatusBytes("RssFile")

/// One full read; returns the weight count, parameter count, weight bytes and format.
/// The checkpoint is released when this returns, before the next read starts.
@inline(never)
func readOnce(_ path: String) throws -> (weights: Int, params: Int, bytes: Int, format: String) {
    let checkpoint = try CheckpointReader.read(path)
    let weights = checkpoint.layers.reduce(0) { $0 + $1.weights.count }
    return (weights, checkpoint.parameterCount, checkpoint.byteCount, checkpoint.format.rawValue)
}

var shape: (weights: Int, params: Int, bytes: Int, format: String) = (0, 0, 0, "")
var times: [Double] = []
let clock = ContinuousClock()
do {
    for _ in 0..<options.warmup { shape = try readOnce(options.path) }
    for _ in 0..<options.iterations {
        var result = shape
        let elapsed = try clock.measure { result = try readOnce(options.path) }
        shape = result
        times.append(milliseconds(elapsed))
    }
} catch {
    fail("\(error)")
}

let peakRSS = procStatusBytes("VmHWM")
let endFileRSS = procStatusBytes("RssFile")
let medianMs = median(times)
let minMs = times.min() ?? .nan
let bytes = Double(shape.bytes)
var fields: [(String, String)] = [
    ("tool", jsonString("zoo")),
    ("file", jsonString(options.path)),
    ("format", jsonString(shape.format)),
    ("libhdf5", jsonString(HDF5File.libraryVersion)),
    ("iterations", String(options.iterations)),
    ("warmup", String(options.warmup)),
    ("weights", String(shape.weights)),
    ("params", String(shape.params)),
    ("weight_bytes", String(shape.bytes)),
    ("median_ms", jsonNumber(medianMs)),
    ("min_ms", jsonNumber(minMs)),
    ("gbps_median", jsonNumber(bytes / (medianMs / 1e3) / 1e9)),
    ("gbps_best", jsonNumber(bytes / (minMs / 1e3) / 1e9)),
    // VmRSS at process start, and after libhdf5 was initialised (the baseline).
    ("start_rss_bytes", startRSS.map(String.init) ?? "null"),
    ("baseline_rss_bytes", baselineRSS.map(String.init) ?? "null"),
    ("peak_rss_bytes", peakRSS.map(String.init) ?? "null"),
    // File-backed resident pages (mostly library code faulted in), at start, at the baseline and at the end.
    ("start_rss_file_bytes", startFileRSS.map(String.init) ?? "null"),
    ("baseline_rss_file_bytes", baselineFileRSS.map(String.init) ?? "null"),
    ("end_rss_file_bytes", endFileRSS.map(String.init) ?? "null"),
]
if let peakRSS, let baselineRSS, shape.bytes > 0 {
    fields.append(("peak_over_baseline_bytes", String(peakRSS - baselineRSS)))
    fields.append(("peak_rss_per_weight_byte", jsonNumber(Double(peakRSS) / bytes, digits: 4)))
    fields.append(("peak_over_baseline_per_weight_byte", jsonNumber(Double(peakRSS - baselineRSS) / bytes, digits: 4)))
}
fields.append(("times_ms", "[" + times.map { jsonNumber($0) }.joined(separator: ", ") + "]"))
print("{" + fields.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}")
