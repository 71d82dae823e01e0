import Foundation
import Testing
@testable import ZooHDF5

@Suite struct HDF5FileTests {
    @Test func libraryIsThreadSafeBuild() {
        #expect(HDF5File.isThreadSafe)
        #expect(HDF5File.libraryVersion.hasPrefix("1."))
    }

    @Test func missingFileDirectoryAndNonHDF5GetPlainErrors() throws {
        let dir = TemporaryDirectory()
        #expect(throws: HDF5Error.fileNotFound(file: dir.file("nope.h5"))) { try HDF5File.open(dir.file("nope.h5")) }
        #expect(throws: HDF5Error.isDirectory(file: dir.path)) { try HDF5File.open(dir.path) }
        FileManager.default.createFile(atPath: dir.file("empty.h5"), contents: Data())
        #expect(throws: HDF5Error.notHDF5(file: dir.file("empty.h5"))) { try HDF5File.open(dir.file("empty.h5")) }
        FileManager.default.createFile(atPath: dir.file("text.h5"), contents: Data("hello, not hdf5".utf8))
        #expect(throws: HDF5Error.notHDF5(file: dir.file("text.h5"))) { try HDF5File.open(dir.file("text.h5")) }
        #expect(!HDF5File.isHDF5(dir.file("text.h5")))
    }

    @Test func truncatedFileIsAnErrorNamingTheFile() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("full.h5")
        do {
            let file = try HDF5File.create(path)
            let values = [Float](repeating: 1.5, count: 4096)
            try values.withUnsafeBytes { _ = try file.root().createDataset("big", type: .float32, shape: [4096], bytes: $0) }
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = dir.file("cut.h5")
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
        do {
            let file = try HDF5File.open(cut)
            let dataset = try file.root().dataset("big")
            _ = try dataset.readBytes()
            Issue.record("reading a truncated file succeeded")
        } catch let error as HDF5Error {
            #expect(error.description.contains(cut))
        }
    }

    @Test func createRefusesToClobberWhenAsked() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("a.h5")
        _ = try HDF5File.create(path)
        #expect(throws: HDF5Error.self) { try HDF5File.create(path, overwrite: false) }
        _ = try HDF5File.create(path, overwrite: true)
    }

    @Test func inMemoryImageOpens() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("img.h5")
        do {
            let root = try HDF5File.create(path).root()
            try [Int32(1), 2, 3].withUnsafeBytes { _ = try root.createDataset("x", type: .integer(bits: 32, signed: true), shape: [3], bytes: $0) }
            try root.setAttribute("note", .string("in memory"))
        }
        let image = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let file = try HDF5File.open(image: image, name: "archive.zip:img.h5")
        let root = try file.root()
        #expect(try root.attribute("note") == .string("in memory"))
        let bytes = try root.dataset("x").readBytes()
        #expect(bytes.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) } == [1, 2, 3])
        #expect(throws: HDF5Error.notHDF5(file: "junk")) { try HDF5File.open(image: [1, 2, 3], name: "junk") }
    }
}
