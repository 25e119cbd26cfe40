import PorticoRouting
import Testing

@Suite struct SourceRangeTests {
    @Test func prefixesMatchOnBitBoundaries() throws {
        let range = try #require(SourceRange(address: [10, 1, 0, 0], prefixLength: 17))
        #expect(range.contains([10, 1, 127, 255]))
        #expect(!range.contains([10, 1, 128, 0]))
        #expect(!range.contains([11, 1, 0, 0]))
        #expect(try #require(SourceRange(address: [0, 0, 0, 0], prefixLength: 0)).contains([8, 8, 8, 8]))
        #expect(!range.contains(Array(repeating: 0, count: 16)))  // IPv6 peer, IPv4 block
        #expect(SourceRange(address: [1, 2, 3, 4], prefixLength: 33) == nil)
        #expect(range.description == "10.1.0.0/17")
    }
}
