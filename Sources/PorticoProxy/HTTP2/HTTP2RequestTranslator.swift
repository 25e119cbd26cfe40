import NIOCore
import NIOHPACK

/// One HTTP/2 request (RFC 9113 §8.3) written as the HTTP/1.1 request the phases read, so a
/// stream passes exactly the route, access and upstream phases an HTTP/1.1 request passes, and
/// Portico's strict HTTP/1.1 parser reads what this writes a second time.
///
/// This is where h2→h1 downgrade smuggling is stopped (the "HTTP/2: The Sequel is Always
/// Worse" class): a field name or value that could end a line (CR, LF, NUL), a name with upper
/// case or a colon, a connection-specific field (`connection`, `transfer-encoding`, …, §8.2.2),
/// a `:path` with a space, or DATA beyond or short of `content-length` (§8.1.1) make the
/// request malformed, and a malformed request is a stream error (§8.1.1), never bytes upstream.
/// A body without `content-length` is framed here as chunked, so its bytes cannot pose as a
/// second request whatever they hold.
struct HTTP2RequestTranslator {
    /// How the body written so far is framed for the HTTP/1.1 side.
    enum Body: Equatable {
        /// `content-length` bytes still to come.
        case length(remaining: Int)
        /// No `content-length`: each DATA frame becomes a chunk.
        case chunked
        /// The body is complete (or there was none); anything further on the stream is malformed.
        case complete
    }

    struct Malformed: Error, Equatable {
        let reason: String
    }

    private(set) var body = Body.complete
    /// The request is `HEAD` (its answer has no body whatever its fields say).
    private(set) var isHEAD = false

    init() {}

    /// Writes the request head for the header block `headers`; `endStream`: the block ended
    /// the stream (no body).
    mutating func head(_ headers: HPACKHeaders, endStream: Bool, into out: inout ByteBuffer) throws(Malformed) {
        var method: String?
        var path: String?
        var authority: String?
        var scheme: String?
        var sawRegular = false
        var contentLength: Int?
        var cookies: [String] = []
        var host: String?
        for (name, value, _) in headers {
            guard let first = name.utf8.first else { throw Malformed(reason: "an empty field name") }
            if first == UInt8(ascii: ":") {
                // §8.3: pseudo-header fields come first, each once, and only the request ones.
                guard !sawRegular else { throw Malformed(reason: "pseudo-header \(name) after a regular field") }
                switch name {
                case ":method": try Self.once(&method, value, name)
                case ":path": try Self.once(&path, value, name)
                case ":authority": try Self.once(&authority, value, name)
                case ":scheme": try Self.once(&scheme, value, name)
                default: throw Malformed(reason: "pseudo-header \(name) in a request")
                }
                continue
            }
            sawRegular = true
            guard Self.isFieldName(name) else { throw Malformed(reason: "invalid field name") }
            guard Self.isFieldValue(value) else { throw Malformed(reason: "invalid value of \(name)") }
            switch name {
            case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
                throw Malformed(reason: "connection-specific field \(name)")
            case "te":
                // §8.2.2: only "trailers"; it is hop-by-hop in HTTP/1.1, so it goes no further.
                guard value.utf8.elementsEqual("trailers".utf8) else { throw Malformed(reason: "te other than trailers") }
            case "content-length":
                var digits = value
                let parsed = digits.withUTF8 { HTTPBytes.parseDecimal(UnsafeRawBufferPointer($0), 0, $0.count) }
                guard let length = parsed, contentLength == nil || contentLength == length else {
                    throw Malformed(reason: "invalid content-length")
                }
                contentLength = length
            case "cookie":
                cookies.append(value)  // §8.2.3: crumbs, joined below
            case "host":
                guard host == nil else { throw Malformed(reason: "two host fields") }
                host = value
            default:
                break
            }
        }
        guard let method, !method.isEmpty, method.utf8.allSatisfy(HTTPBytes.isToken) else {
            throw Malformed(reason: "missing or invalid :method")
        }
        guard method != "CONNECT" else { throw Malformed(reason: "CONNECT is not proxied") }
        guard let scheme = scheme, !scheme.isEmpty, scheme.utf8.allSatisfy(HTTPBytes.isTargetByte) else {
            throw Malformed(reason: "missing or invalid :scheme")
        }
        guard let path, let firstByte = path.utf8.first, path.utf8.allSatisfy(HTTPBytes.isTargetByte),
            firstByte == UInt8(ascii: "/") || (path == "*" && method == "OPTIONS")
        else { throw Malformed(reason: "missing or invalid :path") }
        // §8.3.1: the authority is the target's host; userinfo is not allowed in it, and a
        // Host field naming another one makes the request malformed.
        if let authority, let host, authority.lowercased() != host.lowercased() {
            throw Malformed(reason: "host differs from :authority")
        }
        let hostValue = authority ?? host
        guard let hostValue, !hostValue.isEmpty, hostValue.utf8.allSatisfy(HTTPBytes.isTargetByte),
            !hostValue.utf8.contains(UInt8(ascii: "@"))
        else { throw Malformed(reason: "missing or invalid :authority") }
        if endStream, let contentLength, contentLength > 0 {
            throw Malformed(reason: "content-length \(contentLength) on a request without DATA")
        }

        out.writeString(method)
        out.writeStaticString(" ")
        out.writeString(path)
        out.writeStaticString(" HTTP/1.1\r\nHost: ")
        out.writeString(hostValue)
        out.writeStaticString("\r\n")
        for (name, value, _) in headers where name.utf8.first != UInt8(ascii: ":") {
            switch name {
            case "host", "te", "cookie", "content-length": continue
            default: break
            }
            out.writeString(name)
            out.writeStaticString(": ")
            out.writeString(value)
            out.writeStaticString("\r\n")
        }
        if !cookies.isEmpty {
            out.writeStaticString("cookie: ")
            for (index, crumb) in cookies.enumerated() {
                if index > 0 { out.writeStaticString("; ") }
                out.writeString(crumb)
            }
            out.writeStaticString("\r\n")
        }
        self.isHEAD = method == "HEAD"
        if let contentLength {
            out.writeStaticString("content-length: ")
            out.writeString(String(contentLength))
            out.writeStaticString("\r\n")
            self.body = endStream ? .complete : .length(remaining: contentLength)
        } else if endStream {
            self.body = .complete
        } else {
            out.writeStaticString("transfer-encoding: chunked\r\n")
            self.body = .chunked
        }
        out.writeStaticString("\r\n")
    }

