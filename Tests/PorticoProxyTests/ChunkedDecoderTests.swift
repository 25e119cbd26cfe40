import Testing

@testable import PorticoProxy

@Suite struct ChunkedDecoderTests {
    static let body = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n"

    @Test func findsTheEndAndTheData() {
        var decoder = ChunkedDecoder()
        var data: [UInt8] = []
        let bytes = Array((Self.body + "GET /next").utf8)
        let outcome = bytes.withUnsafeBytes { pointer in
            decoder.consume(pointer) { data += pointer[$0] }
        }
        #expect(outcome == .done(end: Self.body.utf8.count))
        #expect(String(decoding: data, as: UTF8.self) == "hello world")
    }

    @Test func byteAtATime() {
        var decoder = ChunkedDecoder()
        let bytes = Array(Self.body.utf8)
        for (index, byte) in bytes.enumerated() {
            let outcome = [byte].withUnsafeBytes { decoder.consume($0) }
            if index == bytes.count - 1 {
                #expect(outcome == .done(end: 1))
            } else {
                #expect(outcome == .needMore)
            }
        }
    }

    @Test(arguments: [
        "x\r\n", "5\r\nhelloX\r\n", "\r\n", "5\nhello\r\n", "fffffffffffffffffff\r\n", "5\r\nhello\r\n0\r\n\n",
        // Trailers with the head's strictness: a request line posing as a trailer, space before
        // the colon, no colon, bare LF, an oversized line.
        "0\r\nX: y\r\nGET /smuggled HTTP/1.1\r\n", "0\r\nX-A : 1\r\n\r\n", "0\r\nNoColon\r\n\r\n", "0\r\nX-A: 1\n\r\n",
        "0\r\nX: \(String(repeating: "a", count: 9000))\r\n\r\n",
    ])
    func refusesMalformed(body: String) {
        var decoder = ChunkedDecoder()
        let outcome = Array(body.utf8).withUnsafeBytes { decoder.consume($0) }
        #expect(outcome == .failure)
    }

    /// The request path forwards only what precedes the trailer section.
    @Test func forwardableStopsAtTheTrailers() {
        var decoder = ChunkedDecoder()
        let body = "5\r\nhello\r\n0\r\nX-A: 1\r\n"
        let first = Array(body.utf8).withUnsafeBytes { decoder.consume($0) }
        #expect(first == .needMore)
        #expect(decoder.forwardable == "5\r\nhello\r\n0\r\n".utf8.count)
        let rest = Array("X-B: 2\r\n\r\nnext".utf8).withUnsafeBytes { decoder.consume($0) }
        #expect(rest == .done(end: "X-B: 2\r\n\r\n".utf8.count))
        #expect(decoder.forwardable == 0)
        var plain = ChunkedDecoder()
        let whole = Array("2\r\nok\r\n0\r\n\r\n".utf8).withUnsafeBytes { plain.consume($0) }
        #expect(whole == .done(end: 12))
        #expect(plain.forwardable == 10)
    }
}
