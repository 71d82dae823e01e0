import Foundation
import Testing
@testable import ZooImages

/// The expected lists come from Keras 3.15's `dataset_utils.index_directory` on the same tree.
@Suite struct ImageDatasetTests {
    /// The tree: three class folders (one uppercase, one with nested and `-`-suffixed folders), a
    /// hidden folder, a non-image, a hidden image, a symlinked folder and a symlink cycle.
    static func makeTree() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dataset-\(UUID().uuidString)").path
        let fm = FileManager.default
        for folder in ["d/b_class/sub/deep", "d/b_class/sub-x", "d/a_class", "d/.hidden", "d/Z", "linked"] {
            try fm.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
        for file in ["d/a_class/2.PNG", "d/a_class/10.jpg", "d/a_class/1.jpeg", "d/a_class/x.txt", "d/a_class/.h.jpg", "d/b_class/z.gif",
                     "d/b_class/sub/a.bmp", "d/b_class/sub-x/q.png", "d/b_class/sub/deep/k.jpg", "d/.hidden/n.jpg", "d/Z/é.png",
                     "d/Z/e.png", "d/top.jpg", "linked/l.jpg"] {
            #expect(fm.createFile(atPath: root + "/" + file, contents: Data()))
        }
        try fm.createSymbolicLink(atPath: root + "/d/a_class/link", withDestinationPath: "../../linked")
        try fm.createSymbolicLink(atPath: root + "/d/b_class/sub/loop", withDestinationPath: "..")
        return root
    }

    static let keras = ["Z/e.png", "Z/é.png", "a_class/.h.jpg", "a_class/1.jpeg", "a_class/10.jpg", "a_class/2.PNG", "b_class/z.gif",
                        "b_class/sub/a.bmp", "b_class/sub-x/q.png", "b_class/sub/deep/k.jpg"]

    @Test func classFoldersAsKeras() throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dataset = try ImageDataset.classFolders(root + "/d")
        #expect(dataset.classNames == ["Z", "a_class", "b_class"])
        #expect(dataset.records.map(\.path) == Self.keras)
        #expect(dataset.labels == [0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
        #expect(dataset.filePath(0) == root + "/d/Z/e.png")
    }

    @Test func followLinksEntersSymlinkedFoldersAndCyclesOnce() throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dataset = try ImageDataset.classFolders(root + "/d", followLinks: true)
        // Keras walks the cycle b_class/sub/loop -> b_class until the path is too long; SwiftZoo enters it once.
        var expected = Self.keras
        expected.insert("a_class/link/l.jpg", at: 6)
        #expect(dataset.records.map(\.path) == expected)
    }

    @Test func flatFolderAndClassSubsetAndExtensions() throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let flat = try ImageDataset.flatFolder(root + "/d")
        #expect(flat.records.map(\.path) == ["top.jpg", ".hidden/n.jpg"] + Self.keras)
        #expect(flat.labels.allSatisfy { $0 == -1 } && flat.classNames.isEmpty)
        let subset = try ImageDataset.classFolders(root + "/d", classNames: ["b_class", "Z"])
        #expect(subset.classNames == ["b_class", "Z"])
        #expect(subset.records.map(\.label) == [0, 0, 0, 0, 1, 1])
        #expect(throws: ImageError.self) { try ImageDataset.classFolders(root + "/d", classNames: ["nope"]) }
        let pngs = try ImageDataset.classFolders(root + "/d", extensions: [".png"])
        #expect(pngs.records.map(\.path) == ["Z/e.png", "Z/é.png", "a_class/2.PNG", "b_class/sub-x/q.png"])
        #expect(throws: ImageError.self) { try ImageDataset.classFolders(root + "/missing") }
        #expect(throws: ImageError.self) { try ImageDataset.classFolders(root + "/d/top.jpg") }
    }

    @Test func shuffleAndSplitAsKeras() throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let shuffled = try ImageDataset.classFolders(root + "/d").shuffled(seed: 1337)
        let expected = ["b_class/z.gif", "a_class/1.jpeg", "Z/e.png", "a_class/10.jpg", "a_class/2.PNG", "a_class/.h.jpg", "Z/é.png",
                        "b_class/sub/deep/k.jpg", "b_class/sub-x/q.png", "b_class/sub/a.bmp"]
        #expect(shuffled.records.map(\.path) == expected)
        #expect(shuffled.labels == [2, 1, 0, 1, 1, 1, 0, 2, 2, 2])
        // int(0.25 * 10) = 2 validation files, the last two.
        #expect(try shuffled.split(validation: 0.25, subset: .validation).records.map(\.path) == Array(expected.suffix(2)))
        #expect(try shuffled.split(validation: 0.25, subset: .training).records.map(\.path) == Array(expected.prefix(8)))
        #expect(throws: ImageError.self) { try shuffled.split(validation: 0.05, subset: .training) }
        #expect(throws: ImageError.self) { try shuffled.split(validation: 1.5, subset: .training) }
    }

    @Test func shardsCoverTheDatasetInOrder() throws {
        let records = (0..<10).map { ImageDataset.Record(path: "\($0).jpg", label: Int32($0 % 3)) }
        let dataset = ImageDataset(root: "", records: records, classNames: ["a", "b", "c"])
        for count in 1...12 {
            let joined = try (0..<count).flatMap { try dataset.shard($0, of: count).records }
            #expect(joined == records, "\(count) shards")
        }
        #expect(throws: ImageError.self) { try dataset.shard(3, of: 3) }
        #expect(throws: ImageError.self) { try dataset.shard(0, of: 0) }
    }

    @Test func csvLists() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let names = folder + "/names.csv"
        try "path,label\r\ncat/1.jpg,cat\r\n\"dog, big/2.jpg\",dog\r\n\"q\"\"uote.png\",cat\r\n".write(toFile: names, atomically: true, encoding: .utf8)
        let byName = try ImageDataset.csvList(names)
        #expect(byName.records.map(\.path) == ["cat/1.jpg", "dog, big/2.jpg", "q\"uote.png"])
        #expect(byName.labels == [0, 1, 0] && byName.classNames == ["cat", "dog"] && byName.root == folder)
        let numbers = folder + "/numbers.csv"
        try "a.jpg,2\nb.jpg,0\n".write(toFile: numbers, atomically: true, encoding: .utf8)
        let byNumber = try ImageDataset.csvList(numbers)
        #expect(byNumber.labels == [2, 0] && byNumber.classNames == ["0", "1", "2"])
        let unlabelled = folder + "/plain.csv"
        try "a.jpg\nb.jpg\n".write(toFile: unlabelled, atomically: true, encoding: .utf8)
        #expect(try ImageDataset.csvList(unlabelled).labels == [-1, -1])
        for bad in ["a.jpg,1,extra\n", "\"open.jpg,1\n", "a.jpg,1\nb.jpg\n", "\"a\"x.jpg,1\n", ""] {
            let path = folder + "/bad.csv"
            try bad.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: ImageError.self, "\(bad.debugDescription)") { try ImageDataset.csvList(path) }
        }
    }
}
