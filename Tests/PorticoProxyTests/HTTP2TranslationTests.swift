import NIOCore
import NIOHPACK
import NIOHTTP2
import Testing

@testable import PorticoProxy

/// The h2→h1 request translation and the h1→h2 answer translation, without sockets: what the
/// phases read is one well-formed HTTP/1.1 request, whatever the header block held, and what
/// the client gets is HEADERS and DATA with END_STREAM on the last bytes.
@Suite struct HTTP2TranslationTests {
    static func request(_ fields: [(String, String)], endStream: Bool = true) throws(HTTP2RequestTranslator.Malformed) -> (String, HTTP2RequestTranslator) {
        var translator = HTTP2RequestTranslator()
        var out = ByteBuffer()
        try translator.head(HPACKHeaders(fields), endStream: endStream, into: &out)
        return (String(buffer: out), translator)
    }

    static let base = [(":method", "GET"), (":scheme", "https"), (":authority", "app.test"), (":path", "/a?b=1")]

    @Test func aRequestBecomesOneHTTP11Head() throws {
        let (head, _) = try Self.request(Self.base + [("x-a", "1"), ("cookie", "a=1"), ("cookie", "b=2"), ("te", "trailers")])
        #expect(head == "GET /a?b=1 HTTP/1.1\r\nHost: app.test\r\nx-a: 1\r\ncookie: a=1; b=2\r\n\r\n")
        // The strict HTTP/1.1 parser reads it whole, as one request.
        var parsed = RequestHead()
        let result = ByteBuffer(string: head).withUnsafeReadableBytes { RequestHeadParser.parse($0, into: &parsed) }
        #expect(result == .complete)
        #expect(parsed.headLength == head.utf8.count)
        #expect(parsed.framing == .none)
    }

