// libFuzzer harness for the parsers that read untrusted files: the `.zoo` header/tensor-table
// parser (`ZooFileReader`), the safetensors reader (`SafetensorsFile.read`, with its own strict
// JSON parser), the NumPy readers behind `zoo predict` (`NumpyArray.read` for .npy,
// `NumpyArchive.read` for .npz with its bounded zip reader), the Keras model-config importer
// (`KerasConfigImporter`, `KerasModelConfig`), the `.keras` archive reader (the zip reader,
// member extraction and checks, through `CheckpointReader.read`) and the image decoders.
// See Tests/Fuzz/README.md.
//
// Built two ways from this one file:
//  - with `-D FUZZING` (and `-sanitize=fuzzer,address`): exports `LLVMFuzzerTestOneInput`,
//    and libFuzzer drives it (Tests/Fuzz/run.sh builds it that way);
//  - without (a plain `swift build`): a corpus replayer, `ZooFuzz FILE|DIR...`, which runs every
//    input once through the same code and exits 0 when nothing crashed.
//
// Input layout: byte 0 selects the target and options, the remaining bytes are the file.
//
//   bit 0      0: .zoo                              1: safetensors
//   .zoo:
//   bit 1      1: recompute the header checksum, so mutations reach the tensor table, metadata
//                 and graph parsers instead of stopping at the XXH64 check
//   bit 2      1: when the file opens, recompute every tensor checksum, the header checksum
//                 and the whole-file checksum, so `verify()` and lazy/eager verification run to
//                 the end (the gap check still fails on non-zero padding)
//   bits 3-4   verification: 0 .none, 1 .lazy, 2 .eager, 3 .none
//   odd selectors, bits 2-3: 0 safetensors, 1 .npy, 2 .npz, 3 the image decoders (bit 1 set;
//                 options in bits 4-7, see fuzzImage) or, bit 1 clear, by bits 4-5: 1 the Keras
//                 config importer (0x1D), 2 the .keras zip reader (0x2D), 0 or 3 safetensors
//   safetensors:
//   bit 1      0: feed the bytes through a pipe (MappedFile reads them into an exactly-sized
//                 heap buffer, so AddressSanitizer sees any read past the end)
//              1: a regular temporary file (the mmap path, plus `isSafetensors`)
//   .npy / .npz / .keras: a regular temporary file; config: the bytes as UTF-8 text
//
// ZOOFUZZ_TARGET=zoo|safetensors|npy|npz|config|zip|image sends every input to that one target
// (byte 0 still comes off, and keeps its option bits for .zoo, safetensors and images), so a
// campaign spends all its executions on one parser; unset (or `all`) dispatches on byte 0.
//
// A graph decoded from a `.zoo` file is also queried through ZooGraph's public API (node lookup,
// ancestors, topological order, parameter counts, cut), as `zoo summary` / `zoo slice` do; this
// found four crashes (fixed in f8e760f, Docs/FUZZING.md). ZOOFUZZ_GRAPH=0 turns that off.

import Foundation
import ZooFormats
import ZooGraph
import ZooImages
import ZooModels
import ZooNative
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps the bytes the harness touches observable, so the reads are not optimised away.
nonisolated(unsafe) var sink: UInt64 = 0

func flag(_ name: String) -> Bool { ProcessInfo.processInfo.environment[name].map { $0 != "" && $0 != "0" } ?? false }
let exerciseGraph = ProcessInfo.processInfo.environment["ZOOFUZZ_GRAPH"] != "0"
/// ZOOFUZZ_VERBOSE=1: say, per input, how far it got (for checking that seeds parse).
let verbose = flag("ZOOFUZZ_VERBOSE")

func note(_ message: @autoclosure () -> String) {
    if verbose { FileHandle.standardError.write(Data("  \(message())\n".utf8)) }
}

/// The value of `body`, or nil after noting the error it threw.
func attempt<T>(_ what: String, _ body: () throws -> T) -> T? {
    do {
        let value = try body()
        note("\(what): ok")
        return value
    } catch {
        note("\(what): \(error)")
        return nil
    }
}

/// Reads the first and last byte of a tensor: AddressSanitizer reports a view that runs past
/// the buffer it points into.
@inline(never)
func touch(_ data: TensorData) {
    data.withUnsafeBytes { bytes in
        guard bytes.count > 0 else { return }
        sink &+= UInt64(bytes[0]) &+ UInt64(bytes[bytes.count - 1]) &+ UInt64(bytes.count)
    }
}

