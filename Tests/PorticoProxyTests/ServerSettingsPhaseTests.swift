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

    /// `client-header-buffer-size` sizes a client connection's first reads: ingress-nginx's 1k
    /// unless set, at most 64 KiB (where reads that fill the buffer stop doubling it).
    @Test func clientHeaderBufferSizeSizesTheFirstReads() {
        #expect(ProxyConfiguration().clientReadBuffers.nextBufferSize() == 1024)
        var settings = ServerSettings()
        settings.clientHeaderBufferSize = 4096
        let four = ProxyConfiguration().applying(settings)
        #expect(four.clientReadBuffers.nextBufferSize() == 4096)
        #expect(four.clientReadBuffers.maximum == 64 * 1024)
        settings.clientHeaderBufferSize = 1024 * 1024
        #expect(ProxyConfiguration().applying(settings).clientReadBuffers.nextBufferSize() == 64 * 1024)
        let generation = H(settings: settings)
        #expect(generation.loop.clientReadBuffers.nextBufferSize() == 64 * 1024, "the loop takes it from the generation")
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

    /// `client-body-timeout` from the ConfigMap times a silent body (408), not the command line's.
    @Test func theBodyTimeoutComesFromTheSettings() {
        var settings = ServerSettings()
        settings.clientBodyTimeoutSeconds = 2
        let h = H(policy: H.streaming, settings: settings)
        _ = h.receive("POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10\r\n\r\n12345")
        _ = h.connected()
        #expect(!h.advance(.seconds(1)).contains { $0.hasPrefix("write HTTP/1.1 408") })
        #expect(h.advance(.seconds(2)).contains { $0.hasPrefix("write HTTP/1.1 408") })
    }

    /// `keep-alive` from the ConfigMap closes an idle connection after that many seconds.
    @Test func theIdleTimeoutComesFromTheSettings() {
        var settings = ServerSettings()
        settings.keepAliveSeconds = 3
        let h = H(settings: settings)
        _ = h.receive(H.get)
        _ = h.connected()
        h.respond(H.ok)
        _ = h.end()
        #expect(!h.advance(.seconds(2)).contains("close"))
        #expect(h.advance(.seconds(2)).contains("close"))
    }

    /// `enable-real-ip` with another `forwarded-for-header`: the client address is read from
    /// that header (the trusted peer's), and is the X-Real-IP sent upstream.
    @Test func theClientAddressComesFromTheConfiguredHeader() {
        var settings = ServerSettings()
        var forwarding = ServerSettings.Forwarding()
        forwarding.enableRealIP = true
        forwarding.forwardedForHeader = "cf-connecting-ip"
        settings.forwarding = forwarding
        let h = H(settings: settings)
        _ = h.receive("GET / HTTP/1.1\r\nHost: app.test\r\nCF-Connecting-IP: 198.51.100.4\r\nX-Forwarded-For: 203.0.113.1\r\n\r\n")
        _ = h.connected()
        #expect(h.upstreamBytes.contains("X-Real-IP: 198.51.100.4\r\nX-Forwarded-For: 198.51.100.4\r\n"), "\(h.upstreamBytes)")
        #expect(h.upstreamBytes.contains("X-Original-Forwarded-For: 203.0.113.1\r\n"))
        #expect(h.upstreamBytes.contains("X-Forwarded-Proto: http\r\n"), "enable-real-ip alone believes no scheme")
    }

    /// A ConfigMap change reaches a loop's idle pool when the generation is swapped in.
    @Test func upstreamKeepaliveSettingsReachThePoolOnReload() {
        let h = H()
        #expect(h.loop.pool.idle.maxIdlePerKey == ProxyConfiguration().maxIdlePerEndpoint)
        var settings = ServerSettings()
        settings.upstreamKeepaliveConnections = 7
        settings.upstreamKeepaliveTimeoutSeconds = 9
        settings.upstreamKeepaliveRequests = 11
        let current = h.loop.generation.snapshot
        h.loop.generation = Generation(
            number: 2, snapshot: RoutingSnapshot(routes: current.routes, backends: current.backends, settings: settings),
            certificates: H.certificates, previous: h.loop.generation)
        #expect(h.loop.pool.idle.maxIdlePerKey == 7)
        #expect(h.loop.pool.idle.idleTimeout == .seconds(9))
        #expect(h.loop.pool.idle.maxUses == 11)
    }
}
