import Foundation
import Testing
import ZooFormats

/// `zoo extract`, `zoo merge` and `zoo predict --images` on Fixtures/images/digits (20 digit PNGs,
/// one truncated PNG, one text file) with the digits backbone, against Keras's features.
@Suite(.serialized) struct ExtractCommandTests {
    static let model = Fixtures.path("transfer/digits_backbone.keras")
    static let digits = Fixtures.path("images/digits")
    static let common = ["--image-size", "8", "8", "--color-mode", "grayscale", "--preprocessing", "none"]

    func maxRelative(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count else { return .infinity }
        let scale = max(b.map { abs(Double($0)) }.max() ?? 0, 1e-12)
        return zip(a, b).map { abs(Double($0) - Double($1)) }.max().map { $0 / scale } ?? 0
    }

    @Test func extractMatchesKerasAndReportsTheSkippedFile() throws {
        let dir = TemporaryDirectory()
        let out = dir.file("features.npz")
        let result = try ZooProcess.run(["extract", Self.model, Self.digits, "--layer", "avg_pool", "-o", out, "--json"] + Self.common)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("zoo: skipped") && result.stderr.contains("broken.png"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["images"] as? Int == 20)
        #expect(json["skipped"] as? Int == 1)
        #expect(json["features"] as? [Int] == [20, 64])
        let got = try NumpyArchive.contents(out)
        let want = try NumpyArchive.contents(Fixtures.path("images/expected_features.npz"))
        #expect(got.strings("paths") == want.strings("paths"))
        #expect(got.strings("class_names") == ["0", "1", "2", "3", "4"])
        #expect(got.strings("skipped") == ["2/broken.png"])
        #expect(got.array("y")?.data.array(of: Int32.self) == want.array("y")?.data.array(of: Int32.self))
        #expect(maxRelative(got.array("x")?.data.array(of: Float.self) ?? [], want.array("dataset_avg_pool")?.data.array(of: Float.self) ?? []) < 1e-5)
        #expect(dir.contents == ["features.npz"], "no temporary or partial files are left")
    }

    /// Four runs writing the same output at once take turns on its work folder (one used to
    /// delete it under the others): all succeed and the file holds what a solo run writes.
    @Test func concurrentRunsOnOneOutputTakeTurns() throws {
        let dir = TemporaryDirectory()
        let out = dir.file("features.npz")
        let arguments = ["extract", Self.model, Self.digits, "--layer", "avg_pool", "-o", out, "--threads", "1"] + Self.common
        let processes = (0..<4).map { _ -> Process in
            let process = Process()
            process.executableURL = ZooProcess.executable
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            return process
        }
        for process in processes { try process.run() }
        for process in processes { process.waitUntilExit() }
        #expect(processes.allSatisfy { $0.terminationStatus == 0 })
        #expect(dir.contents == ["features.npz"], "no lock, temporary or partial files are left")
        let got = try NumpyArchive.contents(out)
        let want = try NumpyArchive.contents(Fixtures.path("images/expected_features.npz"))
        #expect(maxRelative(got.array("x")?.data.array(of: Float.self) ?? [], want.array("dataset_avg_pool")?.data.array(of: Float.self) ?? []) < 1e-5)
    }