func touch(_ checkpoint: Checkpoint) {
    for layer in checkpoint.layers {
        sink &+= UInt64(layer.name.utf8.count)
        for weight in layer.weights {
            touch(weight.data)
            sink &+= UInt64(truncatingIfNeeded: weight.elementCount)
        }
    }
    sink &+= UInt64(truncatingIfNeeded: checkpoint.byteCount) &+ UInt64(truncatingIfNeeded: checkpoint.parameterCount)
}

// MARK: - .zoo

/// Little-endian UInt64 at `offset` of `bytes`.
func load64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
    var value: UInt64 = 0
    for i in 0..<8 { value |= UInt64(bytes[offset + i]) << UInt64(8 * i) }
    return value
}

func store64(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt64) {
    for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i)) }
}

/// Preamble (64 bytes): magic 0..<8, version 8..<12, alignment 12..<16, table 16, metadata 24,
/// graph 32, data offset 40, header checksum 48, file checksum 56 (docs: Docs/FORMAT.md).
func fixHeaderChecksum(_ bytes: inout [UInt8]) {
    guard bytes.count >= 64 else { return }
    var end = 64
    for field in [16, 24, 32] {
        let length = load64(bytes, field)
        guard length <= UInt64(bytes.count - end) else { return }
        end += Int(length)
    }
    let checksum = bytes.withUnsafeBytes { XXH64.hash(UnsafeRawBufferPointer(rebasing: $0[64..<end])) }
    store64(&bytes, 48, checksum)
}

/// Makes every checksum `verify()` checks right, for a file that opens: each tensor's checksum
/// in the table, then the header checksum (the table changed), then the whole-file checksum
/// (XXH64 of bytes 64 ..< data_offset followed by the tensor checksums, u64 LE, table order).
/// The table layout is walked here as Docs/FORMAT.md gives it; the reader has validated it.
func fixAllChecksums(_ bytes: inout [UInt8], reader: ZooFileReader) {
    let dataOffset = Int(load64(bytes, 40))
    var cursor = 64 + 4
    for entry in reader.entries {
        let nameLength = Int(bytes[cursor]) | Int(bytes[cursor + 1]) << 8
        cursor += 2 + nameLength + 2
        let rank = Int(bytes[cursor])
        cursor += 1 + 8 * rank + 16
        let checksum = bytes.withUnsafeBytes { XXH64.hash(UnsafeRawBufferPointer(rebasing: $0[entry.offset..<(entry.offset + entry.length)])) }
        store64(&bytes, cursor, checksum)
        cursor += 8
    }
    fixHeaderChecksum(&bytes)
    var hasher = XXH64()
    bytes.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[64..<dataOffset])) }
    var chained: [UInt64] = []
    cursor = 64 + 4
    for _ in reader.entries {
        let nameLength = Int(bytes[cursor]) | Int(bytes[cursor + 1]) << 8
        cursor += 2 + nameLength + 2
        cursor += 1 + 8 * Int(bytes[cursor]) + 16
        chained.append(load64(bytes, cursor).littleEndian)
        cursor += 8
    }
    chained.withUnsafeBytes { hasher.update($0) }
    store64(&bytes, 56, hasher.digest())
}

/// What a consumer of a graph does with it (`zoo summary`, the binder, `zoo slice`): node
/// lookup, ancestors, topological order, parameter counts, cut at each output.
func query(_ graph: Graph) {
    for node in graph.nodes {
        sink &+= UInt64(graph.position(of: node.name) ?? 0) &+ UInt64(graph.node(node.name)?.inputs.count ?? 0)
        sink &+= UInt64(truncatingIfNeeded: node.parameterCount &+ node.trainableParameterCount)
        sink &+= UInt64((try? graph.ancestors(of: node.name))?.count ?? 0)
    }
    sink &+= UInt64(graph.topologicalOrder().count) &+ UInt64(graph.inputNodes.count)
    sink &+= UInt64(truncatingIfNeeded: graph.totalParameterCount &+ graph.nonTrainableParameterCount)
    for output in graph.effectiveOutputs {
        if let cut = try? graph.cut(at: output) { sink &+= UInt64(cut.nodes.count) }
    }
}

