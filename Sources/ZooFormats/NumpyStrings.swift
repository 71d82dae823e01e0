/// A one-dimensional NumPy unicode string array (`<U{width}`), as `np.array(["cat", "dog"])`
/// stores it: each string as `width` UTF-32LE code units, zero-padded. `np.load` reads it without
/// `allow_pickle`, which is why SwiftZoo writes class names and file paths this way.
public struct NumpyStrings: Sendable, Equatable {
    /// The strings, in order.
    public var values: [String]

    /// Wraps `values`.
    public init(_ values: [String]) { self.values = values }

    /// The `.npy` bytes: a `(count,)` array of `<U{longest}` (at least `<U1`, as NumPy writes an
    /// empty or all-empty array).
    public func encoded() -> [UInt8] {
        let (header, payload) = parts()
        return header + payload
    }

    /// The `.npy` header and the element bytes, separately.
    func parts() -> (header: [UInt8], payload: [UInt8]) {
        let scalars = values.map { Array($0.unicodeScalars) }
        let width = max(1, scalars.map(\.count).max() ?? 1)
        let header = NumpyArray.headerBytes(descr: "<U\(width)", shape: [values.count])
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * width * 4)
        for string in scalars {
            for scalar in string {
                let value = scalar.value
                bytes += [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
            }
            bytes += [UInt8](repeating: 0, count: (width - string.count) * 4)
        }
        return (header, bytes)
    }

    /// Decodes `.npy` bytes holding a one-dimensional unicode string array; `name` names them in
    /// errors. Trailing NULs are stripped, as NumPy does; invalid code points are refused.
    public static func decode(_ bytes: UnsafeRawBufferPointer, name: String) throws -> NumpyStrings {
        let layout = try NumpyArray.Layout(bytes, name: name)
        guard case .unicode(let width) = layout.element else {
            throw FormatError.invalid(file: name, location: "npy header", expected: "a unicode string array such as '<U8', found '\(layout.descr)'")
        }
        guard layout.shape.count == 1 else {
            throw FormatError.invalid(file: name, location: "npy header", expected: "a one-dimensional string array, found shape \(NumpyArray.shapeRepr(layout.shape))")
        }
        var values: [String] = []
        values.reserveCapacity(layout.shape[0])
        for index in 0..<layout.shape[0] {
            var units: [UInt32] = []
            let start = layout.dataOffset + index * width * 4
            for unit in 0..<width {
                let offset = start + unit * 4
                let value = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
                units.append(layout.swapped ? value.byteSwapped : value)
            }
            while units.last == 0 { units.removeLast() }
            var string = String.UnicodeScalarView()
            for value in units {
                guard let scalar = Unicode.Scalar(value) else {
                    throw FormatError.invalid(file: name, location: "npy data, string \(index)", expected: "valid Unicode code points, found 0x\(String(value, radix: 16))")
                }
                string.append(scalar)
            }
            values.append(String(string))
        }
        return NumpyStrings(values)
    }
}
