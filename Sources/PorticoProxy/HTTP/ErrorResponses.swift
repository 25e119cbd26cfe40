import NIOCore
import PorticoRouting

/// The proxy's own responses (404, 502, …), built once per set of settings and shared: writing
/// one costs no allocation. Bodies follow nginx's error pages, which ingress-nginx users know.
/// A generation whose ConfigMap changes the HSTS field or `server-tokens` builds its own set;
/// every other shares `standard`.
final class ErrorResponses: Sendable {
    static let reasons: [Int: String] = [
        400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Not Allowed", 408: "Request Time-out",
        413: "Request Entity Too Large", 429: "Too Many Requests", 414: "Request-URI Too Large", 431: "Request Header Fields Too Large", 417: "Expectation Failed", 500: "Internal Server Error",
        501: "Not Implemented", 502: "Bad Gateway", 503: "Service Temporarily Unavailable",
        504: "Gateway Time-out", 505: "HTTP Version Not Supported",
    ]

    /// The HSTS field line of HTTPS answers (empty when `hsts` is off).
    let hstsField: String
    /// `Server: portico` with `server-tokens`, else empty: nginx.tmpl's `more_clear_headers
    /// Server` sends none.
    let serverField: String
    /// Indexed by `close` and `hsts`: [keep-alive, closing, keep-alive+HSTS, closing+HSTS].
    private let tables: [[Int: ByteBuffer]]

    /// ingress-nginx's defaults: HSTS `max-age=31536000; includeSubDomains`, no `Server`.
    static let standard = ErrorResponses(hstsField: ServerSettings.HSTS().fieldLine!, serverTokens: false)

    init(hstsField: String, serverTokens: Bool) {
        self.hstsField = hstsField
        self.serverField = serverTokens ? Self.portico : ""
        self.tables = [
            Self.build(close: false, hsts: nil, server: self.serverField), Self.build(close: true, hsts: nil, server: self.serverField),
            Self.build(close: false, hsts: hstsField, server: self.serverField),
            Self.build(close: true, hsts: hstsField, server: self.serverField),
        ]
    }

    /// The set for `configuration`: `standard` unless it changes the HSTS field or the tokens.
    static func matching(_ configuration: ProxyConfiguration) -> ErrorResponses {
        let field = configuration.hstsField.map { String(decoding: $0, as: UTF8.self) } ?? ""
        if field == Self.standard.hstsField, !configuration.serverTokens { return Self.standard }
        return ErrorResponses(hstsField: field, serverTokens: configuration.serverTokens)
    }

    static let portico = "Server: portico\r\n"

    func response(status: Int, close: Bool, hsts: Bool = false) -> ByteBuffer {
        let table = self.tables[(close ? 1 : 0) + (hsts ? 2 : 0)]
        return table[status] ?? table[500]!
    }

    static func reason(_ status: Int) -> String { Self.reasons[status] ?? "Error" }

    /// nginx's reason phrases for the redirect statuses (`ngx_http_status_lines`).
    static let redirectReasons: [Int: String] = [
        300: "Multiple Choices", 301: "Moved Permanently", 302: "Moved Temporarily", 303: "See Other", 304: "Not Modified",
        305: "Use Proxy", 306: "Switch Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
    ]

    /// A redirect (app-root's 302, ssl-redirect's 308, `permanent-redirect`'s code) to `location`.
    func redirect(status: Int, location: [UInt8], close: Bool, hsts: Bool = false) -> ByteBuffer {
        let reason = Self.redirectReasons[status] ?? "Redirect"
        let body = "<html>\r\n<head><title>\(status) \(reason)</title></head>\r\n<body>\r\n<center><h1>\(status) \(reason)</h1></center>\r\n<hr><center>portico</center>\r\n</body>\r\n</html>\r\n"
        var buffer = ByteBuffer()
        buffer.writeString("HTTP/1.1 \(status) \(reason)\r\nContent-Type: text/html\r\nContent-Length: \(body.utf8.count)\r\nLocation: ")
        buffer.writeBytes(location)
        buffer.writeString("\r\n")
        if hsts { buffer.writeString(self.hstsField) }
        buffer.writeString(self.serverField)
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

    private static func build(close: Bool, hsts: String?, server: String) -> [Int: ByteBuffer] {
        var table: [Int: ByteBuffer] = [:]
        for (status, reason) in Self.reasons {
            let body = "<html>\r\n<head><title>\(status) \(reason)</title></head>\r\n<body>\r\n<center><h1>\(status) \(reason)</h1></center>\r\n<hr><center>portico</center>\r\n</body>\r\n</html>\r\n"
            var head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: text/html\r\nContent-Length: \(body.utf8.count)\r\n"
            if close { head += "Connection: close\r\n" }
            if let hsts { head += hsts }
            head += server
            table[status] = ByteBuffer(string: head + "\r\n" + body)
        }
        return table
    }
}
