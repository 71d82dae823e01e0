import Foundation
import Testing
@testable import ZooImages

/// One array Keras decoded (Fixtures/images/decode/expected.bin, see make_decode_fixtures.py).
struct ExpectedDecode: Sendable {
    let file: String
    let profile: DecoderProfile
    let mode: ColorMode
    /// 0 decoded, 1 Keras raised, 2 Keras returned uint16 (not representable in 8 bits).
    let status: UInt8
    let image: Image?
}

enum DecodeFixtures {
    static let directory: String = {
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/images/decode").path
    }()

    static func path(_ name: String) -> String { directory + "/" + name }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    static func load() throws -> [ExpectedDecode] {
        let d = try bytes("expected.bin")
        var i = 0
        func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, i + n <= d.count else { throw ImageError.invalidArgument("expected.bin is truncated") }
            defer { i += n }
            return d[i..<(i + n)]
        }
        func u32() throws -> Int { let s = try take(4); return s.reversed().reduce(0) { $0 << 8 | Int($1) } }
        func u16() throws -> Int { let s = try take(2); return s.reversed().reduce(0) { $0 << 8 | Int($1) } }
        guard try take(4).elementsEqual(Array("ZXP1".utf8)) else { throw ImageError.invalidArgument("bad magic") }
        let count = try u32()
        var out: [ExpectedDecode] = []
        for _ in 0..<count {
            let name = String(decoding: try take(try u16()), as: UTF8.self)
            let head = try take(3)
            let profile: DecoderProfile = head[head.startIndex] == 0 ? .tensorflow : .pillow
            let mode = [ColorMode.rgb, .grayscale, .rgba][Int(head[head.startIndex + 1])]
            let status = head[head.startIndex + 2]
            let h = try u32(), w = try u32(), c = try u32()
            var image: Image?
            if status == 0 { image = try Image(width: w, height: h, channels: c, pixels: Array(try take(h * w * c))) }
            out.append(ExpectedDecode(file: name, profile: profile, mode: mode, status: status, image: image))
        }
        return out
    }
}

/// Max abs difference and the fraction of samples within +-1.
func compare(_ a: Image, _ b: Image) -> (maxDiff: Int, within1: Double) {
    var maxDiff = 0, close = 0
    for (x, y) in zip(a.pixels, b.pixels) {
        let d = abs(Int(x) - Int(y))
        maxDiff = max(maxDiff, d)
        if d <= 1 { close += 1 }
    }
    return (maxDiff, Double(close) / Double(max(1, a.pixels.count)))
}

@Suite struct DecodingTests {
    @Test func everyFixtureMatchesKeras() throws {
        let expected = try DecodeFixtures.load()
        #expect(expected.count >= 200)
        var report: [String] = []
        for e in expected {
            let bytes = try DecodeFixtures.bytes(e.file)
            let options = DecodeOptions(profile: e.profile, colorMode: e.mode)
            let label = "\(e.file) \(e.profile) \(e.mode)"
            guard e.status == 0, let want = e.image else {
                // Keras raised (or returned uint16): the decoder refuses with a typed error.
                #expect(throws: ImageError.self, "\(label) should throw") { try ImageDecoder.decode(bytes, file: e.file, options: options) }
                continue
            }
            let got = try ImageDecoder.decode(bytes, file: e.file, options: options)
            #expect(got.width == want.width && got.height == want.height && got.channels == want.channels, "\(label) shape")
            guard got.pixels.count == want.pixels.count else { continue }
            if e.file.hasSuffix(".jpg") {
                let (maxDiff, within1) = compare(got, want)
                report.append("\(label): max \(maxDiff), within1 \(String(format: "%.4f", within1 * 100))%")
                // TensorFlow = IFAST, Pillow = ISLOW, both with fancy upsampling: bit-exact.
                #expect(maxDiff == 0 && within1 == 1, "\(label): max \(maxDiff), within1 \(within1)")
            } else {
                #expect(got.pixels == want.pixels, "\(label) differs (max \(compare(got, want).maxDiff))")
            }
        }
        print("JPEG agreement:\n" + report.joined(separator: "\n"))
    }

