import NIOCore
import PorticoRouting

/// The head of an `auth-url` sub-request, as ingress-nginx's internal auth location sends it
/// (nginx.tmpl): the auth URL's method (GET unless `auth-method`) and target, every client
/// field but the body's framing, `X-Forwarded-Proto` and the proxy's own, then `Host` (the
/// URL's), `X-Original-URL`, `X-Original-Method`, `X-Sent-From: nginx-ingress-controller`,
/// `X-Real-IP`, `X-Forwarded-For`, `X-Auth-Request-Redirect` and, with `auth-method`,
/// `X-Original-URI` and `X-Scheme`. No body is sent.
enum AuthRequestWriter {
    static func write(
        _ head: RequestHead, from bytes: UnsafeRawBufferPointer, policy: ExternalAuthPolicy, host: UnsafeRawBufferPointer,
        isTLS: Bool, client: String, requestID: RequestID, into out: inout ByteBuffer
    ) {
        if let method = policy.method { out.writeBytes(method) } else { out.writeStaticString("GET") }
        out.writeInteger(HTTPBytes.sp)
        out.writeBytes(policy.path)
        out.writeStaticString(" HTTP/1.1\r\nHost: ")
        out.writeBytes(host)
        out.writeStaticString("\r\n")
        Self.copyClientFields(head, bytes, except: policy.proxySetFields, into: &out)
        for field in policy.proxySetFields { out.writeBytes(field.line) }  // auth-proxy-set-headers
        Self.writeRequestID(head, bytes, requestID, into: &out)
        let requestURI = UnsafeRawBufferPointer(rebasing: bytes[head.targetStart..<head.targetEnd])
        out.writeStaticString("X-Original-URL: ")
        if isTLS { out.writeStaticString("https://") } else { out.writeStaticString("http://") }
        if let hostValue = head.authority ?? head.hostValue { out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[hostValue])) }
        out.writeBytes(requestURI)
        out.writeStaticString("\r\nX-Original-Method: ")
        out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[0..<head.methodEnd]))
        out.writeStaticString("\r\nX-Sent-From: nginx-ingress-controller\r\nX-Real-IP: ")
        out.writeString(client)
        out.writeStaticString("\r\nX-Forwarded-For: ")
        out.writeString(client)
        out.writeStaticString("\r\nX-Auth-Request-Redirect: ")
        if let redirect = policy.requestRedirect { out.writeBytes(redirect) } else { out.writeBytes(requestURI) }
        out.writeStaticString("\r\n")
        if policy.method != nil {
            out.writeStaticString("X-Original-URI: ")
            out.writeBytes(requestURI)
            out.writeStaticString(isTLS ? "\r\nX-Scheme: https\r\n" : "\r\nX-Scheme: http\r\n")
        }
        out.writeStaticString("\r\n")
    }

    /// The client's fields a sub-request carries (nginx `proxy_pass_request_headers on`): all
    /// but the body's framing, connection-level ones, `Host`, `X-Request-ID` and those the proxy
    /// sets itself.
    static func copyClientFields(
        _ head: RequestHead, _ bytes: UnsafeRawBufferPointer, except replaced: [HeaderPolicy.Field] = [], into out: inout ByteBuffer
    ) {
        for field in head.fields {
            switch field.kind {
            case .other, .cookie, .origin, .authorization, .strictTransportSecurity, .accessControl, .location, .server, .traceparent:
                if !replaced.isEmpty, replaced.contains(where: { UpstreamRequestWriter.isNamed(bytes, field, $0.name) }) { continue }
                out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[field.lineStart..<field.valueEnd]))
                out.writeStaticString("\r\n")
            case .host, .contentLength, .transferEncoding, .connection, .upgrade, .expect, .hopByHop, .replacedByProxy,
                .xForwardedFor, .xForwardedPrefix, .underscored, .xRequestID:
                continue
            }
        }
    }

    /// `X-Request-ID`: the client's, else a new one.
    static func writeRequestID(
        _ head: RequestHead, _ bytes: UnsafeRawBufferPointer, _ requestID: RequestID, into out: inout ByteBuffer
    ) {
        out.writeStaticString("X-Request-ID: ")
        if let range = head.requestID {
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[range]))
        } else {
            requestID.write(into: &out)
        }
        out.writeStaticString("\r\n")
    }
}

/// The head of a `custom-http-errors` sub-request to the `default-backend`, as ingress-nginx's
/// `@custom_<upstream>_<code>` location sends it (nginx.tmpl `CUSTOM_ERRORS`): `GET /`, the
/// client's fields, `Host` (the client's), `X-Format` (its `Accept`), `X-Original-URI`,
/// `X-Namespace`, `X-Ingress-Name`, `X-Service-Name`, `X-Service-Port`, `X-Request-ID`,
/// `X-Forwarded-For` and `X-Code`.
enum ErrorPageRequestWriter {
    static func write(
        _ head: RequestHead, from bytes: UnsafeRawBufferPointer, policy: ErrorPagePolicy, status: Int, client: String,
        requestID: RequestID, into out: inout ByteBuffer
    ) {
        // nginx's error_page turns every method but HEAD into GET.
        if head.method == .head { out.writeStaticString("HEAD / HTTP/1.1\r\nHost: ") } else { out.writeStaticString("GET / HTTP/1.1\r\nHost: ") }
        if let host = head.authority ?? head.hostValue { out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[host])) }
        out.writeStaticString("\r\n")
        AuthRequestWriter.copyClientFields(head, bytes, into: &out)
        out.writeStaticString("X-Format: ")
        for field in head.fields where UpstreamRequestWriter.isNamed(bytes, field, Self.accept) {
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[field.valueStart..<field.valueEnd]))
            break
        }
        out.writeStaticString("\r\nX-Original-URI: ")
        out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[head.targetStart..<head.targetEnd]))
        out.writeStaticString("\r\n")
        out.writeBytes(policy.fields)
        AuthRequestWriter.writeRequestID(head, bytes, requestID, into: &out)
        out.writeStaticString("X-Forwarded-For: ")
        out.writeString(client)
        out.writeStaticString("\r\nX-Code: ")
        out.writeString(String(status))
        out.writeStaticString("\r\n\r\n")
    }

    static let accept = Array("accept".utf8)
}
