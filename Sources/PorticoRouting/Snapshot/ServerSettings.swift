/// The controller-wide settings of the data plane that the controller ConfigMap sets, with
/// ingress-nginx's key names (`internal/ingress/controller/config/config.go`). Part of the
/// snapshot, so a ConfigMap change is a reload like any other: compiled, frozen, swapped, and
/// an in-flight request keeps the settings it started with.
///
/// A nil field is a key the ConfigMap does not set: the command line's value (or its default,
/// ingress-nginx's) stands. Settings a location can override by annotation (`ssl-redirect`,
/// `proxy-body-size`, the proxy timeouts) are not here: the compiler folds them into each
/// route's policy.
public struct ServerSettings: Hashable, Sendable {
    /// `keep-alive` (nginx `keepalive_timeout`): seconds an idle client connection stays open;
    /// 0 closes after each response.
    public var keepAliveSeconds: Int?
    /// `keep-alive-requests` (`keepalive_requests`): requests per client connection.
    public var keepAliveRequests: Int?
    /// `client-header-timeout`, `client-body-timeout` in seconds.
    public var clientHeaderTimeoutSeconds: Int?
    public var clientBodyTimeoutSeconds: Int?
    /// `client-header-buffer-size` ("1k"): the first read buffer of a client connection (nginx
    /// reads a request head into one such buffer before taking `large-client-header-buffers`).
    public var clientHeaderBufferSize: Int?
    /// `large-client-header-buffers` ("4 8k"): the longest request line or field line is one
    /// buffer, the whole head at most all of them (nginx answers 414 / 400 past them).
    public var headerBuffers: HeaderBuffers?
    /// `upstream-keepalive-connections` (320): idle upstream connections kept, here per
    /// endpoint and event loop; 0 keeps none.
    public var upstreamKeepaliveConnections: Int?
    /// `upstream-keepalive-timeout` (60 s): an idle upstream connection older than this is closed.
    public var upstreamKeepaliveTimeoutSeconds: Int?
    /// `upstream-keepalive-requests` (10000): requests sent on one upstream connection.
    public var upstreamKeepaliveRequests: Int?
    /// `hsts`, `hsts-max-age`, `hsts-include-subdomains`, `hsts-preload`.
    public var hsts = HSTS()
    /// `limit-req-status-code`, `limit-conn-status-code` (503).
    public var limitRequestStatus: Int?
    public var limitConnectionStatus: Int?
    /// `use-forwarded-headers`, `enable-real-ip`, `forwarded-for-header`,
    /// `compute-full-forwarded-for`, `proxy-real-ip-cidr`.
    public var forwarding: Forwarding?
    /// `server-tokens` (false): true answers with `Server: portico`; false sends no `Server`
    /// field at all, the upstream's removed too (nginx.tmpl `more_clear_headers Server`).
    public var serverTokens = false
    /// `ssl-protocols` as OpenSSL's lowest and highest version names, when set.
    public var tlsProtocols: TLSProtocolRange?
    /// `ssl-ciphers` (the TLS 1.2 cipher list), when set.
    public var tlsCiphers: String?
    /// `log-format-upstream`, compiled; `log-format-escape-json` / `-none`.
    public var logFormat: AccessLogFormat?
    public var logEscape: AccessLogFormat.Escape?
    /// OpenTelemetry export (`otlp-collector-host`, `otel-*`).
    public var tracing = TracingSettings()
    /// `use-http2`, `http2-max-concurrent-streams`, `http2-max-header-size`.
    public var http2 = HTTP2Settings()

    public init() {}

    public static let defaults = ServerSettings()

    /// `large-client-header-buffers`: `count` buffers of `size` bytes.
    public struct HeaderBuffers: Hashable, Sendable {
        public var count: Int
        public var size: Int
        public init(count: Int, size: Int) {
            self.count = count
            self.size = size
        }
    }

    /// The `Strict-Transport-Security` field of HTTPS answers. ingress-nginx's defaults: on,
    /// a year, subdomains included, no preload.
    public struct HSTS: Hashable, Sendable {
        public var enabled = true
        public var maxAge = "31536000"
        public var includeSubdomains = true
        public var preload = false
        public init() {}

        /// The whole field line, CRLF included; nil when off.
        public var fieldLine: String? {
            guard self.enabled else { return nil }
            var value = "max-age=\(self.maxAge)"
            if self.includeSubdomains { value += "; includeSubDomains" }
            if self.preload { value += "; preload" }
            return "Strict-Transport-Security: \(value)\r\n"
        }
    }

    /// Which peers' forwarding headers are believed, and which ones.
    public struct Forwarding: Hashable, Sendable {
        /// `use-forwarded-headers`: `X-Forwarded-Proto`, `-Port` and `-Host` from a trusted peer
        /// are passed on as they came (the scheme decides `ssl-redirect`), and the client
        /// address is taken from `forwardedForHeader`.
        public var useForwardedHeaders = false
        /// `enable-real-ip`: only the client address is taken from `forwardedForHeader`.
        public var enableRealIP = false
        /// `forwarded-for-header` (lower-case): where the client address is read.
        public var forwardedForHeader = "x-forwarded-for"
        /// `compute-full-forwarded-for` (with `use-forwarded-headers`): `X-Forwarded-For`
        /// upstream is the client's chain plus the peer, not the client address alone.
        public var computeFullForwardedFor = false
        /// `proxy-real-ip-cidr` (ingress-nginx's default `0.0.0.0/0`): the peers believed.
        public var trustedRanges: [SourceRange] = [SourceRange.parse("0.0.0.0/0")!]
        public init() {}

        /// Whether a client address is read from a header at all.
        public var readsClientAddress: Bool { self.useForwardedHeaders || self.enableRealIP }
        /// Whether the header is the one the parser already finds (no field scan per request).
        public var usesXForwardedFor: Bool { self.forwardedForHeader == "x-forwarded-for" }
    }

    /// `ssl-protocols` ("TLSv1.2 TLSv1.3"): OpenSSL takes a lowest and a highest version, so a
    /// list with a gap (`TLSv1 TLSv1.3`) serves the versions between too.
    public struct TLSProtocolRange: Hashable, Sendable {
        /// 0x0301 (TLS 1.0) … 0x0304 (TLS 1.3), OpenSSL's `TLS1_x_VERSION` numbers.
        public var lowest: Int
        public var highest: Int
        public init(lowest: Int, highest: Int) {
            self.lowest = lowest
            self.highest = highest
        }
    }
}
