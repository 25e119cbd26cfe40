import NIOCore
import PorticoRouting

/// Data-plane settings; defaults are ingress-nginx's (config.go `NewDefault`).
public struct ProxyConfiguration: Sendable, Equatable {
    /// `proxy-connect-timeout` 5s.
    public var connectTimeout: TimeAmount = .seconds(5)
    /// `proxy-read-timeout` 60s: longest silence from the upstream while a response is awaited.
    public var readTimeout: TimeAmount = .seconds(60)
    /// `proxy-send-timeout` 60s: longest time an upstream may stop taking the request body.
    public var sendTimeout: TimeAmount = .seconds(60)
    /// Client keep-alive idle timeout, nginx `keepalive_timeout 75s`.
    public var keepAliveTimeout: TimeAmount = .seconds(75)
    /// `client_header_timeout 60s`: a request head must arrive within this once it has begun.
    public var headerTimeout: TimeAmount = .seconds(60)
    /// `client_body_timeout 60s`: longest silence from a client in the middle of sending a body
    /// (a slow-body attack holds an upstream connection otherwise); 408 then.
    public var bodyTimeout: TimeAmount = .seconds(60)
    /// `--client-body-min-rate`: bytes a second a request body must average over each
    /// `bodyRateWindow` (408 below it); 0 disables. 256 B/s is far below any real uplink (2G
    /// GPRS sends ~5 KB/s) and far above a dribbling attacker's few bytes a minute.
    public var minBodyRate = 256
    public var bodyRateWindow: TimeAmount = .seconds(10)
    /// ingress-nginx's `max-worker-connections` 16384: open client connections per event loop;
    /// beyond it new connections are closed at once (nginx: "worker_connections are not enough").
    public var maxConnectionsPerLoop = 16384
    /// nginx `keepalive_requests 1000`.
    public var maxRequestsPerConnection = 1000
    /// `proxy_next_upstream_tries 3`, the first attempt included.
    public var maxTries = 3
    /// Idle upstream connections kept per endpoint and event loop (`upstream-keepalive-connections`).
    public var maxIdlePerEndpoint = 64
    /// Idle upstream connections older than this are not reused (`upstream-keepalive-timeout 60`).
    public var upstreamIdleTimeout: TimeAmount = .seconds(60)
    /// `upstream-keepalive-requests 10000`: exchanges one upstream connection carries.
    public var maxRequestsPerUpstreamConnection = 10_000
    /// A request that may not be re-sent (POST, PATCH…) reuses only a pooled connection idle for
    /// less than this. An upstream may close an idle connection just as a request goes out on it
    /// (Node.js closes after 5 s idle); a GET is then retried elsewhere, a POST would fail with
    /// 502, so POSTs take only connections too fresh to be in that race.
    public var nonIdempotentMaxIdle: TimeAmount = .seconds(2)
    /// How long an endpoint whose connect failed is skipped (nginx `max_fails=1 fail_timeout=10s`).
    public var failedEndpointBackoff: TimeAmount = .seconds(10)

    /// Where HTTPS redirects point (`--https-port`; 443 is left out of the URL).
    public var httpsPort = 443
    /// nginx `limit_req_status`, ingress-nginx's `limit-req-status-code` (default 503).
    public var limitRequestStatus = 503
    /// nginx `limit_conn_status`, ingress-nginx's `limit-conn-status-code` (default 503).
    public var limitConnectionStatus = 503
    /// The `Strict-Transport-Security` field line of every HTTPS answer (ingress-nginx's `hsts`
    /// settings); nil sends none.
    public var hstsField: [UInt8]? = Array(ServerSettings.HSTS().fieldLine!.utf8)
    /// `server-tokens`: answer with `Server: portico`; otherwise no `Server` field at all.
    public var serverTokens = false
    /// `--enable-metrics`: the log phase counts each request for `/metrics`.
    public var requestMetrics = true
    /// The access log's line format (`log-format-upstream`, its escape keys).
    public var accessLogFormat = AccessLogFormat.upstreamInfo
    /// Whose forwarding headers are believed, and which (`--trusted-proxies`, or the ConfigMap's
    /// `use-forwarded-headers`/`enable-real-ip` and `proxy-real-ip-cidr`); nil believes nobody,
    /// as ingress-nginx's default.
    public var forwarding: ServerSettings.Forwarding?
    /// `large-client-header-buffers` "4 8k".
    var headLimits = RequestHeadParser.Limits.standard
    /// `client-header-buffer-size` (ingress-nginx's 1k): a client connection's first reads go
    /// into a buffer this big, which grows (to 64 KiB) only when reads fill it. The channel
    /// keeps its read buffer while idle, so this is most of an idle connection's memory.
    var clientHeaderBufferSize = 1024

