/// The header fields the proxy acts on; every other field is forwarded as written.
enum HeaderKind: UInt8 {
    case other
    case host
    case contentLength
    case transferEncoding
    case connection
    case upgrade
    case expect
    /// Hop-by-hop fields that are never forwarded (RFC 9110 §7.6.1): Keep-Alive, TE,
    /// Proxy-Connection; and `Proxy`, cleared against httpoxy as ingress-nginx does.
    case hopByHop
    /// Fields the proxy sets itself (nginx `proxy_set_header` replaces them): X-Real-IP,
    /// X-Forwarded-Host/-Port/-Proto/-Scheme, X-Scheme, X-Original-Forwarded-For.
    case replacedByProxy
    case xForwardedFor
    case xRequestID
    /// W3C Trace Context: replaced by the proxy's own on a traced route, forwarded as written
    /// elsewhere.
    case traceparent
    /// Replaced by the proxy's own value when a rewrite with `x-forwarded-prefix` is active.
    case xForwardedPrefix
    /// Forwarded as written; read for cookie affinity.
    case cookie
    /// The upstream's HSTS field, replaced by the proxy's on HTTPS.
    case strictTransportSecurity
    /// Read for CORS (`enable-cors`), forwarded as written.
    case origin
    /// Read for `auth-type: basic`; not forwarded on such routes (nginx.tmpl
    /// `proxy_set_header Authorization ""`).
    case authorization
    /// A response's `Access-Control-Allow-*`, `-Expose-Headers` or `-Max-Age`: replaced by the
    /// route's own when its CORS policy applies (`more_set_headers`).
    case accessControl
    /// A response's `Location`, rewritten by `proxy-redirect-from`/`-to`.
    case location
    /// A response's `Server`: never passed on (nginx hides the upstream's, and ingress-nginx's
    /// `server-tokens: false` clears its own); forwarded as written in a request.
    case server
    /// Names with `_`: dropped, as nginx does with `underscores_in_headers off`, so that
    /// `X_Forwarded_For` can never be read as `X-Forwarded-For` by a CGI-style backend.
    case underscored

    /// Classifies the field name `bytes[start..<end]`.
    static func classify(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> HeaderKind {
        let length = end - start
        func eq(_ literal: StaticString) -> Bool { HTTPBytes.equalsLowercase(bytes, start, end, literal) }
        switch length {
        case 2: if eq("te") { return .hopByHop }
        case 4: if eq("host") { return .host }
        case 5: if eq("proxy") { return .hopByHop }
        case 6:
            if eq("expect") { return .expect }
            if eq("cookie") { return .cookie }
            if eq("origin") { return .origin }
            if eq("server") { return .server }
        case 7:
            if eq("upgrade") { return .upgrade }
        case 8:
            if eq("x-scheme") { return .replacedByProxy }
            if eq("location") { return .location }
        case 9: if eq("x-real-ip") { return .replacedByProxy }
        case 10:
            if eq("connection") { return .connection }
            if eq("keep-alive") { return .hopByHop }
        case 11: if eq("traceparent") { return .traceparent }
        case 12: if eq("x-request-id") { return .xRequestID }
        case 13: if eq("authorization") { return .authorization }
        case 14: if eq("content-length") { return .contentLength }
        case 15: if eq("x-forwarded-for") { return .xForwardedFor }
        case 16:
            if eq("x-forwarded-host") || eq("x-forwarded-port") { return .replacedByProxy }
            if eq("proxy-connection") { return .hopByHop }
        case 17:
            if eq("transfer-encoding") { return .transferEncoding }
            if eq("x-forwarded-proto") { return .replacedByProxy }
        case 18:
            if eq("x-forwarded-scheme") { return .replacedByProxy }
            if eq("x-forwarded-prefix") { return .xForwardedPrefix }
        case 24: if eq("x-original-forwarded-for") { return .replacedByProxy }
        case 22: if eq("access-control-max-age") { return .accessControl }
        case 25: if eq("strict-transport-security") { return .strictTransportSecurity }
        case 27: if eq("access-control-allow-origin") { return .accessControl }
        case 28: if eq("access-control-allow-methods") || eq("access-control-allow-headers") { return .accessControl }
        case 29: if eq("access-control-expose-headers") { return .accessControl }
        case 32: if eq("access-control-allow-credentials") { return .accessControl }
        default: break
        }
        for index in start..<end where bytes[index] == UInt8(ascii: "_") { return .underscored }
        return .other
    }
}
