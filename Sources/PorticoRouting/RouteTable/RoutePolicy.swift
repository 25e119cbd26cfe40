/// What an Ingress's `nginx.ingress.kubernetes.io/*` annotations ask of each of its paths: one
/// value per route, built once by the compiler's annotation parsers and read by the data plane's
/// phases. A new annotation is a field here, a parser in the compiler, and the phase that reads
/// it — never a new parameter threaded through the route.
public struct RoutePolicy: Hashable, Sendable {
    /// `x-forwarded-prefix`: sent as `X-Forwarded-Prefix` only while a rewrite is active.
    public var forwardedPrefix: String?
    /// `ssl-redirect` (default true): redirect plain HTTP to HTTPS when the host has TLS.
    public var sslRedirect = true
    /// `force-ssl-redirect` (default false): redirect even when the host has no TLS.
    public var forceSSLRedirect = false
    /// `preserve-trailing-slash` (default false): the HTTPS redirect keeps a trailing `/`
    /// (ingress-nginx's lua_ingress.lua strips one otherwise).
    public var preserveTrailingSlash = false
    /// `proxy-body-size`: the largest request body accepted (413 above); nil is unlimited.
    public var maxBodySize: Int? = RoutePolicy.defaultBodySize
    /// `allowlist-source-range`: clients outside these blocks get 403; nil allows everyone.
    public var allowedSources: [SourceRange]?
    /// `satisfy: any` (nginx `satisfy any`): one passing access check is enough.
    public var satisfyAny = false
    /// `denylist-source-range`: clients inside these blocks get 403 (checked first, as nginx's
    /// `deny` lines come before the `allow` lines).
    public var deniedSources: [SourceRange] = []
    /// Set when an annotation's value makes ingress-nginx deny the location (an invalid
    /// allow-list: `LocationDeniedError`, `return 503` in nginx.tmpl): every request gets 503.
    public var deniedReason: String?
    /// `proxy-request-buffering` (default on) with `client-body-buffer-size`: a request body of
    /// a declared length up to this many bytes is received whole before the upstream is
    /// connected (a slow client then holds no upstream connection, as with nginx's buffering);
    /// 0 streams every body (`off`). Longer bodies stream: nginx would spool them to disk.
    public var bufferedBodyLimit = RoutePolicy.defaultBufferedBody
    /// `proxy-connect-timeout` / `proxy-read-timeout` in seconds; nil: the server's defaults.
    public var connectTimeoutSeconds: Int?
    public var readTimeoutSeconds: Int?
    /// An HTTPRoute rule's `timeouts` in milliseconds (Gateway API durations go below a
    /// second: the spec's own example is `500ms`); over `readTimeoutSeconds`.
    public var readTimeoutMilliseconds: Int?
    /// `proxy-send-timeout` in seconds: how long an upstream may stop taking the request body.
    public var sendTimeoutSeconds: Int?
    /// `upstream-hash-by`: consistent hashing on this key instead of round-robin.
    public var hashKey: HashKey?
    /// `upstream-vhost`: the Host sent upstream instead of the client's, its per-route
    /// variables already filled in.
    public var upstreamHost: UpstreamHostTemplate?
    /// `affinity: cookie`.
    public var cookieAffinity: CookieAffinity?
    /// `proxy-next-upstream` / `proxy-next-upstream-tries`.
    public var nextUpstream = NextUpstream()
    /// `load-balance: ewma`: peak-EWMA latency with two random choices instead of round-robin.
    public var ewma = false
    /// `permanent-redirect` / `temporal-redirect`: answered in the rewrite phase, never proxied.
    public var redirect: FixedRedirect?
    /// `enable-cors` with the `cors-*` annotations.
    public var cors: CORSPolicy?
    /// `auth-type: basic` with its Secret's users.
    public var basicAuth: BasicAuthPolicy?
    /// `proxy-redirect-from`/`-to`.
    public var locationRewrite: LocationRewrite?
    /// `enable-access-log` (default true): false leaves the route's requests out of the access log.
    public var accessLog = true
    /// OpenTelemetry spans and `traceparent` propagation.
    public var tracing = TracingPolicy()
    /// `configuration-snippet`'s header directives.
    public var headers: HeaderPolicy?
    /// `default-backend`: serves the route while its own backend has no ready endpoints.
    public var defaultBackend: BackendID?
    /// `custom-http-errors` (with `default-backend`).
    public var errorPages: ErrorPagePolicy?
    /// `auth-url` and its companions: a sub-request before proxying.
    public var externalAuth: ExternalAuthPolicy?
    /// `limit-rps` / `limit-rpm`.
    public var rateLimit: RateLimitPolicy?
    /// The canary Ingress attached to this route's backend, if any.
    public var canary: CanaryPolicy?
    /// The host's `auth-tls-*` (client certificates), on every path of the host.
    public var clientCertificate: ClientCertificatePolicy?
    /// An HTTPRoute rule's weighted `backendRefs` (every HTTPRoute route without a
    /// RequestRedirect has one): the upstream choice picks a share per request; the route's
    /// `backend` is the first share's (or `BackendRef.unresolved`'s when none resolves).
    public var backendSplit: BackendSplit?
    /// An HTTPRoute's `RequestRedirect` filter: answered in the rewrite phase, never proxied.
    public var requestRedirect: RequestRedirect?
    /// An HTTPRoute's `RequestMirror` filters (`mirror-target`): each a copy of the proxied
    /// requests, in the order written.
    public var mirrors: [MirrorPolicy] = []

    /// nginx's `client_max_body_size 1m`, ingress-nginx's default `proxy-body-size`.
    public static let defaultBodySize = 1024 * 1024
    /// Request bodies up to 64 KiB are buffered unless `client-body-buffer-size` says otherwise:
    /// the read window a connection has anyway, so buffering by default costs no memory more.
    public static let defaultBufferedBody = 64 * 1024

    public init() {}

    /// Whether a client (4 or 16 address bytes) may use this route.
    @inlinable
    public func allows(_ peer: [UInt8]) -> Bool {
        if !self.deniedSources.isEmpty, self.deniedSources.contains(where: { $0.contains(peer) }) { return false }
        guard let ranges = self.allowedSources else { return true }
        return ranges.contains { $0.contains(peer) }
    }
}
