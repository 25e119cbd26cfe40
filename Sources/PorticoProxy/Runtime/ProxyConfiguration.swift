import NIOCore
import PorticoRouting

/// Data-plane settings; defaults are ingress-nginx's (config.go `NewDefault`).
public struct ProxyConfiguration: Sendable {
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
    /// Idle upstream connections kept per endpoint and event loop.
    public var maxIdlePerEndpoint = 64
    /// Idle upstream connections older than this are not reused (`keepalive_timeout 60s`).
    public var upstreamIdleTimeout: TimeAmount = .seconds(60)
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
    /// `Strict-Transport-Security` on every HTTPS response (ingress-nginx's `hsts: true`).
    public var hsts = true
    /// `--trusted-proxies`: peers whose `X-Forwarded-For` is believed (nginx realip,
    /// `real_ip_recursive on`); empty trusts nobody, as ingress-nginx's default.
    public var trustedProxies: [SourceRange] = []

    /// `Upgrade` protocols forwarded upstream (lower-case tokens). Only WebSocket by default:
    /// forwarding any token lets `Upgrade: h2c` turn one exposed path into a raw tunnel to the
    /// whole backend, past routing and allow-lists (ingress-nginx has that hole; h2csmuggler).
    public var allowedUpgrades: [[UInt8]] = [Array("websocket".utf8)]

    public init() {}

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
