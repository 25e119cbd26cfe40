import NIOCore
import PorticoRouting

/// Per-connection bytes that every forwarded request carries, computed once per connection.
struct ForwardingContext {
    /// `X-Real-IP: <peer>\r\nX-Forwarded-For: <peer>\r\n`.
    let peerFields: [UInt8]
    /// `X-Forwarded-Port: …\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Scheme: http\r\nX-Scheme: http\r\n\r\n`.
    let listenerFields: [UInt8]
    let peerAddress: String
    /// A hash of the peer address, for ClientIP affinity.
    let peerHash: UInt64
    /// The peer's address bytes (4 or 16), for source allow-lists.
    let peerBytes: [UInt8]
    /// The port the connection came in on (nginx `$server_port`).
    let listenerPort: Int

    /// Before the channel says who the peer is (shared: nothing built per connection).
    static let unknown = ForwardingContext(peerAddress: "unknown", listenerPort: 0)

    init(peerAddress: String, peerBytes: [UInt8] = [], listenerPort: Int, scheme: String = "http") {
        self.init(
            peerAddress: peerAddress, peerBytes: peerBytes, listenerPort: listenerPort,
            listenerFields: Self.listenerFields(port: listenerPort, scheme: scheme))
    }

    /// `listenerFields`: the same for every connection of a listener (`LoopContext` keeps them),
    /// so a new connection builds only its peer's bytes.
    init(peerAddress: String, peerBytes: [UInt8], listenerPort: Int, listenerFields: [UInt8]) {
        var address = peerAddress
        self.listenerPort = listenerPort
        self.peerBytes = peerBytes
        self.peerAddress = peerAddress
        self.peerHash = address.withUTF8 { ProxyBackend.fnv1a(UnsafeRawBufferPointer($0)) }
        var fields: [UInt8] = []
        fields.reserveCapacity(2 * address.utf8.count + 32)
        fields.append(contentsOf: "X-Real-IP: ".utf8)
        fields.append(contentsOf: address.utf8)
        fields.append(contentsOf: "\r\nX-Forwarded-For: ".utf8)
        fields.append(contentsOf: address.utf8)
        fields.append(contentsOf: "\r\n".utf8)
        self.peerFields = fields
        self.listenerFields = listenerFields
    }

    /// `X-Forwarded-Port: …\r\nX-Forwarded-Proto: …\r\nX-Forwarded-Scheme: …\r\nX-Scheme: …\r\n\r\n`.
    static func listenerFields(port: Int, scheme: String) -> [UInt8] {
        Self.listenerFields(port: String(port), scheme: scheme)
    }

    static func listenerFields(port: String, scheme: String) -> [UInt8] {
        Array("X-Forwarded-Port: \(port)\r\nX-Forwarded-Proto: \(scheme)\r\nX-Forwarded-Scheme: \(scheme)\r\nX-Scheme: \(scheme)\r\n\r\n".utf8)
    }
}

/// Writes the request head sent upstream, from the client's head bytes.
///
/// What ingress-nginx's generated `location` sends (see its nginx.tmpl): the request line with
/// HTTP/1.1; every client field except hop-by-hop ones (RFC 9110 §7.6.1), those named in
/// Connection, names with `_`, and those the proxy sets itself; then `X-Request-ID` (the
/// client's, or a new one), `X-Real-IP`, `X-Forwarded-For` (the peer only; the client's value
/// moves to `X-Original-Forwarded-For`), `X-Forwarded-Host`, `-Port`, `-Proto`, `-Scheme` and
/// `X-Scheme`. The client's Host is kept as written, port included.
enum UpstreamRequestWriter {
    /// Forwarding fields that differ from the listener's own (the ConfigMap's
    /// `use-forwarded-headers` and `compute-full-forwarded-for`).
    struct ForwardedFields {
        /// `X-Forwarded-For` is the client's chain plus the peer (`$full_x_forwarded_for`).
        var fullChain = false
        /// The listener fields with a trusted proxy's scheme and port.
        var listener: [UInt8]?
        /// A trusted proxy's `X-Forwarded-Host` (`$best_http_host`).
        var host: [UInt8]?
    }

