/// An access-log line format in nginx's `log_format` syntax (`$variable` or `${variable}`
/// among literal text), compiled once into segments, as ingress-nginx's `log-format-upstream`
/// ConfigMap key writes it. The default is ingress-nginx's `upstreaminfo`
/// (`internal/ingress/controller/config/config.go` `logFormatUpstream`).
public struct AccessLogFormat: Hashable, Sendable {
    /// nginx `log_format … escape=`: `default` writes `"`, `\`, control bytes and bytes from
    /// 0x7F as `\xHH`; `json` escapes for a JSON string (and writes an absent value as empty,
    /// not `-`); `none` writes the bytes as they are.
    public enum Escape: Hashable, Sendable {
        case `default`, json, none
    }

    /// The nginx variables Portico can fill in.
    public enum Variable: Hashable, Sendable {
        case remoteAddr, remoteUser, realIP
        case timeLocal, timeISO8601, msec
        case request, requestMethod, requestURI, uri, args, serverProtocol, scheme, host, serverPort
        case status, bytesSent, bodyBytesSent, requestLength, requestTime
        case upstreamName, alternativeUpstreamName, upstreamAddr, upstreamStatus
        case upstreamResponseLength, upstreamResponseTime, upstreamConnectTime, upstreamHeaderTime
        case requestID, namespace, ingressName, serviceName, servicePort, locationPath
        case connectionRequests, sslProtocol
        /// `$http_<name>`: the request field at this index of `fields`.
        case requestField(Int)
    }

    public enum Segment: Hashable, Sendable {
        case literal([UInt8])
        case variable(Variable)
    }

    public let segments: [Segment]
    public private(set) var escape: Escape
    /// Whether `$remote_user` is used (the log record decodes `Authorization` only then),
    /// decided once here rather than per request.
    public let readsRemoteUser: Bool
    /// The request fields the format reads, lower-case with `-` (from `$http_user_agent`).
    public let fields: [[UInt8]]
    /// The text it was compiled from.
    public let text: String

    /// ingress-nginx's default `log-format-upstream`.
    public static let upstreamInfoText =
        #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id"#

    public static let upstreamInfo = try! AccessLogFormat(upstreamInfoText)

    static let names: [String: Variable] = [
        "remote_addr": .remoteAddr, "remote_user": .remoteUser, "the_real_ip": .realIP,
        "time_local": .timeLocal, "time_iso8601": .timeISO8601, "msec": .msec,
        "request": .request, "request_method": .requestMethod, "request_uri": .requestURI, "uri": .uri,
        "document_uri": .uri, "args": .args, "query_string": .args, "server_protocol": .serverProtocol,
        "scheme": .scheme, "host": .host, "server_port": .serverPort,
        "status": .status, "bytes_sent": .bytesSent, "body_bytes_sent": .bodyBytesSent,
        "request_length": .requestLength, "request_time": .requestTime,
        "proxy_upstream_name": .upstreamName, "proxy_alternative_upstream_name": .alternativeUpstreamName,
        "upstream_addr": .upstreamAddr, "upstream_status": .upstreamStatus,
        "upstream_response_length": .upstreamResponseLength, "upstream_response_time": .upstreamResponseTime,
        "upstream_connect_time": .upstreamConnectTime, "upstream_header_time": .upstreamHeaderTime,
        "req_id": .requestID, "request_id": .requestID, "namespace": .namespace, "ingress_name": .ingressName,
        "service_name": .serviceName, "service_port": .servicePort, "location_path": .locationPath,
        "connection_requests": .connectionRequests, "ssl_protocol": .sslProtocol,
    ]

    /// A variable the format names that Portico does not know (nginx refuses such a
    /// configuration with "unknown variable").
    public struct UnknownVariable: Error, Equatable {
        public let name: String
        public init(name: String) { self.name = name }
    }

    /// Compiles `text`; throws on the first variable Portico cannot fill in.
    public init(_ text: String, escape: Escape = .default) throws(UnknownVariable) {
        var segments: [Segment] = []
        var fields: [[UInt8]] = []
        var literal: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        func isNameByte(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
        }
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "$"), index + 1 < bytes.count else {
                literal.append(bytes[index])
                index += 1
                continue
            }
            var start = index + 1
            var end = start
            let braced = bytes[start] == UInt8(ascii: "{")
            if braced {
                start += 1
                end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: "}") { end += 1 }
            } else {
                while end < bytes.count, isNameByte(bytes[end]) { end += 1 }
            }
            guard end > start else {
                literal.append(bytes[index])
                index += 1
                continue
            }
            let name = String(decoding: bytes[start..<end], as: UTF8.self).lowercased()
            let variable: Variable
            if let known = Self.names[name] {
                variable = known
            } else if name.hasPrefix("http_"), name.count > 5 {
                let field = name.dropFirst(5).utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : $0 }
                if let existing = fields.firstIndex(of: field) {
                    variable = .requestField(existing)
                } else {
                    fields.append(field)
                    variable = .requestField(fields.count - 1)
                }
            } else {
                throw UnknownVariable(name: name)
            }
            if !literal.isEmpty {
                segments.append(.literal(literal))
                literal = []
            }
            segments.append(.variable(variable))
            index = braced ? end + 1 : end
        }
        if !literal.isEmpty { segments.append(.literal(literal)) }
        self.segments = segments
        self.readsRemoteUser = segments.contains(.variable(.remoteUser))
        self.fields = fields
        self.escape = escape
        self.text = text
    }

    /// The same format with another escape.
    public func escaping(_ escape: Escape) -> AccessLogFormat {
        var copy = self
        copy.escape = escape
        return copy
    }

    /// Whether any segment is `variable`.
    public func uses(_ variable: Variable) -> Bool { self.segments.contains(.variable(variable)) }
}
