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
        isTLS: Bool, client: String, requestIDs: inout RequestIDGenerator, into out: inout ByteBuffer
    ) {
        if let method = policy.method { out.writeBytes(method) } else { out.writeStaticString("GET") }
        out.writeInteger(HTTPBytes.sp)
        out.writeBytes(policy.path)
        out.writeStaticString(" HTTP/1.1\r\nHost: ")
        out.writeBytes(host)
        out.writeStaticString("\r\n")
        for field in head.fields {
            switch field.kind {
            case .other, .cookie, .origin, .authorization, .xRequestID, .strictTransportSecurity, .accessControl:
                out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[field.lineStart..<field.valueEnd]))
                out.writeStaticString("\r\n")
            case .host, .contentLength, .transferEncoding, .connection, .upgrade, .expect, .hopByHop, .replacedByProxy,
                .xForwardedFor, .xForwardedPrefix, .underscored:
                continue
            }
        }
        if head.requestID == nil {
            out.writeStaticString("X-Request-ID: ")
            UpstreamRequestWriter.writeHex(requestIDs.next(), into: &out)
            UpstreamRequestWriter.writeHex(requestIDs.next(), into: &out)
            out.writeStaticString("\r\n")
        }
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
}
