import Testing
@testable import ZooImages

@Suite struct ImageTests {
    @Test func initializerChecksTheByteCount() throws {
        let image = try Image(width: 2, height: 1, channels: 3, pixels: [1, 2, 3, 4, 5, 6])
        #expect(image[0, 1, 2] == 6)
        #expect(throws: ImageError.self) { try Image(width: 2, height: 2, channels: 3, pixels: [1, 2, 3]) }
        #expect(throws: ImageError.self) { try Image(width: 0, height: 2, channels: 3, pixels: []) }
        #expect(throws: ImageError.self) { try Image(width: 1, height: 1, channels: 5, pixels: [0, 0, 0, 0, 0]) }
        #expect(throws: ImageError.self) { try Image(width: Int.max, height: 2, channels: 3, filledWith: 0) }
    }

    @Test func floatImageCopiesValues() throws {
        let image = try Image(width: 1, height: 2, channels: 1, pixels: [0, 255])
        let float = FloatImage(image)
        #expect(float.pixels == [0, 255])
        #expect(float[1, 0, 0] == 255)
    }
}
