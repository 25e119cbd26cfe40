import NIOCore
import PorticoRouting
import Testing

@testable import PorticoProxy

/// The client connection state machine without sockets: keep-alive reuse, pipelining, retries,
/// timeouts, back-pressure, tunnels, early answers and lingering close.
@Suite struct ClientConnectionTests {
    typealias H = ConnectionHarness

    @Test func aKeepAliveExchangeIsRelayedAndItsConnectionPooled() {
        let h = H()
        #expect(h.receive(H.get) == ["connect 10.0.0.1:80 pooled"])
        #expect(h.connected() == ["begin", "up: GET / HTTP/1.1", "up flush"])
        let (relayed, actions) = h.respond(H.ok)
        #expect(relayed)
        #expect(actions == ["write HTTP/1.1 200 OK", "write ok"])
        #expect(h.readComplete() == ["flush"])
        #expect(h.end() == ["release", "flush"])
        #expect(h.isIdle)
        // The next request rotates to the next endpoint and asks the pool first again.
        #expect(h.receive(H.get) == ["connect 10.0.0.2:80 pooled"])
    }

    @Test func pipelinedRequestsAreAnsweredOneAfterTheOther() {
        let h = H()
        #expect(h.receive(H.get + H.get) == ["connect 10.0.0.1:80 pooled"])  // the second waits
        _ = h.connected()
        h.respond(H.ok)
        #expect(h.end() == ["release", "flush", "connect 10.0.0.2:80 pooled"])
        #expect(h.connected() == ["begin", "up: GET / HTTP/1.1", "up flush"])
    }

    @Test func anHTTP10ClientGetsKeepAliveSpelledOutAndNoChunks() {
        let h = H()
        _ = h.receive("GET / HTTP/1.0\r\nHost: app.test\r\nConnection: keep-alive\r\n\r\n")
        _ = h.connected()
        h.respond(H.ok)
        #expect(h.written.contains("Connection: keep-alive\r\n"))
        _ = h.end()
        #expect(h.isIdle)
    }

    // MARK: - Retries

    /// pingora's rule: a pooled connection that closed before any response byte is what a
    /// keep-alive connection the upstream closed while idle looks like: the request (even a
    /// POST, nothing of its body streamed) goes again on a fresh connection to the same
    /// endpoint, without counting as a try. A fresh connection failing the same way is the
    /// endpoint's own doing: a POST then gets 502.
    @Test func aStaleReusedConnectionIsRetriedFreshOnTheSameEndpoint() {
        let h = H()
        _ = h.receive("POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 0\r\n\r\n")
        _ = h.connected(reused: true)
        #expect(h.upstreamFailed(.closedBeforeResponse) == ["connect 10.0.0.1:80 fresh"])
        _ = h.connected(reused: false)
        let answer = h.upstreamFailed(.closedBeforeResponse)
        #expect(answer.first == "write HTTP/1.1 502 Bad Gateway")
        #expect(h.isIdle)  // no body left unread: the connection stays
    }

    @Test func anIdempotentRequestMovesToTheNextEndpointWhenAFreshConnectionFails() {
        let h = H()
        _ = h.receive(H.get)
        _ = h.connected(reused: false)
        #expect(h.upstreamFailed(.closedBeforeResponse) == ["connect 10.0.0.2:80 fresh"])
        _ = h.connected()
        h.respond(H.ok)
        #expect(h.end() == ["release", "flush"])
    }

    @Test func connectFailuresMoveOnUntilTheTriesAreSpent() {
        let h = H(endpoints: 4)
        _ = h.receive(H.get)
        #expect(h.connectFailed() == ["connect 10.0.0.2:80 fresh"])
        #expect(h.connectFailed(timedOut: true) == ["connect 10.0.0.3:80 fresh"])
        let answer = h.connectFailed()
        #expect(answer.first == "write HTTP/1.1 502 Bad Gateway")
        // The failed endpoints are skipped by the next request (its rotation starts at .2).
        #expect(h.receive(H.get) == ["connect 10.0.0.4:80 pooled"])
        // portico_upstream_retries_total{reason} and portico_endpoints_skipped_total.
        #expect(h.loop.counters.retries[ProxyCounters.RetryReason.error.rawValue] == 1)
        #expect(h.loop.counters.retries[ProxyCounters.RetryReason.timeout.rawValue] == 1)
        #expect(h.loop.counters.endpointsSkipped == 2)
    }

