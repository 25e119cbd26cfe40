/// `auth-url` and its companions (ingress-nginx `annotations/authreq/main.go`, the auth
/// location in nginx.tmpl, nginx's `auth_request`): before a request is proxied, a sub-request
/// without body asks the auth service; a 2xx lets it through (with `auth-response-headers`
/// copied from the auth answer into the proxied request), 401 and 403 go back to the client
/// (401 as a redirect to `auth-signin` when set), anything else — the service unreachable
/// included — is 500.
public struct ExternalAuthPolicy: Hashable, Sendable {
    /// Where the sub-request goes.
    public enum Target: Hashable, Sendable {
        /// A host written in the URL (an address, a cluster Service name, a DNS name), resolved
        /// by the compiler into a backend; `host` is the `Host` sent.
        case backend(BackendID, host: [UInt8])
        /// `$host` (oauth2-proxy's documented `https://$host/oauth2/auth`): the request's own
        /// host, so the sub-request is routed through this table like a request for that URL
        /// and goes straight to the route's backend instead of looping back through the
        /// listener.
        case sameHost
    }

    public let target: Target
    /// The URL's path and query, the target of the sub-request.
    public let path: [UInt8]
    /// `auth-method` (default GET, as nginx's subrequests); with it, `X-Original-URI` and
    /// `X-Scheme` are sent too.
    public let method: [UInt8]?
    /// `auth-response-headers`, as written (sent upstream under these names) and lower-cased.
    public let responseHeaders: [[UInt8]]
    public let responseHeadersLowercased: [[UInt8]]
    /// `auth-signin` (its `$` variables expanded per request), with `auth-signin-redirect-param`.
    public let signin: SigninURL?
    /// `auth-request-redirect`: the `X-Auth-Request-Redirect` sent (default: the request URI).
    public let requestRedirect: [UInt8]?
    /// `auth-always-set-cookie`: the auth answer's `Set-Cookie` also goes on error answers.
    public let alwaysSetCookie: Bool
    /// The URL as written, for `explain` and messages.
    public let url: String
    /// `auth-proxy-set-headers`: fields set on the sub-request (the client's of those names
    /// replaced), from a ConfigMap of the Ingress's namespace.
    public let proxySetFields: [HeaderPolicy.Field]
    /// `auth-cache-key` / `auth-cache-duration`.
    public let cache: AuthCachePolicy?

    public init(
        target: Target, path: String, method: String?, responseHeaders: [String], signin: SigninURL?, requestRedirect: String?,
        alwaysSetCookie: Bool, url: String, proxySetFields: [HeaderPolicy.Field] = [], cache: AuthCachePolicy? = nil
    ) {
        self.proxySetFields = proxySetFields
        self.cache = cache
        self.target = target
        self.path = Array(path.utf8)
        self.method = method.map { Array($0.utf8) }
        self.responseHeaders = responseHeaders.map { Array($0.utf8) }
        self.responseHeadersLowercased = responseHeaders.map { Array($0.lowercased().utf8) }
        self.signin = signin
        self.requestRedirect = requestRedirect.map { Array($0.utf8) }
        self.alwaysSetCookie = alwaysSetCookie
        self.url = url
    }
}

/// `auth-signin` as a template: literal text and the nginx variables ingress-nginx users put
/// there (`$host`, `$http_host`, `$scheme`, `$request_uri`, `$escaped_request_uri`), with
/// `rd=$pass_access_scheme://$http_host$escaped_request_uri` appended when the URL has no
/// redirect parameter of its own (template.go `buildAuthSignURL`).
public struct SigninURL: Hashable, Sendable {
    public enum Part: Hashable, Sendable {
        case text([UInt8])
        case host, httpHost, scheme, requestURI, escapedRequestURI
    }

    public let parts: [Part]

    public init(parts: [Part]) { self.parts = parts }

    /// A variable the template cannot expand.
    public struct UnknownVariable: Error, Equatable {
        public let name: String
    }

    /// Parses the annotation value; fails on the first variable Portico does not know.
    public static func parse(_ text: String, redirectParameter: String) -> Result<SigninURL, UnknownVariable> {
        var parts: [Part] = []
        var literal: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        let variables: [(String, Part)] = [
            ("escaped_request_uri", .escapedRequestURI), ("request_uri", .requestURI), ("http_host", .httpHost),
            ("host", .host), ("scheme", .scheme), ("pass_access_scheme", .scheme),
        ]
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "$") else {
                literal.append(bytes[index])
                index += 1
                continue
            }
            var end = index + 1
            while end < bytes.count, bytes[end] == UInt8(ascii: "_") || bytes[end].isASCIIAlphanumeric { end += 1 }
            let name = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
            guard let part = variables.first(where: { $0.0 == name })?.1 else { return .failure(UnknownVariable(name: "$" + name)) }
            if !literal.isEmpty { parts.append(.text(literal)) }
            literal = []
            parts.append(part)
            index = end
        }
        // buildAuthSignURL: no query at all → `?rd=…`; a query without the parameter → `&rd=…`.
        let query = text.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init)
        let hasParameter = query?.split(separator: "&").contains { $0.hasPrefix(redirectParameter + "=") } ?? false
        if !hasParameter {
            literal += Array(((query == nil || query!.isEmpty) ? "?" : "&").utf8) + Array((redirectParameter + "=").utf8)
            parts.append(.text(literal))
            literal = []
            parts += [.scheme, .text(Array("://".utf8)), .httpHost, .escapedRequestURI]
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        return .success(SigninURL(parts: parts))
    }
}

extension UInt8 {
    var isASCIIAlphanumeric: Bool { (self >= 48 && self <= 57) || (self >= 65 && self <= 90) || (self >= 97 && self <= 122) }
}
