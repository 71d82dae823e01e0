import Foundation
import Testing
import ZooHDF5
@testable import ZooFormats

/// Every kind of bad input gets an error that names the file and, inside HDF5, the path.
@Suite struct BadInputTests {
    func message(reading path: String) -> String? {
        do {
            _ = try CheckpointReader.read(path)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func hdf5WithoutKerasStructure() throws {
        let path = Fixtures.path("bad_not_keras.h5")
        let text = try #require(message(reading: path))
        #expect(text.hasPrefix(path))
        #expect(text.contains("not a Keras weight file"))
        #expect(text.contains("layer_names"))
    }

    @Test func layerNamesListsAMissingGroup() throws {
        let path = Fixtures.path("bad_missing_group.h5")
        #expect(message(reading: path) == "\(path): at HDF5 path 'ghost_layer': expected a group for layer 'ghost_layer' (listed in layer_names)")
    }

    @Test func unsupportedWeightDType() throws {
        let path = Fixtures.path("bad_dtype.h5")
        let text = try #require(message(reading: path))
        #expect(text.contains(path))
        #expect(text.contains("conv1/conv1/kernel"))
        #expect(text.contains("unsupported type string(variable)"))
    }

    /// Shapes that lie: an element count past 64 bits, and a contiguous dataset that claims 4 GB
    /// the file does not store. Both are refused before any memory is allocated for them.
    @Test func datasetShapesThatLie() throws {
        let huge = Fixtures.path("bad_huge_shape.h5")
        let hugeText = try #require(message(reading: huge))
        #expect(hugeText.hasPrefix(huge))
        #expect(hugeText.contains("conv1/conv1/kernel"))
        #expect(hugeText.contains("overflows 64 bits"))
        // Declared sizes the file does not back: each error names the file and says what is wrong.
        let lies: [(fixture: String, says: [String])] = [
            ("bad_unstored.h5", ["conv1/conv1/kernel", "needs 4000000000 bytes but the file stores 0"]),
            // Chunked storage with no chunk written: refused before the 16 GiB allocation.
            ("bad_unwritten_chunks.h5", ["needs 17179869184 bytes but the file stores 0"]),
            // A gzip bomb: 72 MiB of zeros from 72 KB.
            ("bad_gzip_bomb.h5", ["inflates 73728 compressed bytes to 75497472, more than 100x", "ZOO_MAX_INFLATION"]),
            // A .keras whose weights member inflates ~1000x.
            ("bad_zip_bomb.keras", ["the member 'model.weights.h5' inflates", "more than 100x"]),
        ]
        for (fixture, says) in lies {
            let path = Fixtures.path(fixture)
            let text = try #require(message(reading: path), "\(fixture) was read")
            #expect(text.hasPrefix(path))
            for part in says { #expect(text.contains(part), "\(fixture): \(text)") }
        }
    }

    @Test func emptyMissingDirectoryAndForeignFiles() throws {
        let dir = TemporaryDirectory()
        FileManager.default.createFile(atPath: dir.file("empty.h5"), contents: Data())
        #expect(message(reading: dir.file("empty.h5")) == "\(dir.file("empty.h5")): not a Keras weight file: the file is empty")
        #expect(message(reading: dir.file("missing.h5")) == "\(dir.file("missing.h5")): no such file")
        #expect(message(reading: dir.path) == "\(dir.path): is a directory, expected an HDF5 file")
        FileManager.default.createFile(atPath: dir.file("text.h5"), contents: Data("{\"json\": true}".utf8))
        #expect(message(reading: dir.file("text.h5"))?.contains("not an HDF5 file") == true)
    }

    @Test(arguments: [16, 512, 2048, 8192, 20000])
    func truncatedFilesFailCleanly(keep: Int) throws {
        let dir = TemporaryDirectory()
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tiny.legacy.h5")))
        let path = dir.file("cut.h5")
        try data.prefix(keep).write(to: URL(fileURLWithPath: path))
        let text = try #require(message(reading: path))
        #expect(text.contains(path))
    }

    @Test func truncatedAndCorruptArchives() throws {
        let dir = TemporaryDirectory()
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tiny.keras")))
        let cut = dir.file("cut.keras")
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        #expect(message(reading: cut)?.contains("\(cut): bad .keras archive") == true)
        // A zip without the Keras members.
        let other = dir.file("other.keras")
        var zip = Data([0x50, 0x4b, 0x03, 0x04])
        zip.append(Data(repeating: 0, count: 100))
        try zip.write(to: URL(fileURLWithPath: other))
        #expect(message(reading: other)?.contains("bad .keras archive") == true)
    }

    @Test func weightNamedButMissing() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("missing_weight.h5")
        do {
            let root = try HDF5File.create(path).root()
            try root.setAttribute("layer_names", .strings(["dense"]))
            let layer = try root.createGroup("dense")
            try layer.setAttribute("weight_names", .strings(["dense/kernel:0"]))
        }
        #expect(message(reading: path) == "\(path): at HDF5 path 'dense/dense/kernel:0': expected a weight dataset named in weight_names, found nothing")
    }

    @Test func layerNamesOfTheWrongType() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("numbers.h5")
        do { try HDF5File.create(path).root().setAttribute("layer_names", .integers([1, 2])) }
        #expect(message(reading: path)?.contains("layer_names") == true)
        #expect(message(reading: path)?.contains("expected a list of strings") == true)
    }
}
