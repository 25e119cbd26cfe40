/// A strict, allocation-free HTTP/1.1 request-head parser (RFC 9112).
///
/// It reads only what routing and framing need: the request line, Host, Content-Length,
/// Transfer-Encoding, Connection, Upgrade, X-Forwarded-For and X-Request-ID. Everything else
/// is recorded as byte ranges and forwarded as written. Framing correctness is a security
/// property (request smuggling), so it refuses what RFC 9112 says to refuse: obs-fold, bare CR
/// or LF, whitespace before the colon, Content-Length together with Transfer-Encoding,
/// conflicting Content-Lengths, transfer codings other than `chunked`, and duplicate Host.
enum RequestHeadParser {
    /// nginx's `large_client_header_buffers` (ingress-nginx's `large-client-header-buffers`,
    /// "4 8k"): a request line or a field line fits one buffer, the head all of them.
    struct Limits: Equatable {
        var requestLine = 8192
        var fieldLine = 8192
        var head = 32768

        static let standard = Limits()

        init() {}

        init(buffers: Int, size: Int) {
            self.requestLine = size
            self.fieldLine = size
            self.head = buffers * size
        }
    }

    /// Parses `bytes` (everything received and not yet consumed) into `head`.
    static func parse(_ bytes: UnsafeRawBufferPointer, into head: inout RequestHead, limits: Limits = .standard) -> HeadParseResult {
        // Empty lines before the request line are ignored (RFC 9112 §2.2), CRLF or bare LF as
        // nginx accepts; nothing has been framed yet, so this cannot desynchronise anything.
        if bytes.count >= 1, bytes[0] == HTTPBytes.cr || bytes[0] == HTTPBytes.lf {
            var skipped = 0
            while skipped < bytes.count {
                if bytes[skipped] == HTTPBytes.lf {
                    skipped += 1
                } else if bytes[skipped] == HTTPBytes.cr, skipped + 1 < bytes.count, bytes[skipped + 1] == HTTPBytes.lf {
                    skipped += 2
                } else {
                    break
                }
            }
            if skipped > 0 { return .skip(skipped) }
            if bytes.count == 1 { return .incomplete }  // a lone CR: wait for its LF
            return .failure(.badRequest("bare CR before the request line"))
        }
        let headEnd: Int
        switch Self.findHeadEnd(bytes, limit: limits.head) {
        case .found(let end):
            headEnd = end
        case .bareLF:
            // A line ended by a bare LF can never complete a CRLF head: refused now rather
            // than after the header timeout (RFC 9112 §2.2 lets a server reject it).
            return .failure(.badRequest("bare LF in the request head"))
        case .incomplete:
            if bytes.count > limits.head { return .failure(.headerTooLarge("request header too large")) }
            guard let lineFeed = bytes.firstIndex(of: HTTPBytes.lf) else {
                if bytes.count > limits.requestLine { return .failure(HTTPFailure(status: 414, reason: "request-URI too large")) }
                return .incomplete
            }
            // The request line is complete: without ` HTTP/x.y` it is HTTP/0.9 (`GET /`), which
            // has no head to wait for; answer now, not after the header timeout.
            if !Self.endsWithVersion(bytes, lineEnd: lineFeed - 1) {
                return .failure(.badRequest("request line without an HTTP version (HTTP/0.9)"))
            }
            return .incomplete
        }
        guard headEnd <= limits.head else { return .failure(.headerTooLarge("request header too large")) }
        head.reset()
        head.headLength = headEnd
        var cursor = 0
        if let failure = Self.parseRequestLine(bytes, &cursor, &head, maxTarget: limits.requestLine) { return .failure(failure) }
        if let failure = Self.parseFields(bytes, &cursor, headEnd, &head, maxLine: limits.fieldLine) { return .failure(failure) }
        if head.isHTTP11, head.hostValue == nil, head.authority == nil {
            return .failure(.badRequest("HTTP/1.1 request without Host"))
        }
        return .complete
    }

    /// Whether the line ending at `lineEnd` (its CR) ends in ` HTTP/d.d`.
    static func endsWithVersion(_ bytes: UnsafeRawBufferPointer, lineEnd: Int) -> Bool {
        guard lineEnd >= 9 else { return false }
        let start = lineEnd - 9
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        return bytes[start] == HTTPBytes.sp
            && UnsafeRawBufferPointer(rebasing: bytes[(start + 1)..<(start + 6)]).elementsEqual("HTTP/".utf8)
            && digits.contains(bytes[start + 6]) && bytes[start + 7] == UInt8(ascii: ".") && digits.contains(bytes[start + 8])
    }

    enum HeadEnd: Equatable {
        /// Index just past the CRLFCRLF that ends the head.
        case found(Int)
        /// An LF without its CR: no CRLF head can ever end here.
        case bareLF
        case incomplete
    }