    @Test func bodiesAreFramedByLengthOrChunked() throws {
        var (head, translator) = try Self.request(
            [(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/"), ("content-length", "5")], endStream: false)
        #expect(head.hasSuffix("content-length: 5\r\n\r\n"))
        let first = try translator.data(ByteBuffer(string: "abc"), endStream: false)
        #expect(String(buffer: first) == "abc")
        #expect(throws: HTTP2RequestTranslator.Malformed.self) { try translator.data(ByteBuffer(string: "def"), endStream: true) }

        (head, translator) = try Self.request([(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/")], endStream: false)
        #expect(head.hasSuffix("transfer-encoding: chunked\r\n\r\n"))
        let chunk = try translator.data(ByteBuffer(string: "hello, world"), endStream: false)
        #expect(String(buffer: chunk) == "c\r\nhello, world\r\n")
        var trailerEnd = ByteBuffer()
        try translator.trailers(into: &trailerEnd)
        #expect(String(buffer: trailerEnd) == "0\r\n\r\n")
        #expect(throws: HTTP2RequestTranslator.Malformed.self) { try translator.data(ByteBuffer(string: "x"), endStream: true) }

        (_, translator) = try Self.request(
            [(":method", "PUT"), (":scheme", "http"), (":authority", "a"), (":path", "/"), ("content-length", "2")], endStream: false)
        #expect(throws: HTTP2RequestTranslator.Malformed.self) { try translator.data(ByteBuffer(string: "abc"), endStream: false) }
    }

    /// RFC 9113 §8.2, §8.3: each of these is malformed, so nothing is written.
    @Test(arguments: [
        [(":path", "/x"), (":method", "GET"), (":scheme", "http"), (":authority", "a"), ("x-a", "1\r\nx-b: 2")],
        [(":method", "GET"), (":scheme", "http"), (":authority", "a"), (":path", "/x"), ("x-a", "a\u{0}b")],
        [(":method", "GET"), (":scheme", "http"), (":authority", "a"), (":path", "/x"), ("X-Upper", "1")],
        [(":method", "GET"), (":scheme", "http"), (":authority", "a"), (":path", "/x"), ("transfer-encoding", "chunked")],
        [(":method", "GET"), (":scheme", "http"), (":authority", "a"), (":path", "/x"), ("connection", "close")],
        [(":method", "GET"), (":scheme", "http"), (":authority", "a"), (":path", "/x"), ("upgrade", "h2c")],
        [(":method", "GET"), (":scheme", "http"), (":authority", "a"), (":path", "/x"), ("te", "gzip")],
        [(":method", "GET"), (":scheme", "http"), (":authority", "a"), (":path", "/x HTTP/1.1\r\nHost: b")],
        [(":method", "GET"), (":scheme", "http"), (":authority", "a"), (":path", "x")],
        [(":method", "G T"), (":scheme", "http"), (":authority", "a"), (":path", "/x")],
        [(":method", "GET"), (":scheme", "http"), (":authority", "a"), (":path", "/x"), ("host", "b")],
        [(":method", "GET"), (":scheme", "http"), (":authority", "u@a"), (":path", "/x")],
        [(":method", "GET"), (":scheme", "http"), (":path", "/x")],
        [(":method", "GET"), (":scheme", "http"), (":authority", "a"), ("x-a", "1"), (":path", "/x")],
        [(":method", "GET"), (":method", "GET"), (":scheme", "http"), (":authority", "a"), (":path", "/x")],
        [(":method", "GET"), (":scheme", "http"), (":authority", "a"), (":path", "/x"), (":status", "200")],
        [(":method", "CONNECT"), (":authority", "a:443")],
        [(":method", "GET"), (":scheme", "http"), (":authority", "a"), (":path", "/x"), ("content-length", "1, 1")],
        [(":method", "GET"), (":scheme", "http"), (":authority", "a"), (":path", "/x"), ("x-a", " padded")],
    ])
    func malformedRequestsAreRefused(_ fields: [(String, String)]) {
        #expect(throws: HTTP2RequestTranslator.Malformed.self) { _ = try Self.request(fields) }
    }

    @Test func contentLengthWithoutDataIsMalformed() {
        #expect(throws: HTTP2RequestTranslator.Malformed.self) {
            _ = try Self.request([(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/"), ("content-length", "3")])
        }
    }

    /// The frames the answer translator makes of `pieces` written one after the other.
    static func frames(_ pieces: [String], method: RequestHead.Method = .get) -> ([String], HTTP2ResponseTranslator) {
        var translator = HTTP2ResponseTranslator(requestMethod: method)
        var lines: [String] = []
        for piece in pieces {
            translator.write(ByteBuffer(string: piece)) { payload in
                switch payload {
                case .headers(let headers):
                    let fields = headers.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
                    lines.append("HEADERS \(fields)\(headers.endStream ? " END" : "")")
                case .data(let data):
                    guard case .byteBuffer(let buffer) = data.data else { return }
                    lines.append("DATA \(String(buffer: buffer))\(data.endStream ? " END" : "")")
                default:
                    lines.append("other")
                }
            }
        }
        return (lines, translator)
    }

    @Test func answersBecomeHeadersAndData() {
        var (lines, translator) = Self.frames([
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 10\r\n\r\nhello",
            " worl", "d",
        ])
        #expect(lines == ["HEADERS :status=200,content-type=text/plain,content-length=10", "DATA hello", "DATA  worl END"])
        #expect(translator.isComplete)

        (lines, translator) = Self.frames(["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "lo\r\n3\r\nabc\r\n0\r\n\r\n"])
        #expect(lines == ["HEADERS :status=200", "DATA hel", "DATA lo", "DATA abc END"])
        #expect(translator.isComplete)

        (lines, _) = Self.frames(["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n"])
        #expect(lines == ["HEADERS :status=100", "HEADERS :status=204,x-a=1 END"])

        (lines, _) = Self.frames(["HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"], method: .head)
        #expect(lines == ["HEADERS :status=200,content-length=100 END"])

        // Without a length the answer ends when the phases close the stream.
        (lines, translator) = Self.frames(["HTTP/1.1 200 OK\r\n\r\nuntil close"])
        #expect(lines == ["HEADERS :status=200", "DATA until close"])
        #expect(translator.closed() != nil)
        #expect(translator.isComplete)

        // A cut answer is not completed by the close (the stream is reset).
        (_, translator) = Self.frames(["HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"])
        #expect(translator.closed() == nil)
        #expect(!translator.isComplete)

        (_, translator) = Self.frames(["not an answer\r\n\r\n"])
        #expect(translator.state == .failed)
    }

    /// A gRPC call on a stream: `grpc-timeout` bounds the upstream wait (2 s, not the route's
    /// 60 s), and Portico's own answer is a gRPC status, DEADLINE_EXCEEDED, not a 504 page.
    @Test func aGRPCCallsDeadlineBoundsTheUpstreamWait() {
        let connection = ConnectionHarness()
        connection.machine.isHTTP2 = true
        _ = connection.receive("POST /pkg.Svc/Get HTTP/1.1\r\nHost: app.test\r\ncontent-type: application/grpc\r\ngrpc-timeout: 2S\r\ncontent-length: 0\r\n\r\n")
        _ = connection.connected()
        #expect(connection.advance(.seconds(1)) == [])
        let actions = connection.advance(.seconds(1))
        #expect(actions.prefix(2) == ["up close", "write HTTP/1.1 200 OK"], "\(actions)")
        #expect(connection.written.contains("grpc-status: 4\r\n"))
        #expect(connection.written.contains("content-type: application/grpc\r\n"))

        // Without a deadline, an unknown host is UNIMPLEMENTED (12), as gRPC maps a 404.
        let other = ConnectionHarness()
        other.machine.isHTTP2 = true
        _ = other.receive("POST /pkg.Svc/Get HTTP/1.1\r\nHost: nowhere.test\r\ncontent-type: application/grpc+proto\r\ncontent-length: 0\r\n\r\n")
        #expect(other.written.contains("grpc-status: 12\r\ngrpc-message: portico: HTTP 404 Not Found\r\n"), "\(other.written)")
        // Not a gRPC call: the usual page.
        let plain = ConnectionHarness()
        plain.machine.isHTTP2 = true
        _ = plain.receive("GET / HTTP/1.1\r\nHost: nowhere.test\r\n\r\n")
        #expect(plain.written.hasPrefix("HTTP/1.1 404 Not Found"))
    }

    @Test func grpcTimeoutUnits() {
        func parse(_ text: String) -> TimeAmount? { Array(text.utf8).withUnsafeBytes { GRPCAnswer.timeout($0) } }
        #expect(parse("2S") == .seconds(2))
        #expect(parse("100m") == .milliseconds(100))
        #expect(parse("1H") == .hours(1))
        #expect(parse("12345678n") == .nanoseconds(12_345_678))
        #expect(parse("123456789S") == nil)  // 8 digits at most
        #expect(parse("5x") == nil)
        #expect(parse("S") == nil)
    }

    @Test func thePrefaceIsRecognisedOnlyWhole() {
        #expect(HTTP2Preface.match(ByteBuffer(string: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")) == .whole)
        #expect(HTTP2Preface.match(ByteBuffer(string: "PRI * HTTP/2.0\r\n")) == .partial)
        #expect(HTTP2Preface.match(ByteBuffer(string: "POST / HTTP/1.1\r\n")) == .none)
        #expect(HTTP2Preface.match(ByteBuffer(string: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\u{0}\u{0}\u{0}")) == .whole)
    }

    @Test func thePlainPortSwitchesOnThePrefaceOfItsFirstRequestOnly() {
        let connection = ConnectionHarness()
        #expect(connection.receive("PRI * HTTP/2.0\r\n").isEmpty)  // a partial preface waits
        #expect(connection.receive("\r\nSM\r\n\r\n\u{0}\u{0}") == ["http2 26 bytes"])

        let disabled = ConnectionHarness(configuration: {
            var configuration = ProxyConfiguration()
            configuration.http2 = false
            return configuration
        }())
        #expect(disabled.receive("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").first == "write HTTP/1.1 505 HTTP Version Not Supported")
    }
}