    /// - Parameters:
    ///   - rewrittenTarget: the target after `rewrite-target`, or nil to send the client's own.
    ///   - forwardedPrefix: `X-Forwarded-Prefix` to set (only while a rewrite is active).
    static func write(
        _ head: RequestHead,
        from bytes: UnsafeRawBufferPointer,
        rewrittenTarget: UnsafeRawBufferPointer? = nil,
        forwardedPrefix: String? = nil,
        upstreamHost: UpstreamHostTemplate? = nil,
        realClient: String? = nil,
        forwarded: ForwardedFields? = nil,
        dropAuthorization: Bool = false,
        replacedFields: [[UInt8]] = [],
        extraFields: [UInt8] = [],
        forwarding: ForwardingContext,
        requestID: RequestID,
        trace: TraceContext? = nil,
        into out: inout ByteBuffer
    ) {
        out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[0..<head.methodEnd]))
        out.writeInteger(HTTPBytes.sp)
        if let rewrittenTarget {
            out.writeBytes(rewrittenTarget)
        } else if head.targetEnd > head.targetStart {
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[head.targetStart..<head.targetEnd]))
        } else {
            out.writeInteger(UInt8(ascii: "/"))
        }
        out.writeStaticString(" HTTP/1.1\r\n")
        for field in head.fields {
            switch field.kind {
            case .authorization where dropAuthorization:
                continue
            case .traceparent where trace != nil:
                continue
            case .traceparent,
                .other, .contentLength, .transferEncoding, .xRequestID, .strictTransportSecurity, .cookie, .origin, .authorization, .location, .server,
                .accessControl:
                if head.connectionHasExtraTokens, let connection = head.connectionValue,
                    Self.isListed(bytes, field, in: connection)
                {
                    continue
                }
                // `auth-response-headers`: set from the auth answer, never the client's.
                if !replacedFields.isEmpty, replacedFields.contains(where: { Self.isNamed(bytes, field, $0) }) { continue }
                Self.copyLine(bytes, field, into: &out)
            case .host:
                if let upstreamHost {
                    Self.writeHost(upstreamHost, head, bytes, into: &out)
                } else if let authority = head.authority {
                    out.writeStaticString("Host: ")
                    out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[authority]))
                    out.writeStaticString("\r\n")
                } else {
                    Self.copyLine(bytes, field, into: &out)
                }
            case .upgrade:
                if head.connectionUpgrade { Self.copyLine(bytes, field, into: &out) }
            case .xForwardedPrefix:
                if forwardedPrefix == nil { Self.copyLine(bytes, field, into: &out) }
            case .connection, .hopByHop, .replacedByProxy, .xForwardedFor, .underscored, .expect:
                continue
            }
        }
        let hostValue = head.authority ?? head.hostValue
        if head.hostValue == nil, let upstreamHost {
            Self.writeHost(upstreamHost, head, bytes, into: &out)
        } else if head.hostValue == nil {
            out.writeStaticString("Host: ")
            if let authority = head.authority {
                out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[authority]))
            }
            out.writeStaticString("\r\n")
        }
        if head.connectionUpgrade, head.upgradeValue != nil {
            out.writeStaticString("Connection: upgrade\r\n")
        }
        if head.requestID == nil {
            out.writeStaticString("X-Request-ID: ")
            requestID.write(into: &out)
            out.writeStaticString("\r\n")
        }
        trace?.writeField(into: &out)
        if let forwardedPrefix {
            out.writeStaticString("X-Forwarded-Prefix: ")
            out.writeString(forwardedPrefix)
            out.writeStaticString("\r\n")
        }
        if realClient == nil, forwarded?.fullChain != true {
            out.writeBytes(forwarding.peerFields)
        } else {
            // X-Real-IP is the realip module's `$remote_addr`; X-Forwarded-For that too, or with
            // `compute-full-forwarded-for` the client's chain and the peer.
            out.writeStaticString("X-Real-IP: ")
            out.writeString(realClient ?? forwarding.peerAddress)
            out.writeStaticString("\r\nX-Forwarded-For: ")
            if forwarded?.fullChain == true {
                if let forwardedFor = head.forwardedFor {
                    out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[forwardedFor]))
                    out.writeStaticString(", ")
                }
                out.writeString(forwarding.peerAddress)
            } else {
                out.writeString(realClient ?? forwarding.peerAddress)
            }
            out.writeStaticString("\r\n")
        }
        if let forwardedFor = head.forwardedFor {
            // nginx.tmpl: `X-Original-Forwarded-For $http_x_forwarded_for`, whoever sent it.
            out.writeStaticString("X-Original-Forwarded-For: ")
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[forwardedFor]))
            out.writeStaticString("\r\n")
        }
        if let host = forwarded?.host {
            out.writeStaticString("X-Forwarded-Host: ")
            out.writeBytes(host)
            out.writeStaticString("\r\n")
        } else if let hostValue {
            out.writeStaticString("X-Forwarded-Host: ")
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[hostValue]))
            out.writeStaticString("\r\n")
        }
        if !extraFields.isEmpty { out.writeBytes(extraFields) }  // proxy_set_header from the snippet
        out.writeBytes(forwarded?.listener ?? forwarding.listenerFields)
    }

    /// `Host: ` from `upstream-vhost`, its `$host`/`$http_host` taken from this request.
    static func writeHost(
        _ template: UpstreamHostTemplate, _ head: RequestHead, _ bytes: UnsafeRawBufferPointer, into out: inout ByteBuffer
    ) {
        out.writeStaticString("Host: ")
        let hostValue = (head.authority ?? head.hostValue).map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }
        template.render(hostValue: hostValue) { out.writeBytes($0) }
        out.writeStaticString("\r\n")
    }

    @inline(__always)
    static func copyLine(_ bytes: UnsafeRawBufferPointer, _ field: HeaderField, into out: inout ByteBuffer) {
        out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[field.lineStart..<field.valueEnd]))
        out.writeStaticString("\r\n")
    }

    /// Whether the field's name is one of the Connection header's tokens (RFC 9110 §7.6.1:
    /// such fields are hop-by-hop too).
    static func isListed(_ bytes: UnsafeRawBufferPointer, _ field: HeaderField, in connection: Range<Int>) -> Bool {
        let nameLength = field.nameEnd - field.lineStart
        return !HTTPBytes.forEachListElement(bytes, connection) { a, b in
            guard b - a == nameLength else { return true }
            for offset in 0..<nameLength where (bytes[a + offset] | 0x20) != (bytes[field.lineStart + offset] | 0x20) {
                return true
            }
            return false  // found: stop
        }
    }

    /// Whether the field's name is `lowercased` (ASCII case-insensitive).
    static func isNamed(_ bytes: UnsafeRawBufferPointer, _ field: HeaderField, _ lowercased: [UInt8]) -> Bool {
        field.nameEnd - field.lineStart == lowercased.count
            && lowercased.elementsEqual(bytes[field.lineStart..<field.nameEnd].lazy.map(HostBytes.lower))
    }

    static func writeHex(_ value: UInt64, into out: inout ByteBuffer) {
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: 16) { pointer in
            var value = value
            for index in (0..<16).reversed() {
                pointer[index] = RequestIDGenerator.hexDigits[Int(value & 0xF)]
                value >>= 4
            }
            return 16
        }
    }
}
