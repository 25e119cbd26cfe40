/// The parts of an upstream response head the proxy acts on.
struct ResponseHead {
    var status = 0
    var isHTTP11 = true
    var headLength = 0
    var framing: BodyFraming = .untilClose
    var connectionClose = false
    var connectionKeepAlive = false
    /// The head carries fields that must not be forwarded (Connection, Keep-Alive, …): the head is
    /// rebuilt without them. Otherwise its bytes go to the client unchanged.
    var needsRewrite = false
    var fields: [HeaderField] = []
    var isChunked = false
    var contentLength: Int?

    mutating func reset() {
        self.status = 0
        self.headLength = 0
        self.framing = .untilClose
        self.connectionClose = false
        self.connectionKeepAlive = false
        self.needsRewrite = false
        self.fields.removeAll(keepingCapacity: true)
        self.isChunked = false
        self.contentLength = nil
    }

    /// Whether the upstream connection can carry another request after this response.
    var upstreamKeepAlive: Bool {
        guard self.framing != .untilClose else { return false }
        return self.isHTTP11 ? !self.connectionClose : self.connectionKeepAlive
    }
}

/// Parses upstream response heads (RFC 9112 §4, §6.3), as strictly as requests: a malformed
/// upstream response becomes a 502, never a desynchronised client connection.
enum ResponseHeadParser {
    static let maxHead = 65536

    static func parse(_ bytes: UnsafeRawBufferPointer, requestMethod: RequestHead.Method, into head: inout ResponseHead) -> HeadParseResult {
        let headEnd: Int
        switch RequestHeadParser.findHeadEnd(bytes, limit: Self.maxHead) {
        case .found(let end): headEnd = end
        case .bareLF: return .failure(.badRequest("bare LF in the upstream response head"))
        case .incomplete:
            return bytes.count > Self.maxHead ? .failure(.badRequest("upstream response head too large")) : .incomplete
        }
        head.reset()
        head.headLength = headEnd
        // "HTTP/1.x SSS"
        guard headEnd >= 14, bytes.starts(with: "HTTP/1.".utf8), bytes[7] == UInt8(ascii: "1") || bytes[7] == UInt8(ascii: "0"),
            bytes[8] == HTTPBytes.sp, let status = HTTPBytes.parseDecimal(bytes, 9, 12), status >= 100, status <= 999,
            bytes[12] == HTTPBytes.sp || bytes[12] == HTTPBytes.cr
        else {
            return .failure(.badRequest("malformed upstream status line"))
        }
        head.isHTTP11 = bytes[7] == UInt8(ascii: "1")
        head.status = status
        var index = 12
        while bytes[index] != HTTPBytes.cr {
            guard bytes[index] == HTTPBytes.htab || bytes[index] >= 0x20 else {
                return .failure(.badRequest("malformed upstream status line"))
            }
            index += 1
        }
        guard bytes[index + 1] == HTTPBytes.lf else { return .failure(.badRequest("malformed upstream status line")) }
        var cursor = index + 2
        var chunked = false
        var otherCoding = false
        var contentLength: Int?
        var badLength = false
        while bytes[cursor] != HTTPBytes.cr {
            guard let (field, next) = FieldLine.scan(bytes, at: cursor) else {
                return .failure(.badRequest("malformed upstream header field"))
            }
            cursor = next
            head.fields.append(field)
            let valueStart = field.valueStart
            let valueEnd = field.valueEnd
            switch field.kind {
            case .contentLength:
                if let length = HTTPBytes.parseDecimal(bytes, valueStart, valueEnd), contentLength == nil || contentLength == length {
                    contentLength = length
                } else {
                    badLength = true
                }
            case .transferEncoding:
                // Only a final "chunked" frames the body (RFC 9112 §6.3 rule 4).
                if HTTPBytes.equalsLowercase(bytes, valueStart, valueEnd, "chunked") && !chunked && !otherCoding {
                    chunked = true
                } else {
                    otherCoding = true
                }
            case .connection:
                head.needsRewrite = true
                var probe = RequestHead()
                RequestHeadParser.parseConnection(bytes, valueStart, valueEnd, &probe)
                head.connectionClose = head.connectionClose || probe.connectionClose
                head.connectionKeepAlive = head.connectionKeepAlive || probe.connectionKeepAlive
            case .hopByHop, .server:
                head.needsRewrite = true
            default:
                break
            }
        }
        guard cursor + 2 == headEnd else { return .failure(.badRequest("malformed upstream header section")) }
        head.isChunked = chunked && !otherCoding
        head.contentLength = contentLength
        // RFC 9112 §6.3: message body length.
        if requestMethod == .head || (100..<200).contains(status) || status == 204 || status == 304 {
            head.framing = .none
        } else if chunked || otherCoding {
            // Both framings at once is how a response desynchronises the upstream connection.
            // RFC 9112 §6.3 lets Transfer-Encoding win; refusing it (502) is the stricter choice.
            if contentLength != nil || badLength {
                return .failure(.badRequest("upstream sent Content-Length and Transfer-Encoding"))
            }
            head.framing = head.isChunked ? .chunked : .untilClose
        } else if badLength {
            return .failure(.badRequest("invalid Content-Length from upstream"))
        } else if let contentLength {
            head.framing = contentLength == 0 ? .none : .length(contentLength)
        } else {
            head.framing = .untilClose
        }
        return .complete
    }
}
