import Testing

@testable import PorticoProxy

/// The packed head offsets must give back exactly what the parser stored, and "absent" must
/// stay distinct from an empty range at offset 0.
@Suite struct HeadRangeTests {
    @Test func absentByDefaultAndAfterClearing() {
        var stored = HeadRange()
        #expect(stored.wrappedValue == nil)
        stored.wrappedValue = 0..<0
        #expect(stored.wrappedValue == 0..<0)
        stored.wrappedValue = nil
        #expect(stored.wrappedValue == nil)
    }

    @Test func roundTripsParsedHeadPositions() {
        var head = RequestHead()
        let text = "GET / HTTP/1.1\r\nHost: example.test\r\nOrigin: https://a.test\r\n\r\n"
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { pointer in
            _ = RequestHeadParser.parse(pointer, into: &head)
        }
        let host = try! #require(head.hostValue)
        let origin = try! #require(head.origin)
        #expect(String(decoding: bytes[host], as: UTF8.self) == "example.test")
        #expect(String(decoding: bytes[origin], as: UTF8.self) == "https://a.test")
        #expect(head.cookie == nil)
        let field = try! #require(head.fields.first)
        #expect(String(decoding: bytes[field.valueStart..<field.valueEnd], as: UTF8.self) == "example.test")
    }

    /// The reason the type exists: ten optional ranges and every field stay small while idle.
    @Test func keepsTheIdleHeadSmall() {
        #expect(MemoryLayout<HeadRange>.size == 8)
        #expect(MemoryLayout<HeaderField>.stride == 20)
    }

    @Test func largeOffsetsSurvive() {
        var stored = HeadRange()
        stored.wrappedValue = 70_000..<1_000_000
        #expect(stored.wrappedValue == 70_000..<1_000_000)
        let field = HeaderField(lineStart: 65_536, nameEnd: 65_540, valueStart: 65_542, valueEnd: 100_000, kind: .other)
        #expect(field.lineStart == 65_536 && field.nameEnd == 65_540 && field.valueStart == 65_542 && field.valueEnd == 100_000)
    }
}