func fuzzZoo(_ body: UnsafeRawBufferPointer, options: UInt8) {
    var bytes = [UInt8](body)
    if options & 2 != 0 { fixHeaderChecksum(&bytes) }
    if options & 4 != 0 {
        // Only a file that opens has a table to fix; one that does not fails again below.
        let probe = bytes.withUnsafeBytes { MappedFile(copying: $0, name: "fuzz.zoo") }
        if let reader = try? ZooFileReader(file: probe, verification: .none) { fixAllChecksums(&bytes, reader: reader) }
    }
    let verification: ZooFileReader.Verification
    switch (options >> 3) & 3 {
    case 1: verification = .lazy
    case 2: verification = .eager
    default: verification = .none
    }
    let file = bytes.withUnsafeBytes { MappedFile(copying: $0, name: "fuzz.zoo") }
    guard let reader = attempt("zoo open (\(verification))", { try ZooFileReader(file: file, verification: verification) }) else { return }

    sink &+= UInt64(reader.alignment) &+ UInt64(reader.version.major) &+ UInt64(reader.entries.count)
    for entry in reader.entries {
        guard reader.entry(entry.name) == entry else { fatalError("entry(\(entry.name)) does not round-trip") }
        if let data = try? reader.tensor(entry.name) {
            guard data.count == entry.length else { fatalError("tensor '\(entry.name)' has \(data.count) bytes, entry says \(entry.length)") }
            touch(data)
        }
    }
    if let metadata = attempt("metadata", { try reader.metadata() }) {
        sink &+= UInt64(metadata.architecture?.utf8.count ?? 0)
    }
    if let graph = attempt("graph", { try reader.graph() }) ?? nil {
        sink &+= UInt64(graph.nodes.count) &+ UInt64(graph.outputs.count)
        if exerciseGraph { query(graph) }
    }
    if let checkpoint = attempt("checkpoint", { try reader.checkpoint() }) { touch(checkpoint) }
    _ = attempt("verify", { try reader.verify() })
}

// MARK: - safetensors

/// One reusable temporary path per process (libFuzzer's -fork/-jobs run several processes).
let temporaryPath: String = {
    let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let path = (directory as NSString).appendingPathComponent("zoofuzz-\(getpid()).safetensors")
    atexit { unlink(temporaryPath) }
    return path
}()

func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var done = 0
    while done < bytes.count {
        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
        if n < 0 { if errno == EINTR { continue }; return false }
        done += n
    }
    return true
}

func fuzzSafetensors(_ body: UnsafeRawBufferPointer, options: UInt8) {
    #if os(Linux)
    if options & 2 == 0 {
        // Through a pipe: MappedFile cannot map it and reads it into an exactly-sized buffer.
        // The write end is non-blocking: an input larger than the pipe's capacity (64 KiB by
        // default, so only when replaying big files) falls back to the file below.
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { fatalError("pipe: \(String(cString: strerror(errno)))") }
        defer { close(fds[0]) }
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
        let wrote = body.count == 0 || writeAll(fds[1], body)
        close(fds[1])
        if wrote {
            if let checkpoint = attempt("safetensors read (pipe)", { try SafetensorsFile.read("/proc/self/fd/\(fds[0])") }) { touch(checkpoint) }
            return
        }
        guard errno == EAGAIN else { fatalError("write to pipe: \(String(cString: strerror(errno)))") }
    }
    #endif
    let path = temporaryPath
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fatalError("cannot create \(path): \(String(cString: strerror(errno)))") }
    let wrote = body.count == 0 || writeAll(fd, body)
    close(fd)
    guard wrote else { fatalError("cannot write \(path)") }
    let sniffed = SafetensorsFile.isSafetensors(path)
    note("isSafetensors: \(sniffed)")
    sink &+= sniffed ? 1 : 0
    if let checkpoint = attempt("safetensors read (file)", { try SafetensorsFile.read(path) }) { touch(checkpoint) }
}

// MARK: - NumPy

/// One reusable temporary path per process and extension.
func temporaryFile(_ extension: String) -> String {
    let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return (directory as NSString).appendingPathComponent("zoofuzz-\(getpid()).\(`extension`)")
}
let npyPath = temporaryFile("npy"), npzPath = temporaryFile("npz")

func fuzzNumpy(_ body: UnsafeRawBufferPointer, archive: Bool) {
    let path = archive ? npzPath : npyPath
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fatalError("cannot create \(path): \(String(cString: strerror(errno)))") }
    let wrote = body.count == 0 || writeAll(fd, body)
    close(fd)
    guard wrote else { fatalError("cannot write \(path)") }
    defer { unlink(path) }
    if archive {
        guard let arrays = attempt("npz read", { try NumpyArchive.read(path) }) else { return }
        for (name, array) in arrays {
            sink &+= UInt64(name.utf8.count) &+ UInt64(truncatingIfNeeded: array.shape.reduce(0, &+))
            touch(array.data)
        }
    } else {
        guard let array = attempt("npy read", { try NumpyArray.read(path) }) else { return }
        sink &+= UInt64(truncatingIfNeeded: array.shape.reduce(0, &+))
        touch(array.data)
    }
}

