import Foundation
import Testing
@testable import ZooHDF5

/// The sandbox child decodes every attribute and sends them back; in-process reads of a file
/// opened under the sandbox answer from that snapshot (issue 11).
@Suite struct HDF5AttributeSnapshotTests {
    static let sample = HDF5AttributeSnapshot(objects: [
        0: [("layer_names", .strings(["a", "bé", ""])), ("backend", .string("tensorflow"))],
        8_000_000_000: [("n", .integer(-3)), ("ids", .integers([1, Int64.min, Int64.max])),
                        ("lr", .double(1e-3)), ("xs", .doubles([.infinity, -0.0, 2.5])),
                        ("odd", .unsupported("compound")), ("refused", nil)],
        42: [],
    ])

    /// Every value kind survives the wire format, in order, per object.
    @Test func roundTripsEveryValueKind() throws {
        let bytes = Self.sample.encoded()
        let decoded = try #require(bytes.withUnsafeBytes { HDF5AttributeSnapshot.decode($0) })
        #expect(decoded.objects.keys.sorted() == [0, 42, 8_000_000_000])
        for (address, attributes) in Self.sample.objects {
            let back = try #require(decoded.objects[address])
            #expect(back.map(\.name) == attributes.map(\.name))
            #expect(back.map(\.value) == attributes.map(\.value))
        }
    }

    /// A cut-short or altered stream decodes to nil, never to a partial snapshot or a crash.
    @Test func truncatedOrCorruptStreamsAreRejected() {
        let bytes = Self.sample.encoded()
        for length in 0..<bytes.count {
            let cut = Array(bytes.prefix(length))
            #expect(cut.withUnsafeBytes { HDF5AttributeSnapshot.decode($0) } == nil, "prefix \(length)")
        }
        var lying = bytes
        lying[24] = 0xFF  // the first object's attribute count, now far past the stream
        #expect(lying.withUnsafeBytes { HDF5AttributeSnapshot.decode($0) } == nil)
        var badMagic = bytes
        badMagic[0] = 0
        #expect(badMagic.withUnsafeBytes { HDF5AttributeSnapshot.decode($0) } == nil)
        #expect((bytes + [0]).withUnsafeBytes { HDF5AttributeSnapshot.decode($0) } == nil)
        let empty = HDF5AttributeSnapshot(objects: [:]).encoded()
        #expect(empty.withUnsafeBytes { HDF5AttributeSnapshot.decode($0) }?.objects.isEmpty == true)
    }

    /// While a snapshot is installed for an open file, attribute reads answer from it (by the
    /// object's address), not from libhdf5; clearing it reads the file again.
    @Test func openFileReadsAttributesFromItsSnapshot() throws {
        let file = try HDF5File.open(fixturePath("tiny.legacy.h5"), sandboxed: false)
        let root = try file.root()
        let real = try #require(try root.attribute("layer_names")?.stringList)
        #expect(real.contains("fc"))
        let address = try #require(HDF5AttributeSnapshot.location(of: root.handle.id)?.address)
        let fake = HDF5AttributeSnapshot(objects: [address: [("layer_names", .strings(["only"])), ("extra", .integer(7))]])
        HDF5AttributeSnapshot.install(fake, forFile: file.handle.id)
        #expect(try root.attribute("layer_names") == .strings(["only"]))
        #expect(try root.attributeNames() == ["layer_names", "extra"])
        #expect(try root.hasAttribute("keras_version") == false)
        #expect(try root.attribute("extra") == .integer(7))
        // An object the child never reached falls back to libhdf5.
        let fc = try root.group("fc")
        #expect(try fc.attribute("weight_names")?.stringList?.isEmpty == false)
        HDF5AttributeSnapshot.install(nil, forFile: file.handle.id)
        #expect(try root.attribute("layer_names")?.stringList == real)
    }

    /// The snapshot the real child sends equals what an in-process read gives, for every object.
    @Test func childSnapshotMatchesInProcessReads() throws {
        let path = fixturePath("tiny.model.h5")
        let walk = HDF5Probe.walkKeepingAttributes(path: path)
        #expect(walk.summary.damage == nil)
        let sent = try #require(HDF5AttributeSnapshot(objects: walk.attributes).encoded().withUnsafeBytes { HDF5AttributeSnapshot.decode($0) })
        #expect(sent.objects.count == walk.summary.groups + walk.summary.datasets)
        let file = try HDF5File.open(path, sandboxed: false)
        let root = try file.root()
        let address = try #require(HDF5AttributeSnapshot.location(of: root.handle.id)?.address)
        let rootAttributes = try #require(sent.objects[address])
        #expect(rootAttributes.map(\.name) == (try root.attributeNames()))
        for (name, value) in rootAttributes {
            #expect(value == (try root.readAttribute(name)), "\(name)")
        }
        #expect(rootAttributes.contains { $0.name == "model_config" })
    }
}
