import Foundation
import Testing
@testable import ZooHDF5

@Suite struct HDF5AttributeTests {
    @Test(arguments: [false, true])
    func everyValueFormRoundTrips(fixed: Bool) throws {
        let dir = TemporaryDirectory()
        let path = dir.file("attrs.h5")
        let values: [(String, HDF5AttributeValue)] = [
            ("scalar_string", .string("tensorflow")),
            ("strings", .strings(["input_1", "conv1_pad", "conv1", "bn_conv1 — ü"])),
            ("empty_strings", .strings([])),
            ("int", .integer(-7)),
            ("ints", .integers([1, 2, 3])),
            ("double", .double(1.001e-5)),
            ("doubles", .doubles([0.5, -2])),
            ("empty_doubles", .doubles([])),
        ]
        do {
            let root = try HDF5File.create(path).root()
            for (name, value) in values { try root.setAttribute(name, value, fixedLengthStrings: fixed) }
        }
        let root = try HDF5File.open(path).root()
        for (name, value) in values {
            #expect(try root.attribute(name) == value, "\(name)")
        }
        #expect(try root.attributeNames() == values.map(\.0).sorted())
        #expect(try root.attribute("absent") == nil)
        #expect(try root.attribute("empty_doubles")?.stringList == [])
    }

    @Test func replacingAnAttributeKeepsOneValue() throws {
        let dir = TemporaryDirectory()
        let root = try HDF5File.create(dir.file("r.h5")).root()
        try root.setAttribute("v", .string("one"))
        try root.setAttribute("v", .strings(["two", "three"]))
        #expect(try root.attribute("v") == .strings(["two", "three"]))
        #expect(try root.attributeNames() == ["v"])
    }

    @Test func fixedLengthStringsDropTheirPadding() throws {
        let dir = TemporaryDirectory()
        let root = try HDF5File.create(dir.file("pad.h5")).root()
        try root.setAttribute("names", .strings(["ab", "abcdef"]), fixedLengthStrings: true)
        #expect(try root.attribute("names") == .strings(["ab", "abcdef"]))
        #expect(try root.attribute("names")?.stringValue == nil)
        #expect(HDF5AttributeValue.strings(["only"]).stringValue == "only")
    }
}
