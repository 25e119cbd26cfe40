import NIOCore
import PorticoRouting
import Testing

@testable import PorticoProxy

/// The controller ConfigMap's data-plane settings, as the state machine reads them from the
/// generation (no sockets).
@Suite struct ServerSettingsPhaseTests {
    typealias H = ConnectionHarness

    /// `keep-alive-requests`: the last request a connection may carry is answered with
    /// `Connection: close`.
    @Test func keepAliveRequestsClosesAfterTheLastOne() {
        var settings = ServerSettings()
        settings.keepAliveRequests = 2
        let h = H(settings: settings)
        _ = h.receive(H.get)
        _ = h.connected()
        h.respond(H.ok)
        #expect(!h.written.contains("Connection: close"))
        _ = h.end()
        _ = h.receive(H.get)
        _ = h.connected()
        h.respond(H.ok)
        #expect(h.written.contains("Connection: close\r\n"))
    }

    /// `keep-alive: 0` is nginx's `keepalive_timeout 0`: every answer closes.
    @Test func keepAliveZeroClosesEveryConnection() {
        var settings = ServerSettings()
        settings.keepAliveSeconds = 0
        let h = H(settings: settings)
        _ = h.receive(H.get)
        _ = h.connected()
        h.respond(H.ok)
        #expect(h.written.contains("Connection: close\r\n"))
    }

    /// `large-client-header-buffers "2 1k"`: a field line past one buffer is 431, a request
    /// line past one buffer 414.
    @Test func headerBuffersBoundLinesAndTheHead() {
        var settings = ServerSettings()
        settings.headerBuffers = ServerSettings.HeaderBuffers(count: 2, size: 1024)
        let long = H(settings: settings)
        _ = long.receive("GET / HTTP/1.1\r\nHost: app.test\r\nX-Big: \(String(repeating: "a", count: 1100))\r\n\r\n")
        #expect(long.written.hasPrefix("HTTP/1.1 431"))
        let target = H(settings: settings)
        _ = target.receive("GET /\(String(repeating: "a", count: 1100)) HTTP/1.1\r\nHost: app.test\r\n\r\n")
        #expect(target.written.hasPrefix("HTTP/1.1 414"))
        let fits = H(settings: settings)
        #expect(fits.receive("GET / HTTP/1.1\r\nHost: app.test\r\nX-Small: \(String(repeating: "a", count: 900))\r\n\r\n")
            == ["connect 10.0.0.1:80 pooled"])
    }

    /// `limit-conn-status-code` reaches the limit phase through the generation.
    @Test func theLimitStatusComesFromTheSettings() {
        var settings = ServerSettings()
        settings.limitConnectionStatus = 429
        let limit = RateLimitPolicy(zone: 0x5e77, perSecond: nil, perMinute: nil, connections: 1, burstMultiplier: 5, allowlist: [])
        var policy = RoutePolicy()
        policy.rateLimit = limit
        let h = H(policy: policy, settings: settings)
        let slot = h.loop.rateLimiter.acquireConnection(limit, limit: 1, clientHash: ProxyBackend.fnv1a(Array("192.0.2.7".utf8)))
        #expect(h.receive(H.get).first == "write HTTP/1.1 429 Too Many Requests")
        h.loop.rateLimiter.releaseConnection(slot!)
    }
}
