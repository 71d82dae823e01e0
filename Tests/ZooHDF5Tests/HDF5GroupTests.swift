import Foundation
import Testing
@testable import ZooHDF5

@Suite struct HDF5GroupTests {
    @Test func childrenAreListedInNameOrderWithKinds() throws {
        let dir = TemporaryDirectory()
        let root = try HDF5File.create(dir.file("g.h5")).root()
        try root.createGroup("zeta")
        try root.createGroup("alpha/inner")
        try [Float(1)].withUnsafeBytes { _ = try root.createDataset("mid", type: .float32, shape: [1], bytes: $0) }
        let children = try root.children()
        #expect(children.map(\.name) == ["alpha", "mid", "zeta"])
        #expect(children.map(\.kind) == [.group, .dataset, .group])
        #expect(try root.group("alpha").children().map(\.name) == ["inner"])
        #expect(root.contains("alpha/inner"))
        #expect(!root.contains("alpha/missing"))
        #expect(root.kind(of: "mid") == .dataset)
        #expect(root.kind(of: "nothing") == nil)
    }

    @Test func childrenFollowCreationOrderWhenTracked() throws {
        let dir = TemporaryDirectory()
        let root = try HDF5File.create(dir.file("order.h5")).root()
        let tracked = try root.createGroup("tracked", trackCreationOrder: true)
        for name in ["c", "a", "b"] { try tracked.createGroup(name) }
        #expect(try tracked.children().map(\.name) == ["c", "a", "b"])
    }

    @Test func missingAndWrongKindErrorsNameFileAndPath() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("e.h5")
        let root = try HDF5File.create(path).root()
        try root.createGroup("grp")
        #expect(throws: HDF5Error.objectNotFound(file: path, path: "/nope")) { try root.group("nope") }
        #expect(throws: HDF5Error.wrongObjectKind(file: path, path: "/grp", expected: "dataset", found: "group")) { try root.dataset("grp") }
        let error = HDF5Error.objectNotFound(file: path, path: "/nope")
        #expect(error.description == "\(path): no object at HDF5 path '/nope'")
    }

    @Test func libraryErrorsCarryTheHDF5Stack() throws {
        let dir = TemporaryDirectory()
        let root = try HDF5File.create(dir.file("dup.h5")).root()
        try root.createGroup("x")
        do {
            _ = try root.createGroup("x")
            Issue.record("creating a duplicate group succeeded")
        } catch let HDF5Error.library(operation, _, path, message) {
            #expect(operation == "creating group")
            #expect(path == "/x")
            #expect(!message.isEmpty)
        }
    }
}
