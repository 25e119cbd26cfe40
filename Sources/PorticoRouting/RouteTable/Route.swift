/// Where a route came from, for `portico routes`, `explain` and access logs.
public struct RouteSource: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// `spec.rules[r].http.paths[p]`.
        case rule(ruleIndex: Int, pathIndex: Int)
        /// `spec.defaultBackend`.
        case defaultBackend
    }

    /// `namespace/name` of the Ingress.
    public let ingress: String
    public let kind: Kind

    public init(ingress: String, kind: Kind) {
        self.ingress = ingress
        self.kind = kind
    }
}

/// One path of one host and the backend it sends to.
public struct Route: Hashable, Sendable {
    public let match: PathMatch
    public let backend: BackendID
    public let source: RouteSource
    /// `rewrite-target`, when it differs from the path (ingress-nginx's `needsRewrite`).
    public let rewrite: RewriteTemplate?
    /// `x-forwarded-prefix`: sent as `X-Forwarded-Prefix` only while a rewrite is active.
    public let forwardedPrefix: String?
    /// `ssl-redirect` (default true): redirect plain HTTP to HTTPS when the host has TLS.
    public let sslRedirect: Bool
    /// `force-ssl-redirect` (default false): redirect even when the host has no TLS.
    public let forceSSLRedirect: Bool
    /// `proxy-body-size`: the largest request body accepted (413 above); nil is unlimited.
    public let maxBodySize: Int?
    /// `allowlist-source-range`: clients outside these blocks get 403; nil allows everyone.
    public let allowedSources: [SourceRange]?
    /// `proxy-connect-timeout` / `proxy-read-timeout` in seconds; nil: the server's defaults.
    public let connectTimeoutSeconds: Int?
    public let readTimeoutSeconds: Int?
    /// `proxy-send-timeout` in seconds: how long an upstream may stop taking the request body.
    public let sendTimeoutSeconds: Int?
    /// `upstream-hash-by`: consistent hashing on this key instead of round-robin.
    public let hashKey: HashKey?
    /// `upstream-vhost`: the Host sent upstream instead of the client's.
    public let upstreamHost: String?
    /// `affinity: cookie`.
    public let cookieAffinity: CookieAffinity?
    /// `proxy-next-upstream` / `proxy-next-upstream-tries`.
    public let nextUpstream: NextUpstream
    /// `load-balance: ewma`: peak-EWMA latency with two random choices instead of round-robin.
    public let ewma: Bool

    public init(
        match: PathMatch, backend: BackendID, source: RouteSource, rewrite: RewriteTemplate? = nil,
        forwardedPrefix: String? = nil, sslRedirect: Bool = true, forceSSLRedirect: Bool = false,
        maxBodySize: Int? = nil, allowedSources: [SourceRange]? = nil, connectTimeoutSeconds: Int? = nil,
        readTimeoutSeconds: Int? = nil, sendTimeoutSeconds: Int? = nil, hashKey: HashKey? = nil, upstreamHost: String? = nil,
        cookieAffinity: CookieAffinity? = nil, nextUpstream: NextUpstream = NextUpstream(), ewma: Bool = false
    ) {
        self.match = match
        self.backend = backend
        self.source = source
        self.rewrite = rewrite
        self.forwardedPrefix = rewrite == nil ? nil : forwardedPrefix
        self.sslRedirect = sslRedirect
        self.forceSSLRedirect = forceSSLRedirect
        self.maxBodySize = maxBodySize
        self.allowedSources = allowedSources
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.readTimeoutSeconds = readTimeoutSeconds
        self.sendTimeoutSeconds = sendTimeoutSeconds
        self.hashKey = hashKey
        self.upstreamHost = upstreamHost
        self.cookieAffinity = cookieAffinity
        self.nextUpstream = nextUpstream
        self.ewma = ewma
    }

    /// Whether a client (4 or 16 address bytes) may use this route.
    @inlinable
    public func allows(_ peer: [UInt8]) -> Bool {
        guard let ranges = self.allowedSources else { return true }
        return ranges.contains { $0.contains(peer) }
    }
}