    /// A DATA frame's bytes, framed for the HTTP/1.1 side (the same buffer when the body has a
    /// length); `endStream`: it ends the request.
    mutating func data(_ data: ByteBuffer, endStream: Bool) throws(Malformed) -> ByteBuffer {
        switch self.body {
        case .length(let remaining):
            guard data.readableBytes <= remaining else { throw Malformed(reason: "DATA beyond content-length") }
            let left = remaining - data.readableBytes
            guard !endStream || left == 0 else { throw Malformed(reason: "DATA short of content-length") }
            self.body = endStream ? .complete : .length(remaining: left)
            return data
        case .chunked:
            var data = data
            var out = ByteBuffer()
            out.reserveCapacity(data.readableBytes + 24)
            ChunkFraming.write(&data, into: &out)
            if endStream { self.finish(into: &out) }
            return out
        case .complete:
            guard data.readableBytes == 0 else { throw Malformed(reason: "DATA after the end of the request") }
            return data
        }
    }

    /// A trailer block ended the request (§8.1): the trailers themselves are dropped, as nginx
    /// drops request trailers.
    mutating func trailers(into out: inout ByteBuffer) throws(Malformed) {
        switch self.body {
        case .chunked: self.finish(into: &out)
        case .length(remaining: 0): self.body = .complete
        case .length: throw Malformed(reason: "trailers short of content-length")
        case .complete: throw Malformed(reason: "a header block after the end of the request")
        }
    }

    private mutating func finish(into out: inout ByteBuffer) {
        ChunkFraming.writeEnd(into: &out)
        self.body = .complete
    }

    private static func once(_ slot: inout String?, _ value: String, _ name: String) throws(Malformed) {
        guard slot == nil else { throw Malformed(reason: "\(name) twice") }
        slot = value
    }

    /// §8.2.1: lower-case token characters only (an upper-case letter is malformed in h2).
    static func isFieldName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { HTTPBytes.isToken($0) && !($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) }
    }

    /// §8.2.1: no NUL, CR or LF (nor any other control but HTAB), no leading or trailing
    /// whitespace.
    static func isFieldValue(_ value: String) -> Bool {
        let bytes = value.utf8
        guard bytes.allSatisfy(HTTPBytes.isFieldValueByte) else { return false }
        if let first = bytes.first, first == HTTPBytes.sp || first == HTTPBytes.htab { return false }
        if let last = bytes.last, last == HTTPBytes.sp || last == HTTPBytes.htab { return false }
        return true
    }
}
