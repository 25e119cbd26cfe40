import NIOCore

/// The proxy's own responses (404, 502, …), built once and shared: writing one costs no
/// allocation. Bodies follow nginx's error pages, which ingress-nginx users know.
enum ErrorResponses {
    static let reasons: [Int: String] = [
        400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Not Allowed", 408: "Request Time-out",
        413: "Request Entity Too Large", 429: "Too Many Requests", 414: "Request-URI Too Large", 431: "Request Header Fields Too Large", 417: "Expectation Failed", 500: "Internal Server Error",
        501: "Not Implemented", 502: "Bad Gateway", 503: "Service Temporarily Unavailable",
        504: "Gateway Time-out", 505: "HTTP Version Not Supported",
    ]

    /// The HSTS field ingress-nginx adds to HTTPS responses (`max-age=31536000; includeSubDomains`).
    static let hstsField = "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n"

    /// Indexed by `close` and `hsts`: [keep-alive, closing, keep-alive+HSTS, closing+HSTS].
    private static let tables: [[Int: ByteBuffer]] = [
        Self.build(close: false, hsts: false), Self.build(close: true, hsts: false),
        Self.build(close: false, hsts: true), Self.build(close: true, hsts: true),
    ]

    static func response(status: Int, close: Bool, hsts: Bool = false) -> ByteBuffer {
        let table = Self.tables[(close ? 1 : 0) + (hsts ? 2 : 0)]
        return table[status] ?? table[500]!
    }

    static func reason(_ status: Int) -> String { Self.reasons[status] ?? "Error" }

    /// nginx's reason phrases for the redirect statuses (`ngx_http_status_lines`).
    static let redirectReasons: [Int: String] = [
        300: "Multiple Choices", 301: "Moved Permanently", 302: "Moved Temporarily", 303: "See Other", 304: "Not Modified",
        305: "Use Proxy", 306: "Switch Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
    ]

    /// A redirect (app-root's 302, ssl-redirect's 308, `permanent-redirect`'s code) to `location`.
    static func redirect(status: Int, location: [UInt8], close: Bool, hsts: Bool = false) -> ByteBuffer {
        let reason = Self.redirectReasons[status] ?? "Redirect"
        let body = "<html>\r\n<head><title>\(status) \(reason)</title></head>\r\n<body>\r\n<center><h1>\(status) \(reason)</h1></center>\r\n<hr><center>portico</center>\r\n</body>\r\n</html>\r\n"
        var buffer = ByteBuffer()
        buffer.writeString("HTTP/1.1 \(status) \(reason)\r\nContent-Type: text/html\r\nContent-Length: \(body.utf8.count)\r\nLocation: ")
        buffer.writeBytes(location)
        buffer.writeString("\r\n")
        if hsts { buffer.writeString(Self.hstsField) }
        buffer.writeString(close ? "Connection: close\r\n\r\n" : "\r\n")
        buffer.writeString(body)
        return buffer
    }

    /// The CORS preflight answer; the CORS fields are written after its status line.
    static let preflight = ByteBuffer(string: "HTTP/1.1 204 No Content\r\nContent-Type: text/plain charset=UTF-8\r\nContent-Length: 0\r\n\r\n")
    static let preflightClosing = ByteBuffer(
        string: "HTTP/1.1 204 No Content\r\nContent-Type: text/plain charset=UTF-8\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    /// The interim response to `Expect: 100-continue`.
    static let continueResponse = ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n")

    private static func build(close: Bool, hsts: Bool) -> [Int: ByteBuffer] {
        var table: [Int: ByteBuffer] = [:]
        for (status, reason) in Self.reasons {
            let body = "<html>\r\n<head><title>\(status) \(reason)</title></head>\r\n<body>\r\n<center><h1>\(status) \(reason)</h1></center>\r\n<hr><center>portico</center>\r\n</body>\r\n</html>\r\n"
            var head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: text/html\r\nContent-Length: \(body.utf8.count)\r\n"
            if close { head += "Connection: close\r\n" }
            if hsts { head += Self.hstsField }
            table[status] = ByteBuffer(string: head + "\r\n" + body)
        }
        return table
    }
}
