import Testing
@testable import ZooImages

@Suite struct ImageNetClassesTests {
    @Test func thousandClassesInKerasOrder() {
        #expect(ImageNetClasses.all.count == 1000)
        let ids = ImageNetClasses.all.map(\.wnid)
        #expect(ids == ids.sorted(), "Keras's ImageNet classes are the sorted WordNet IDs")
        #expect(ImageNetClasses.all[0] == ("n01440764", "tench"))
        #expect(ImageNetClasses.names[1] == "goldfish" && ImageNetClasses.names[2] == "great_white_shark")
        #expect(ImageNetClasses.names[999] == "toilet_tissue")
    }
}