    @Test func aStatusProxyNextUpstreamListsIsTriedElsewhere() {
        var policy = RoutePolicy()
        policy.nextUpstream = NextUpstream.parse("error http_503").0
        let h = H(policy: policy)
        _ = h.receive(H.get)
        _ = h.connected()
        let (relayed, actions) = h.respond("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
        #expect(!relayed)
        #expect(actions == ["up close", "connect 10.0.0.2:80 fresh"])
        #expect(h.loop.counters.statusRetries == [503: 1])
    }

    @Test func anAnswerThatStartedIsNeverRetried() {
        let h = H()
        _ = h.receive(H.get)
        _ = h.connected()
        h.respond("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345")
        #expect(h.upstreamFailed(.closedDuringResponse) == ["close"])
        #expect(h.isClosing)
    }

    /// A connect that completes after the exchange was given up is not attached: the caller
    /// parks the connection for others.
    @Test func aLateConnectResultIsRefused() {
        let h = H()
        _ = h.receive(H.get)
        let token = h.token
        h.machine.closed(now: h.now)
        let attached = h.machine.upstreamConnected(token: token, reused: false, writable: true, now: h.now)
        #expect(!attached)
    }

    // MARK: - Timeouts

    @Test func anIdleKeepAliveConnectionClosesSilentlyAfterItsTimeout() {
        let h = H()
        #expect(h.advance(.seconds(74)) == [])
        #expect(h.advance(.seconds(1)) == ["close"])
    }

    @Test func aStalledHeadGets408() {
        let h = H()
        _ = h.receive("GET / HT")
        let actions = h.advance(.seconds(60))
        #expect(actions.first == "write HTTP/1.1 408 Request Time-out")
        #expect(actions.last == "linger")
    }

    @Test func aSilentUpstreamGets504AfterTheReadTimeout() {
        var policy = RoutePolicy()
        policy.readTimeoutSeconds = 5
        let h = H(policy: policy)
        _ = h.receive(H.get)
        _ = h.connected()
        #expect(h.advance(.seconds(4)) == [])
        let actions = h.advance(.seconds(1))
        #expect(actions.prefix(2) == ["up close", "write HTTP/1.1 504 Gateway Time-out"])
    }

    /// A client that stops sending its body: 408 (the upstream, which got part of it, is
    /// dropped). While the upstream holds reading back, the client is not blamed: the send
    /// timeout runs instead.
    @Test func aClientSilentMidBodyGets408() {
        let h = H(policy: H.streaming)
        _ = h.receive("POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10\r\n\r\n12345")
        #expect(h.connected() == ["begin", "up: POST / HTTP/1.1", "up: 12345", "up flush"])
        let actions = h.advance(.seconds(60))
        #expect(actions.prefix(2) == ["up close", "write HTTP/1.1 408 Request Time-out"])
        #expect(actions.last == "linger")
    }

    @Test func anUpstreamThatStopsTakingTheBodyGets504AfterTheSendTimeout() {
        let h = H(policy: H.streaming)
        _ = h.receive("POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10\r\n\r\n")
        _ = h.connected(writable: false)
        #expect(h.receive("12345") == ["up: 12345", "up flush", "read off"])
        let actions = h.advance(.seconds(60))
        #expect(actions.prefix(2) == ["up close", "write HTTP/1.1 504 Gateway Time-out"])
    }

    @Test func aBodyBelowTheMinimumRateGets408() {
        var configuration = ProxyConfiguration()
        configuration.minBodyRate = 1000
        let h = H(configuration: configuration)
        _ = h.receive("POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 100000\r\n\r\n")
        _ = h.connected()
        for _ in 0..<9 {
            h.now = h.now + .seconds(1)
            _ = h.receive("x")  // a byte a second keeps the silence timeout away
        }
        let actions = h.advance(.seconds(1))
        #expect(actions.contains("write HTTP/1.1 408 Request Time-out"))
    }

    // MARK: - Back-pressure

    @Test func aSlowClientPausesTheUpstreamAndResumesIt() {
        let h = H()
        _ = h.receive(H.get)
        _ = h.connected()
        h.respond("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        h.machine.clientWritabilityChanged(false)
        #expect(h.drain() == ["up read off"])
        h.machine.clientWritabilityChanged(true)
        #expect(h.drain() == ["up read on"])
    }

    @Test func aSlowUpstreamPausesTheClientAndResumesIt() {
        let h = H(policy: H.streaming)
        _ = h.receive("POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10\r\n\r\n")
        _ = h.connected()
        h.machine.upstreamWritabilityChanged(false, now: h.now)
        #expect(h.drain() == [])
        #expect(h.receive("12345") == ["up: 12345", "up flush", "read off"])
        h.machine.upstreamWritabilityChanged(true, now: h.now)
        #expect(h.drain() == ["read on"])
        #expect(h.receive("67890") == ["up: 67890", "up flush"])
    }

    @Test func aClientFarAheadOfItsAnswersIsPaused() {
        let h = H()
        _ = h.receive(H.get)
        let ahead = String(repeating: H.get, count: ClientConnection.maxBufferedInbound / H.get.utf8.count + 1)
        #expect(h.receive(ahead) == ["read off"])
    }

    // MARK: - Upgrades, early answers, closing

    @Test func aWebSocketUpgradeBecomesATunnel() {
        let h = H()
        _ = h.receive("GET /ws HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        #expect(h.connected().first == "begin upgrade")
        let (relayed, _) = h.respond("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        #expect(relayed)
        #expect(h.isTunnel)
        #expect(h.receive("frame") == ["up: frame", "up flush"])
        h.machine.upstreamResponseBody(ByteBuffer(string: "reply"))
        #expect(h.drain() == ["write reply"])
        #expect(h.end(reusable: false) == ["up close", "close after flush"])
    }

    @Test func anUpgradeNotAllowedIsDroppedAndTheRequestGoesOnPlain() {
        let h = H()
        _ = h.receive("GET / HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
        #expect(h.connected().first == "begin")
    }

    @Test func anIdleTunnelIsClosed() {
        let h = H()
        _ = h.receive("GET /ws HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        _ = h.connected()
        h.respond("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        #expect(h.advance(.seconds(60)) == ["up close", "close"])
    }

    /// An upstream answer before the request body is in: `Connection: close`, the upstream
    /// connection dropped (it has half a body), and a lingering close, never a keep-alive
    /// answer followed by a silent close.
    @Test func anEarlyAnswerClosesAfterALingeringDrain() {
        let h = H(policy: H.streaming)
        _ = h.receive("POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10\r\n\r\n12345")
        _ = h.connected()
        h.respond("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
        #expect(h.written.contains("Connection: close\r\n"))
        #expect(h.end() == ["up close", "linger"])
        #expect(h.isClosing)
    }

    /// nginx lingers only when the client may still be sending: a `Connection: close` request
    /// read whole is answered and closed at once (no half-close, no drain, no wake-up).
    @Test func aCloseRequestReadWholeClosesWithoutLingering() {
        let h = H()
        _ = h.receive("GET / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n")
        _ = h.connected()
        h.respond(H.ok)
        #expect(h.written.contains("Connection: close\r\n"))
        #expect(h.end() == ["release", "close after flush"])
        let notFound = H()
        let actions = notFound.receive("GET / HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n")
        #expect(actions.first == "write HTTP/1.1 404 Not Found")
        #expect(actions.last == "close after flush")
    }

    @Test func aDeclaredBodyOverTheLimitGets413WithoutAnUpstream() {
        var policy = RoutePolicy()
        policy.maxBodySize = 5
        let h = H(policy: policy)
        let actions = h.receive("POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10\r\n\r\n")
        #expect(actions.first == "write HTTP/1.1 413 Request Entity Too Large")
        #expect(actions.last == "linger")
        #expect(!actions.contains { $0.hasPrefix("connect") })
    }

    @Test func aBackendWithoutEndpointsGets503AndTheConnectionStays() {
        let h = H(endpoints: 0)
        let actions = h.receive(H.get)
        #expect(actions.first == "write HTTP/1.1 503 Service Temporarily Unavailable")
        #expect(actions.contains("flush"))
        #expect(h.isIdle)
    }

    @Test func aBadRequestLineGets400AndCloses() {
        let h = H()
        let actions = h.receive("GET /\r\n\r\n")
        #expect(actions.first == "write HTTP/1.1 400 Bad Request")
        #expect(actions.last == "linger")
        #expect(h.receive(H.get) == [])  // ignored while closing
    }

    @Test func shutdownClosesAnIdleConnectionAndEndsABusyOneAfterItsAnswer() {
        let idle = H()
        idle.machine.quiesce()
        #expect(idle.drain() == ["close"])

        let busy = H()
        _ = busy.receive(H.get)
        busy.machine.quiesce()
        _ = busy.connected()
        busy.respond(H.ok)
        #expect(busy.written.contains("Connection: close\r\n"))
        #expect(busy.end() == ["release", "close after flush"])
    }

    @Test func theClientClosingMidExchangeDropsTheUpstream() {
        let h = H()
        _ = h.receive(H.get)
        _ = h.connected()
        h.machine.closed(now: h.now)
        #expect(h.drain() == ["up close"])
        #expect(h.isClosing)
    }

    /// One wake-up serves every timeout: a request asks for one only when it needs an earlier
    /// one than is pending (here its route's 5 s read timeout); its answer and the next
    /// request ask for none.
    @Test func oneWakeUpServesEveryTimeout() {
        var policy = RoutePolicy()
        policy.readTimeoutSeconds = 5
        let h = H(policy: policy)
        h.machine.received(ByteBuffer(string: H.get), now: h.now)
        #expect(h.drain(timers: true) == ["connect 10.0.0.1:80 pooled", "timer +5s"])
        _ = h.machine.upstreamConnected(token: h.token, reused: false, writable: true, now: h.now)
        #expect(!h.drain(timers: true).contains { $0.hasPrefix("timer") })
        h.respond(H.ok)
        h.machine.upstreamResponseEnd(reusable: true, now: h.now)
        h.machine.received(ByteBuffer(string: H.get), now: h.now)
        #expect(!h.drain(timers: true).contains { $0.hasPrefix("timer") })
    }
}