// MARK: - Image decoders

/// ZooImages' decoders (JPEG, PNG, GIF through libjpeg-turbo, libpng and giflib behind setjmp;
/// BMP parsed in Swift) on the bytes, then both resize paths on whatever decodes. Options:
/// bit 4 the profile (0 tensorflow, 1 pillow), bits 5-6 the color mode (0 rgb, 1 grayscale,
/// 2 rgba, 3 rgb), bit 7 EXIF orientation. The pixel limit is 65,536 (256 x 256, or any
/// other shape of that area): a declared size is refused before any pixel memory exists, and
/// the decoders' row loops, palettes, interlacing and EXIF paths all run on images that small.
/// (With 4 M, inputs that inflate to a few megapixels held the campaign at ~500 execs/s.)
func fuzzImage(_ body: UnsafeRawBufferPointer, options: UInt8) {
    let modes: [ColorMode] = [.rgb, .grayscale, .rgba, .rgb]
    let decode = DecodeOptions(profile: options & 0x10 == 0 ? .tensorflow : .pillow, colorMode: modes[Int((options >> 5) & 3)],
                               applyEXIFOrientation: options & 0x80 != 0, maxPixels: 65_536)
    let bytes = [UInt8](body)
    _ = attempt("image header", { try ImageDecoder.header(bytes, file: "fuzz") })
    guard let image = attempt("image decode", { try ImageDecoder.decode(bytes, file: "fuzz", options: decode) }) else { return }
    sink &+= UInt64(image.width &* image.height &* image.channels)
    for value in image.pixels { sink &+= UInt64(value) }
    if let resized = attempt("tf resize", { try TensorFlowResize.resize(image, height: 7, width: 5, method: .bicubic, aspectRatio: .pad) }) {
        sink &+= UInt64(truncatingIfNeeded: resized.pixels.count)
    }
    if let resized = attempt("pillow resize", { try PillowResize.loadImageResize(image, height: 3, width: 9, interpolation: .lanczos, keepAspectRatio: true) }) {
        sink &+= UInt64(truncatingIfNeeded: resized.pixels.count)
    }
}

// MARK: - Keras model config

/// A Keras model config JSON (`config.json` of a `.keras`, `model.to_json()`, the `model_config`
/// of a legacy `.h5`; Keras 3 and Keras 2 inbound-node forms): the layer-list reader the weight
/// readers use (`KerasModelConfig`, through JSONSerialization), then the importer that builds a
/// ZooGraph graph from it (`KerasConfigImporter`, JSONDocument's parser with Python's options),
/// then the same graph queries as for a stored `.zoo` graph.
func fuzzConfig(_ body: UnsafeRawBufferPointer) {
    let text = String(decoding: body, as: UTF8.self)
    if let config = attempt("keras model config", { try KerasModelConfig(json: text, file: "fuzz") }) {
        sink &+= UInt64(config.layers.count) &+ UInt64(config.name?.utf8.count ?? 0)
        for layer in config.layers { sink &+= UInt64(layer.variableNames?.count ?? 0) &+ UInt64(layer.nested.count) }
        sink &+= UInt64(KerasModelConfig.keras3GroupNames(for: config.layers).count)
    }
    guard let graph = attempt("keras config import", { try KerasConfigImporter.graph(fromJSON: text) }) else { return }
    sink &+= UInt64(graph.nodes.count) &+ UInt64(graph.outputs.count)
    if exerciseGraph { query(graph) }
}

// MARK: - .keras zip archives

let kerasPath = temporaryFile("keras")