    @Test func failPolicyAndBadFlagsExitOne() throws {
        let dir = TemporaryDirectory()
        let out = dir.file("f.npz")
        let strict = try ZooProcess.run(["extract", Self.model, Self.digits, "--layer", "avg_pool", "--on-error", "fail", "-o", out] + Self.common)
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("zoo: error:") && strict.stderr.contains("broken.png"))
        #expect(!FileManager.default.fileExists(atPath: out))
        // One part of 512 images here: it failed, so nothing is kept to resume.
        #expect(dir.contents.isEmpty)
        let partial = try ZooProcess.run(["extract", Self.model, Self.digits, "--layer", "avg_pool", "--on-error", "fail", "--part-size", "4", "-o", out] + Self.common)
        #expect(partial.status == 1 && partial.stderr.contains("--resume"))
        #expect(dir.contents == ["f.npz.partial"])
        let resumed = try ZooProcess.run(["extract", Self.model, Self.digits, "--layer", "avg_pool", "--part-size", "4", "--resume", "-o", out, "--json"] + Self.common)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect((try JSONSerialization.jsonObject(with: Data(resumed.stdout.utf8)) as? [String: Any])?["resumed_parts"] as? Int == 2)
        try FileManager.default.removeItem(atPath: out)
        let cases: [([String], String)] = [
            (["extract", Self.model, Self.digits, "--layer", "avg_pool", "-o", out, "--image-size", "8", "8", "--color-mode", "grayscale"], "--preprocessing"),
            (["extract", Self.model, Self.digits, "--layer", "nope", "-o", out] + Self.common, "no layer 'nope'"),
            (["extract", Self.model, Self.digits, "--layer", "avg_pool", "--shard", "2/2", "-o", out] + Self.common, "--shard"),
            (["extract", Self.model, Self.digits, "--layer", "avg_pool", "--pooling", "mean", "-o", out] + Self.common, "--pooling"),
            (["extract", Self.model, Self.digits, "--layer", "avg_pool", "--pooling", "avg", "-o", out] + Self.common, "pooling none"),
            (["extract", Self.model, Self.digits, "--layer", "avg_pool", "-o", dir.file("f.npy")] + Self.common, ".npz"),
            (["extract", Self.model, dir.file("missing"), "--layer", "avg_pool", "-o", out] + Self.common, "missing"),
            (["extract", Self.model, Self.digits, "--layer", "avg_pool", "--interpolation", "lanczos", "-o", out] + Self.common, "lanczos"),
            (["extract", Self.model, Self.digits, "--layer", "avg_pool", "--validation-split", "0.2", "-o", out] + Self.common, "--subset"),
            (["extract", Self.model, Self.digits, "--layer", "avg_pool", "--shuffle", "-o", out] + Self.common, "--seed"),
        ]
        for (arguments, phrase) in cases {
            let result = try ZooProcess.run(arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr.contains(phrase), "\(arguments): \(result.stderr)")
        }
        #expect(dir.contents.isEmpty)
    }

    @Test func shardsMergeToTheFullRun() throws {
        let dir = TemporaryDirectory()
        let full = dir.file("full.npz")
        #expect(try ZooProcess.run(["extract", Self.model, Self.digits, "--layer", "avg_pool", "-o", full] + Self.common).status == 0)
        var shards: [String] = []
        for k in 0..<3 {
            let out = dir.file("shard-\(k).npz")
            let result = try ZooProcess.run(["extract", Self.model, Self.digits, "--layer", "avg_pool", "--shard", "\(k)/3", "--threads", "1", "-o", out] + Self.common)
            #expect(result.status == 0, "\(result.stderr)")
            shards.append(out)
        }
        let merged = dir.file("merged.npz")
        let result = try ZooProcess.run(["merge", "-o", merged] + shards.reversed())
        #expect(result.status == 0, "\(result.stderr)")
        let a = try NumpyArchive.contents(full), b = try NumpyArchive.contents(merged)
        #expect(a.strings("paths") == b.strings("paths") && a.strings("skipped") == b.strings("skipped"))
        #expect(maxRelative(b.array("x")?.data.array(of: Float.self) ?? [], a.array("x")?.data.array(of: Float.self) ?? []) < 1e-6)
        let missing = try ZooProcess.run(["merge", "-o", dir.file("bad.npz"), shards[0], shards[2]])
        #expect(missing.status == 1 && missing.stderr.contains("missing"))
    }

    @Test func predictImagesPrintsTheTopClasses() throws {
        let dir = TemporaryDirectory()
        let probabilities = dir.file("p.npz")
        #expect(try ZooProcess.run(["extract", Self.model, Self.digits, "--layer", "predictions", "-o", probabilities] + Self.common).status == 0)
        let contents = try NumpyArchive.contents(probabilities)
        let p = contents.array("x")?.data.array(of: Float.self) ?? []
        let names = dir.file("names.txt")
        try "zero\none\ntwo\nthree\nfour\n".write(toFile: names, atomically: true, encoding: .utf8)
        let files = ["0/img00.png", "3/img02.png"].map { Self.digits + "/" + $0 }
        let result = try ZooProcess.run(["predict", Self.model, "--images"] + files + ["--top", "2", "--class-names-file", names, "--json"] + Self.common)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == 2)
        let paths = contents.strings("paths") ?? []
        for (line, file) in zip(lines, ["0/img00.png", "3/img02.png"]) {
            let row = try #require(paths.firstIndex(of: file))
            let scores = Array(p[(row * 5)..<(row * 5 + 5)])
            let order = scores.indices.sorted { scores[$0] > scores[$1] }
            let top = try #require(line["top"] as? [[String: Any]])
            #expect(top.compactMap { $0["class"] as? Int } == Array(order.prefix(2)))
            #expect(top.first?["name"] as? String == ["zero", "one", "two", "three", "four"][order[0]])
            #expect(abs((top.first?["score"] as? Double ?? 0) - Double(scores[order[0]])) < 1e-6)
        }
        let text = try ZooProcess.run(["predict", Self.model, "--images", Self.digits + "/1", "--top", "1"] + Self.common)
        #expect(text.status == 0 && text.stdout.split(separator: "\n").count == 4)
        let broken = try ZooProcess.run(["predict", Self.model, "--images", Self.digits + "/2/broken.png"] + Self.common)
        #expect(broken.status == 1 && broken.stderr.contains("broken.png"))
    }
}