    /// The read-buffer sizing of a client connection: `client-header-buffer-size` first (NIO
    /// rounds it down to a power of two), doubling after each read that fills it, halving
    /// after two that use less than half.
    var clientReadBuffers: AdaptiveRecvByteBufferAllocator {
        let maximum = 64 * 1024
        return AdaptiveRecvByteBufferAllocator(minimum: 64, initial: min(self.clientHeaderBufferSize, maximum), maximum: maximum)
    }
    /// `--enable-ssl-passthrough`: the HTTPS listener reads each ClientHello's SNI first.
    public var sslPassthrough = false
    /// `use-http2`: `h2` by ALPN on the HTTPS port, prior knowledge on the plain one.
    public var http2 = true
    /// `http2-max-concurrent-streams` (128).
    public var http2MaxConcurrentStreams = HTTP2Settings.defaultMaxConcurrentStreams
    /// `http2-max-header-size`; nil: the head limit of `large-client-header-buffers`.
    public var http2MaxHeaderListSize: Int?

    /// `Upgrade` protocols forwarded upstream (lower-case tokens). Only WebSocket by default:
    /// forwarding any token lets `Upgrade: h2c` turn one exposed path into a raw tunnel to the
    /// whole backend, past routing and allow-lists (ingress-nginx has that hole; h2csmuggler).
    public var allowedUpgrades: [[UInt8]] = [Array("websocket".utf8)]

    public init() {}

    /// `--trusted-proxies`: these peers' `X-Forwarded-For` chain is believed and extended
    /// (ingress-nginx's `use-forwarded-headers` + `compute-full-forwarded-for` +
    /// `proxy-real-ip-cidr`).
    public mutating func trust(proxies ranges: [SourceRange]) {
        var forwarding = ServerSettings.Forwarding()
        forwarding.useForwardedHeaders = true
        forwarding.computeFullForwardedFor = true
        forwarding.trustedRanges = ranges
        self.forwarding = forwarding
    }

    /// This configuration with what the controller ConfigMap sets laid over it: a key the
    /// ConfigMap leaves out keeps the command line's value.
    public func applying(_ settings: ServerSettings) -> ProxyConfiguration {
        var result = self
        if let seconds = settings.keepAliveSeconds { result.keepAliveTimeout = .seconds(Int64(seconds)) }
        if let requests = settings.keepAliveRequests { result.maxRequestsPerConnection = requests }
        if settings.keepAliveSeconds == 0 { result.maxRequestsPerConnection = 1 }  // nginx `keepalive_timeout 0`: no keep-alive
        if let seconds = settings.clientHeaderTimeoutSeconds { result.headerTimeout = .seconds(Int64(seconds)) }
        if let seconds = settings.clientBodyTimeoutSeconds { result.bodyTimeout = .seconds(Int64(seconds)) }
        if let size = settings.clientHeaderBufferSize { result.clientHeaderBufferSize = size }
        if let buffers = settings.headerBuffers { result.headLimits = RequestHeadParser.Limits(buffers: buffers.count, size: buffers.size) }
        if let count = settings.upstreamKeepaliveConnections { result.maxIdlePerEndpoint = count }
        if let seconds = settings.upstreamKeepaliveTimeoutSeconds { result.upstreamIdleTimeout = .seconds(Int64(seconds)) }
        if let requests = settings.upstreamKeepaliveRequests { result.maxRequestsPerUpstreamConnection = requests }
        if settings.hsts != ServerSettings.HSTS() { result.hstsField = settings.hsts.fieldLine.map { Array($0.utf8) } }
        if let status = settings.limitRequestStatus { result.limitRequestStatus = status }
        if let status = settings.limitConnectionStatus { result.limitConnectionStatus = status }
        if let forwarding = settings.forwarding { result.forwarding = forwarding.readsClientAddress ? forwarding : nil }
        if settings.serverTokens { result.serverTokens = true }
        if let enabled = settings.http2.enabled { result.http2 = enabled }
        if let streams = settings.http2.maxConcurrentStreams { result.http2MaxConcurrentStreams = streams }
        if let size = settings.http2.maxHeaderListSize { result.http2MaxHeaderListSize = size }
        if settings.logFormat != nil || settings.logEscape != nil {
            result.accessLogFormat = (settings.logFormat ?? .upstreamInfo).escaping(settings.logEscape ?? .default)
        }
        return result
    }

    /// Whether every token of an `Upgrade` value (RFC 9110 §7.8: a list) is allowed.
    func allowsUpgrade(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        var sawToken = false
        let allAllowed = HTTPBytes.forEachListElement(bytes, range) { a, b in
            sawToken = true
            return self.allowedUpgrades.contains { $0.elementsEqual(bytes[a..<b].lazy.map(HostBytes.lower)) }
        }
        return allAllowed && sawToken
    }

    /// The shortest of the per-connection timeouts: the connection timer's longest sleep.
    var shortestTimeout: TimeAmount {
        min(self.keepAliveTimeout, self.headerTimeout, self.bodyTimeout, self.readTimeout, self.sendTimeout)
    }
}