    /// Finds the CRLFCRLF that ends a head within its first `limit` bytes. Every LF on the way
    /// is checked for its CR in the same pass, so a bare LF on any line is caught as soon as it
    /// arrives (requests and upstream responses alike).
    static func findHeadEnd(_ bytes: UnsafeRawBufferPointer, limit: Int) -> HeadEnd {
        let end = min(bytes.count, limit + 1)
        var index = 0
        while index < end {
            if bytes[index] == HTTPBytes.lf {
                guard index > 0, bytes[index - 1] == HTTPBytes.cr else { return .bareLF }
                if index >= 3, bytes[index - 2] == HTTPBytes.lf, bytes[index - 3] == HTTPBytes.cr { return .found(index + 1) }
            }
            index += 1
        }
        return .incomplete
    }

    static func parseRequestLine(
        _ bytes: UnsafeRawBufferPointer, _ cursor: inout Int, _ head: inout RequestHead, maxTarget: Int = Limits.standard.requestLine
    ) -> HTTPFailure? {
        var index = 0
        while index < bytes.count, HTTPBytes.isToken(bytes[index]) { index += 1 }
        guard index > 0, index < bytes.count, bytes[index] == HTTPBytes.sp else {
            return .badRequest("malformed request line (method)")
        }
        head.methodEnd = index
        head.method = Self.classifyMethod(bytes, index)
        if Self.isMethod(bytes, index, "CONNECT") || Self.isMethod(bytes, index, "TRACE") {
            return HTTPFailure(status: 405, reason: "method not allowed")
        }
        index += 1
        let targetStart = index
        // A `#fragment` is not part of a request target (RFC 9112 §3.2, RFC 9110 §4.2.5): it
        // is cut off here, in the same scan, and never forwarded.
        var fragmentStart: Int?
        while index < bytes.count, HTTPBytes.isTargetByte(bytes[index]) {
            if bytes[index] == UInt8(ascii: "#"), fragmentStart == nil { fragmentStart = index }
            index += 1
        }
        guard index > targetStart, index < bytes.count, bytes[index] == HTTPBytes.sp else {
            return .badRequest("malformed request line (target)")
        }
        if index - targetStart > maxTarget { return HTTPFailure(status: 414, reason: "request-URI too large") }
        let targetEnd = index
        index += 1
        // "HTTP/1.1\r\n"
        guard index + 10 <= bytes.count, bytes[index + 8] == HTTPBytes.cr, bytes[index + 9] == HTTPBytes.lf else {
            return .badRequest("malformed request line (version)")
        }
        let version = UnsafeRawBufferPointer(rebasing: bytes[index..<(index + 8)])
        if version.elementsEqual("HTTP/1.1".utf8) {
            head.isHTTP11 = true
        } else if version.elementsEqual("HTTP/1.0".utf8) {
            head.isHTTP11 = false
        } else if version.starts(with: "HTTP/".utf8), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(version[5]),
            version[6] == UInt8(ascii: "."), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(version[7])
        {
            return HTTPFailure(status: 505, reason: "HTTP version not supported")
        } else {
            return .badRequest("malformed request line (version)")
        }
        cursor = index + 10
        if fragmentStart == targetStart { return .badRequest("request target is only a fragment") }
        return Self.parseTarget(bytes, targetStart, fragmentStart ?? targetEnd, &head)
    }

    /// origin-form, or absolute-form whose authority stands in for Host (RFC 9112 §3.2).
    static func parseTarget(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ head: inout RequestHead) -> HTTPFailure? {
        var pathStart = start
        if bytes[start] != UInt8(ascii: "/") {
            let scheme: Int
            if HTTPBytes.equalsLowercase(bytes, start, min(end, start + 7), "http://") {
                scheme = 7
            } else if HTTPBytes.equalsLowercase(bytes, start, min(end, start + 8), "https://") {
                scheme = 8
            } else {
                return .badRequest("request target must be a path or an absolute http(s) URI")
            }
            var authorityEnd = start + scheme
            while authorityEnd < end, bytes[authorityEnd] != UInt8(ascii: "/"), bytes[authorityEnd] != UInt8(ascii: "?") {
                authorityEnd += 1
            }
            guard authorityEnd > start + scheme else { return .badRequest("absolute URI without a host") }
            head.authority = (start + scheme)..<authorityEnd
            pathStart = authorityEnd
            if authorityEnd == end {
                // `http://host`: an empty path means `/` (RFC 9110 §4.2.3). As nginx does, the
                // target becomes the second slash of `://`, so the head bytes still hold it.
                head.targetStart = start + scheme - 1
                head.targetEnd = start + scheme
                head.pathEnd = head.targetEnd
                return nil
            }
            if bytes[authorityEnd] == UInt8(ascii: "?") {
                return .badRequest("absolute URI with a query but no path")
            }
        }
        head.targetStart = pathStart
        head.targetEnd = end
        var pathEnd = pathStart
        while pathEnd < end, bytes[pathEnd] != UInt8(ascii: "?") { pathEnd += 1 }
        head.pathEnd = pathEnd
        return nil
    }