/// A `.keras` archive through `CheckpointReader.read`, as `zoo` opens one: the zip signature
/// sniff, `ZipReader.members` (end record, zip64 locator and record, central directory, extra
/// fields, local headers, every offset and size checked against the file), the duplicate-member
/// and zip-bomb checks, extraction (stored and deflated, CRC-32), `KerasModelConfig` on
/// `config.json`, `metadata.json`, then the HDF5 weights member (libhdf5, not instrumented).
/// The zip reader has no in-memory entry point, so the bytes go to one reused file per process.
/// An input without the local-header signature would be read as HDF5 instead, so it stops here.
func fuzzZip(_ body: UnsafeRawBufferPointer) {
    guard body.starts(with: [0x50, 0x4B, 0x03, 0x04]) else { note("zip: no local-header signature"); return }
    let path = kerasPath
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fatalError("cannot create \(path): \(String(cString: strerror(errno)))") }
    let wrote = writeAll(fd, body)
    close(fd)
    guard wrote else { fatalError("cannot write \(path)") }
    defer { unlink(path) }
    guard let checkpoint = attempt("keras archive read", { try CheckpointReader.read(path) }) else { return }
    touch(checkpoint)
    sink &+= UInt64(checkpoint.modelConfig?.utf8.count ?? 0) &+ UInt64(checkpoint.kerasVersion?.utf8.count ?? 0)
}

// MARK: - Entry points

/// The parsers, as ZOOFUZZ_TARGET names them.
enum Target: String, CaseIterable {
    case zoo, safetensors, npy, npz, config, zip, image

    /// The target byte 0 of an input selects (the layout in the header comment).
    init(selector: UInt8) {
        if selector & 1 == 0 { self = .zoo; return }
        switch (selector >> 2) & 3 {
        case 1: self = .npy
        case 2: self = .npz
        case 3 where selector & 2 != 0: self = .image
        case 3 where (selector >> 4) & 3 == 1: self = .config
        case 3 where (selector >> 4) & 3 == 2: self = .zip
        default: self = .safetensors
        }
    }
}

/// ZOOFUZZ_TARGET: the one target every input goes to, or nil (unset, empty or `all`) to
/// dispatch on byte 0. An unknown name stops the process before the first input.
let forcedTarget: Target? = {
    guard let name = ProcessInfo.processInfo.environment["ZOOFUZZ_TARGET"], name != "", name != "all" else { return nil }
    guard let target = Target(rawValue: name) else {
        FileHandle.standardError.write(Data("ZooFuzz: unknown ZOOFUZZ_TARGET '\(name)'; expected all or one of \(Target.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        exit(2)
    }
    return target
}()

/// Runs one input through the parser ZOOFUZZ_TARGET names or, without it, its first byte selects.
func fuzzOne(_ input: UnsafeRawBufferPointer) {
    guard let selector = input.first else { return }
    let body = UnsafeRawBufferPointer(rebasing: input[1...])
    switch forcedTarget ?? Target(selector: selector) {
    case .zoo: fuzzZoo(body, options: selector)
    case .safetensors: fuzzSafetensors(body, options: selector)
    case .npy: fuzzNumpy(body, archive: false)
    case .npz: fuzzNumpy(body, archive: true)
    case .config: fuzzConfig(body)
    case .zip: fuzzZip(body)
    case .image: fuzzImage(body, options: selector)
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}

/// libFuzzer's documented entry for a program with its own `main`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// SwiftPM links an executable target with `--defsym main=<Module>_main` (the entry point it
/// expects `@main` to emit), which takes precedence over libFuzzer's own `main`. Without
/// `@main` in a fuzzing build, this provides that symbol and hands control to libFuzzer, so
/// `swift build -Xswiftc -sanitize=fuzzer ...` links. A plain `swiftc` build, which has no
/// such alias, uses libFuzzer's `main` and never calls this.
@_cdecl("ZooFuzz_main")
public func zooFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    _ = forcedTarget  // an unknown ZOOFUZZ_TARGET fails here, not at the first input
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in LLVMFuzzerTestOneInput(data, size) }
}
#else
/// Corpus replayer: runs each file (or each file in each directory) once.
@main
enum ZooFuzzReplay {
    static func main() {
        _ = forcedTarget
        let arguments = CommandLine.arguments.dropFirst()
        guard !arguments.isEmpty else {
            print("usage: ZooFuzz FILE|DIR...  (runs each input once through the fuzz target)")
            exit(2)
        }
        var files: [String] = []
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("ZooFuzz: no such file: \(argument)\n".utf8))
                exit(2)
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
                files += names.sorted().filter { !$0.hasPrefix(".") }.map { (argument as NSString).appendingPathComponent($0) }
            } else {
                files.append(argument)
            }
        }
        for path in files {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("ZooFuzz: cannot read \(path)\n".utf8))
                exit(2)
            }
            note("\(path): \(data.count) bytes, selector \(data.first.map { String($0, radix: 16) } ?? "none")")
            data.withUnsafeBytes { fuzzOne($0) }
        }
        FileHandle.standardError.write(Data("ZooFuzz: replayed \(files.count) input(s), no crash\n".utf8))
    }
}
#endif