    /// Which inverse DCT reproduces which Keras path (reported, the winner asserted exact).
    @Test func jpegDCTMethods() throws {
        let expected = try DecodeFixtures.load().filter { $0.file.hasSuffix(".jpg") && $0.status == 0 && $0.mode == .rgb && $0.file != "jpeg_cmyk.jpg" && $0.file != "jpeg_gray.jpg" }
        for e in expected {
            let bytes = try DecodeFixtures.bytes(e.file)
            let (w, h) = try JPEGDecoder.header(bytes, file: e.file)
            guard let want = e.image else { continue }
            var line = "\(e.file) \(e.profile):"
            for (name, dct) in [("ISLOW", 0), ("IFAST", 1), ("FLOAT", 2)] {
                let px = try JPEGDecoder.raw(bytes, file: e.file, width: w, height: h, space: 2, channels: 3, dct: Int32(dct))
                let (m, f) = compare(try Image(width: w, height: h, channels: 3, pixels: px), want)
                line += " \(name) max \(m) within1 \(String(format: "%.3f", f * 100))%"
            }
            print(line)
        }
    }

    @Test func hostileFilesGiveTypedErrorsNamingTheFile() throws {
        func check(_ name: String, _ matches: (ImageError) -> Bool) throws {
            let bytes = try DecodeFixtures.bytes(name)
            for profile in [DecoderProfile.tensorflow, .pillow] {
                do {
                    _ = try ImageDecoder.decode(bytes, file: name, options: DecodeOptions(profile: profile))
                    Issue.record("\(name) decoded")
                } catch let error as ImageError {
                    #expect(matches(error), "\(name): \(error)")
                    #expect(error.description.contains(name))
                }
            }
        }
        try check("hostile_empty.jpg") { if case .empty = $0 { return true }; return false }
        try check("hostile_random.jpg") { if case .notAnImage = $0 { return true }; return false }
        try check("hostile_text.jpg") { if case .notAnImage = $0 { return true }; return false }
        try check("hostile_truncated.jpg") { if case .corrupt(_, "JPEG", let r) = $0 { return r.contains("truncated") }; return false }
        try check("hostile_truncated.png") { if case .corrupt(_, "PNG", _) = $0 { return true }; return false }
        try check("hostile_jpeg_garbage.jpg") { if case .corrupt = $0 { return true }; return false }
        for bomb in ["hostile_bomb.png", "hostile_bomb.jpg", "hostile_bomb.bmp", "hostile_bomb.gif"] {
            try check(bomb) { if case .tooLarge(_, 60000, 60000, 178_956_970) = $0 { return true }; return false }
        }
        #expect(throws: ImageError.self) { try ImageDecoder.decode(contentsOf: DecodeFixtures.path("no_such_file.png")) }
        #expect(throws: ImageError.self) { try ImageDecoder.decode(contentsOf: DecodeFixtures.directory) }
    }