    static func parseFields(
        _ bytes: UnsafeRawBufferPointer, _ cursor: inout Int, _ headEnd: Int, _ head: inout RequestHead, maxLine: Int = Limits.standard.fieldLine
    ) -> HTTPFailure? {
        var hasTransferEncoding = false
        var contentLength: Int?
        while true {
            let lineStart = cursor
            if bytes[lineStart] == HTTPBytes.cr {
                // The final CRLF (findHeadEnd guarantees an LF follows at headEnd - 1).
                guard lineStart + 2 == headEnd else { return .badRequest("bare CR in header section") }
                break
            }
            if bytes[lineStart] == HTTPBytes.sp || bytes[lineStart] == HTTPBytes.htab {
                return .badRequest("obsolete line folding in header section")
            }
            guard let (field, next) = FieldLine.scan(bytes, at: lineStart) else {
                return .badRequest("malformed header field")
            }
            cursor = next
            if cursor - lineStart > maxLine { return .headerTooLarge("request header field too large") }
            head.fields.append(field)
            let valueStart = field.valueStart
            let valueEnd = field.valueEnd
            switch field.kind {
            case .host:
                guard head.hostValue == nil else { return .badRequest("duplicate Host header") }
                head.hostValue = valueStart..<valueEnd
            case .contentLength:
                guard let length = HTTPBytes.parseDecimal(bytes, valueStart, valueEnd) else {
                    return .badRequest("invalid Content-Length")
                }
                // Even an identical repeat is refused: forwarding both lines lets the next hop
                // choose (nginx: "client sent duplicate header line", 400).
                if let previous = contentLength {
                    return .badRequest(previous == length ? "duplicate Content-Length" : "conflicting Content-Length")
                }
                contentLength = length
            case .transferEncoding:
                guard !hasTransferEncoding else { return HTTPFailure(status: 501, reason: "unsupported transfer coding") }
                hasTransferEncoding = true
                guard HTTPBytes.equalsLowercase(bytes, valueStart, valueEnd, "chunked") else {
                    return HTTPFailure(status: 501, reason: "unsupported transfer coding")
                }
            case .connection:
                Self.parseConnection(bytes, valueStart, valueEnd, &head)
            case .upgrade:
                head.upgradeValue = valueStart..<valueEnd
            case .xForwardedFor:
                if head.forwardedFor == nil { head.forwardedFor = valueStart..<valueEnd }
            case .xRequestID:
                if head.requestID == nil, valueEnd > valueStart { head.requestID = valueStart..<valueEnd }
            case .traceparent:
                if head.traceparent == nil { head.traceparent = valueStart..<valueEnd }
            case .expect:
                // RFC 9110 §10.1.1: 100-continue is the only expectation; others get 417.
                guard HTTPBytes.equalsLowercase(bytes, valueStart, valueEnd, "100-continue") else {
                    return HTTPFailure(status: 417, reason: "expectation failed")
                }
                head.expectContinue = head.isHTTP11
            case .cookie:
                if head.cookie == nil { head.cookie = valueStart..<valueEnd }
            case .origin:
                if head.origin == nil { head.origin = valueStart..<valueEnd }
            case .authorization:
                if head.authorization == nil { head.authorization = valueStart..<valueEnd }
            case .other, .hopByHop, .replacedByProxy, .underscored, .xForwardedPrefix, .strictTransportSecurity, .accessControl, .location, .server:
                break
            }
        }
        if hasTransferEncoding {
            guard contentLength == nil else { return .badRequest("both Content-Length and Transfer-Encoding") }
            guard head.isHTTP11 else { return .badRequest("Transfer-Encoding in an HTTP/1.0 request") }
            head.framing = .chunked
        } else if let contentLength, contentLength > 0 {
            head.framing = .length(contentLength)
        }
        return nil
    }

    static func parseConnection(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ head: inout RequestHead) {
        head.connectionValue = start..<end
        HTTPBytes.forEachListElement(bytes, start..<end) { a, b in
            if HTTPBytes.equalsLowercase(bytes, a, b, "close") {
                head.connectionClose = true
            } else if HTTPBytes.equalsLowercase(bytes, a, b, "keep-alive") {
                head.connectionKeepAlive = true
            } else if HTTPBytes.equalsLowercase(bytes, a, b, "upgrade") {
                head.connectionUpgrade = true
            } else {
                head.connectionHasExtraTokens = true
            }
            return true
        }
    }

    static func classifyMethod(_ bytes: UnsafeRawBufferPointer, _ end: Int) -> RequestHead.Method {
        switch end {
        case 3: if Self.isMethod(bytes, end, "GET") { return .get } else if Self.isMethod(bytes, end, "PUT") { return .put }
        case 4: if Self.isMethod(bytes, end, "HEAD") { return .head } else if Self.isMethod(bytes, end, "POST") { return .post }
        case 5: if Self.isMethod(bytes, end, "PATCH") { return .patch }
        case 6: if Self.isMethod(bytes, end, "DELETE") { return .delete }
        case 7: if Self.isMethod(bytes, end, "OPTIONS") { return .options }
        default: break
        }
        return .other
    }

    /// Methods are case-sensitive (RFC 9110 §9.1).
    static func isMethod(_ bytes: UnsafeRawBufferPointer, _ end: Int, _ name: StaticString) -> Bool {
        guard end == name.utf8CodeUnitCount else { return false }
        let pointer = name.utf8Start
        for index in 0..<end where bytes[index] != pointer[index] { return false }
        return true
    }
}
