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
    ])
    func refusesMalformed(body: String) {
        var decoder = ChunkedDecoder()
        let outcome = Array(body.utf8).withUnsafeBytes { decoder.consume($0) }
        #expect(outcome == .failure)
    }
}
