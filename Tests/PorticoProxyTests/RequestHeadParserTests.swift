import NIOCore
import Testing

@testable import PorticoProxy

@Suite struct RequestHeadParserTests {
    func parse(_ text: String) -> (HeadParseResult, RequestHead) {
        var head = RequestHead()
        var bytes = Array(text.utf8)
        let result = bytes.withUnsafeMutableBytes { RequestHeadParser.parse(UnsafeRawBufferPointer($0), into: &head) }
        return (result, head)
    }

    func status(_ text: String) -> Int? {
        if case .failure(let failure) = self.parse(text).0 { return failure.status }
        return nil
    }

    @Test func parsesWhatRoutingAndFramingNeed() {
        let (result, head) = self.parse(
            "POST /one/a?x=1 HTTP/1.1\r\nHost: a.nip.io:8080\r\nContent-Length: 5\r\nX-Forwarded-For: 1.2.3.4\r\nConnection: keep-alive, X-Custom\r\n\r\nhello")
        #expect(result == .complete)
        #expect(head.method == .post)
        #expect(head.framing == .length(5))
        #expect(head.headLength == 128)
        #expect(head.pathEnd - head.targetStart == 6)
        #expect(head.hostValue != nil)
        #expect(head.connectionHasExtraTokens)
        #expect(head.wantsKeepAlive)
    }

    @Test func completesOnlyWhenTheLastByteArrives() {
        // Fed one byte at a time: incomplete until the final LF, never an error.
        let text = "GET / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"
        let bytes = Array(text.utf8)
        for length in 1..<bytes.count {
            var head = RequestHead()
            let result = bytes[0..<length].withUnsafeBytes { RequestHeadParser.parse($0, into: &head) }
            #expect(result == .incomplete, "prefix of \(length) bytes")
        }
        #expect(self.parse(text).0 == .complete)
    }

    @Test func absoluteFormTakesTheHostFromTheURI() {
        let (result, head) = self.parse("GET http://Example.com:8080/p?q HTTP/1.1\r\nHost: other\r\n\r\n")
        #expect(result == .complete)
        #expect(head.authority != nil)
        #expect(head.pathEnd - head.targetStart == 2)
    }

    /// Found by the framing fuzzer: `http://host` has an empty path, which is `/`, never an
    /// empty target (that would forward `GET  HTTP/1.1`).
    @Test func absoluteFormWithoutPathTargetsTheRoot() {
        let text = "GET http://Example.com HTTP/1.1\r\nHost: other\r\n\r\n"
        let (result, head) = self.parse(text)
        #expect(result == .complete)
        let bytes = Array(text.utf8)
        #expect(Array(bytes[head.targetStart..<head.targetEnd]) == Array("/".utf8))
        #expect(head.pathEnd == head.targetEnd)
        #expect(head.authority.map { String(decoding: bytes[$0], as: UTF8.self) } == "Example.com")
        #expect(self.status("GET http://Example.com?x=1 HTTP/1.1\r\nHost: other\r\n\r\n") == 400)
    }

    /// Requests RFC 9112 says to refuse; each is a request-smuggling or header-injection vector.
    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1,1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
        ("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n folded\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\nb: c\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        ("GET / JUNK/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET foo HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 405),
        ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX:\u{0}\r\n\r\n", 400),
        ("GET / HTTP/1.1\nHost: a\n\n", 400),
        ("GET / HTTP/1.1\nHost: a", 400),
        ("GET / HTTP/1.1\r\nHost: a\nX: partial", 400),  // a bare LF on a later line, head incomplete
    ])
    func refuses(request: String, status: Int) {
        #expect(self.status(request) == status)
    }

    @Test func oversizedHeadsAreRefused() {
        #expect(self.status("GET /" + String(repeating: "a", count: 9000)) == 414)
        #expect(self.status("GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X: y\r\n", count: 6000)) == 431)
        #expect(self.status("GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "v", count: 9000))\r\n\r\n") == 431)
    }

    @Test func leadingEmptyLinesAreSkipped() {
        #expect(self.parse("\r\n\r\nGET / HTTP/1.1\r\n").0 == .skip(4))
        #expect(self.parse("\n\r\nGET / HTTP/1.1\r\n").0 == .skip(3))
        #expect(self.status("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n") == 400)
    }

    @Test func http10WithoutHostIsAccepted() {
        let (result, head) = self.parse("GET / HTTP/1.0\r\n\r\n")
        #expect(result == .complete)
        #expect(!head.wantsKeepAlive)
    }

    @Test func headerKindsAreCaseInsensitive() {
        let (_, head) = self.parse("GET / HTTP/1.1\r\nhOsT: a\r\nX_Forwarded_For: evil\r\nkeep-alive: 5\r\n\r\n")
        #expect(head.fields.map(\.kind) == [.host, .underscored, .hopByHop])
    }

    @Test func duplicateContentLengthIsRefusedEvenWhenEqual() {
        #expect(self.status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd") == 400)
        #expect(self.status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcd") == 400)
    }

    /// `GET /` with no version has no head to wait for: 400 as soon as its line ends.
    @Test func http09RequestLineIsRefusedAtOnce() {
        #expect(self.status("GET /\r\n") == 400)
        #expect(self.status("GET /index.html\r\nmore") == 400)
        #expect(self.parse("GET / HTTP/1.1\r\n").0 == .incomplete)  // a real request line waits for its head
        #expect(self.parse("GET / HTTP/1.1\r").0 == .incomplete)
    }

    /// ingress-nginx's `large-client-header-buffers 4 8k`: lines of 8 KiB, 32 KiB in all, no
    /// count of fields (real clients with many cookies and tracing headers pass 100).
    @Test func manyFieldsWithinTheSizeLimitsPass() {
        let fields = (0..<400).map { "X-\($0): v\r\n" }.joined()
        let (result, head) = self.parse("GET / HTTP/1.1\r\nHost: h\r\n\(fields)\r\n")
        #expect(result == .complete)
        #expect(head.fields.count == 401)
        #expect(self.status("GET / HTTP/1.1\r\nHost: h\r\nX: \(String(repeating: "a", count: 9000))\r\n\r\n") == 431)
    }

    @Test func fragmentsAreCutFromTheTarget() {
        let text = "GET /a/b?x=1#frag HTTP/1.1\r\nHost: h\r\n\r\n"
        let (result, head) = self.parse(text)
        #expect(result == .complete)
        let bytes = Array(text.utf8)
        #expect(String(decoding: bytes[head.targetStart..<head.targetEnd], as: UTF8.self) == "/a/b?x=1")
        #expect(self.status("GET #frag HTTP/1.1\r\nHost: h\r\n\r\n") == 400)
    }

    @Test func httpDateIsIMFFixdate() {
        #expect(String(decoding: HTTPDate.render(0), as: UTF8.self) == "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n")
        #expect(String(decoding: HTTPDate.render(1_796_161_919), as: UTF8.self) == "Date: Tue, 01 Dec 2026 21:51:59 GMT\r\n")
    }
}
