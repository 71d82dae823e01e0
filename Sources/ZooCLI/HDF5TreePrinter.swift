import Foundation
import ZooFormats
import ZooHDF5

/// Renders the raw HDF5 tree of a file, like `h5ls -r` with attributes: groups, datasets with
/// shape and element type, and attributes with their values (long ones shortened).
enum HDF5TreePrinter {
    static let valueLimit = 100

    static func render(file: String) throws -> String {
        let hdf5: HDF5File
        do {
            hdf5 = try HDF5File.open(file)
        } catch HDF5Error.notHDF5(let name) {
            throw FormatError.notKeras(file: name, reason: "--tree shows HDF5 files only, and this is not one")
        }
        var out = ""
        try renderGroup(try hdf5.root(), name: "/", depth: 0, into: &out)
        return out
    }

    private static func renderGroup(_ group: HDF5Group, name: String, depth: Int, into out: inout String) throws {
        let indent = String(repeating: "  ", count: depth)
        out += "\(indent)\(name == "/" ? "/" : name + "/")\n"
        try renderAttributes(group, depth: depth + 1, into: &out)
        for child in try group.children() {
            switch child.kind {
            case .group:
                try renderGroup(try group.group(child.name), name: child.name, depth: depth + 1, into: &out)
            case .dataset:
                let dataset = try group.dataset(child.name)
                let shape = dataset.shape.isEmpty ? "scalar" : "[" + dataset.shape.map(String.init).joined(separator: ", ") + "]"
                var type = dataset.elementType.description
                if case .opaque(2) = dataset.elementType, (try? dataset.attribute("dtype"))??.stringValue == "bfloat16" {
                    type = "bfloat16 (opaque)"
                }
                out += "\(indent)  \(child.name)  dataset \(type) \(shape)\n"
                try renderAttributes(dataset, depth: depth + 2, into: &out)
            case .datatype, .other:
                out += "\(indent)  \(child.name)  (\(child.kind.rawValue))\n"
            }
        }
    }

    private static func renderAttributes(_ object: some HDF5Object, depth: Int, into out: inout String) throws {
        let indent = String(repeating: "  ", count: depth)
        for name in try object.attributeNames() {
            let value = try object.attribute(name).map(shorten) ?? "?"
            out += "\(indent)@\(name) = \(value)\n"
        }
    }

    /// The value's text, cut to `valueLimit` characters with a count of what was left out.
    static func shorten(_ value: HDF5AttributeValue) -> String {
        let text = value.description.replacingOccurrences(of: "\n", with: "\\n")
        guard text.count > valueLimit else { return text }
        let size: String
        switch value {
        case .strings(let list): size = "\(list.count) strings"
        case .integers(let list): size = "\(list.count) integers"
        case .doubles(let list): size = "\(list.count) values"
        case .string(let s): size = "\(s.utf8.count) bytes"
        default: size = "\(text.count) characters"
        }
        return String(text.prefix(valueLimit)) + "… (\(size))"
    }
}