    @Test func tooLargeComesFromTheHeader() throws {
        for (name, format) in [("hostile_bomb.png", ImageFormat.png), ("hostile_bomb.jpg", .jpeg), ("hostile_bomb.bmp", .bmp), ("hostile_bomb.gif", .gif)] {
            let h = try ImageDecoder.header(try DecodeFixtures.bytes(name), file: name)
            #expect(h.format == format && h.width == 60000 && h.height == 60000)
        }
        // A real file above a small limit.
        #expect(throws: ImageError.tooLarge(file: "png_rgb.png", width: 19, height: 13, maxPixels: 100)) {
            try ImageDecoder.decode(try DecodeFixtures.bytes("png_rgb.png"), file: "png_rgb.png", options: DecodeOptions(maxPixels: 100))
        }
    }

    @Test func formatComesFromMagicBytesNotTheName() throws {
        #expect(ImageFormat.detect(try DecodeFixtures.bytes("png_rgb.png")) == .png)
        #expect(ImageFormat.detect(try DecodeFixtures.bytes("jpeg_gray.jpg")) == .jpeg)
        #expect(ImageFormat.detect(try DecodeFixtures.bytes("gif_static.gif")) == .gif)
        #expect(ImageFormat.detect(try DecodeFixtures.bytes("bmp_24.bmp")) == .bmp)
        let png = try DecodeFixtures.bytes("png_rgb.png")
        let image = try ImageDecoder.decode(png, file: "misnamed.jpg")
        #expect(image.width == 19 && image.height == 13 && image.channels == 3)
    }

    @Test func exifOrientationIsIgnoredByDefaultAndAppliedOnRequest() throws {
        let name = "jpeg_exif_orient6.jpg"
        let bytes = try DecodeFixtures.bytes(name)
        #expect(EXIFOrientation.read(jpeg: bytes) == .rotated90)
        let plain = try ImageDecoder.decode(bytes, file: name, options: DecodeOptions(profile: .pillow))
        let upright = try ImageDecoder.decode(bytes, file: name, options: DecodeOptions(profile: .pillow, applyEXIFOrientation: true))
        #expect(plain.width == 37 && plain.height == 29)
        #expect(upright.width == 29 && upright.height == 37)
        // Orientation 6: rotate 90 degrees clockwise, out[y][x] = in[h-1-x][y].
        for y in 0..<upright.height {
            for x in 0..<upright.width {
                for c in 0..<3 { #expect(upright[y, x, c] == plain[plain.height - 1 - x, y, c]) }
            }
        }
        // All eight orientations keep every pixel; 2 applied twice is the identity.
        let twice = try EXIFOrientation.mirrored.apply(to: try EXIFOrientation.mirrored.apply(to: plain))
        #expect(twice == plain)
        let back = try EXIFOrientation.rotated270.apply(to: upright)
        #expect(back == plain)
        #expect(EXIFOrientation.read(jpeg: try DecodeFixtures.bytes("jpeg_china_420.jpg")) == nil)
    }

    @Test func concurrentDecodingIsIdentical() async throws {
        let expected = try DecodeFixtures.load().filter { $0.status == 0 }
        let inputs = try expected.map { (try DecodeFixtures.bytes($0.file), $0.file, DecodeOptions(profile: $0.profile, colorMode: $0.mode)) }
        let serial = try inputs.map { try ImageDecoder.decode($0.0, file: $0.1, options: $0.2) }
        let results = try await withThrowingTaskGroup(of: [Image].self) { group in
            for _ in 0..<8 {
                group.addTask { try inputs.map { try ImageDecoder.decode($0.0, file: $0.1, options: $0.2) } }
            }
            var all: [[Image]] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 8)
        for r in results { #expect(r == serial) }
    }

    @Test func mutatedFilesNeverCrash() throws {
        var rng = SystemRandomNumberGenerator()
        for name in ["jpeg_china_420.jpg", "png_palette_trns.png", "gif_animated.gif", "bmp_4bit.bmp", "bmp_32_bitfields.bmp", "png_interlaced.png"] {
            let original = try DecodeFixtures.bytes(name)
            for trial in 0..<60 {
                var b = original
                for _ in 0..<(1 + trial % 6) { b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                if trial % 5 == 0 { b = Array(b.prefix(Int.random(in: 0..<b.count, using: &rng))) }
                for profile in [DecoderProfile.tensorflow, .pillow] {
                    do {
                        let image = try ImageDecoder.decode(b, file: name, options: DecodeOptions(profile: profile, maxPixels: 1 << 20))
                        #expect(image.pixels.count == image.width * image.height * image.channels)
                    } catch is ImageError {
                    }
                }
            }
        }
    }
}
