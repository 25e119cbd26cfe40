import NIOCore
import PorticoRouting
import Testing

@testable import PorticoProxy

/// `limit-rps`/`limit-rpm` as nginx's `limit_req burst=B nodelay` admits: B + 1 at once, then
/// one per interval; each client and each Ingress on its own.
@Suite struct RequestRateLimiterTests {
    let start = NIODeadline.uptimeNanoseconds(5_000_000_000)

    func policy(rps: Int? = nil, rpm: Int? = nil, multiplier: Int = 1, zone: UInt64 = 7) -> RateLimitPolicy {
        RateLimitPolicy(zone: zone, perSecond: rps, perMinute: rpm, burstMultiplier: multiplier, allowlist: [])
    }

    @Test func aBurstThenTheSteadyRate() {
        let limiter = RequestRateLimiter(now: self.start)
        let policy = self.policy(rps: 2)  // burst 2: three at once
        let admitted = (0..<5).map { _ in limiter.admit(policy, clientHash: 1, now: self.start) }
        #expect(admitted == [true, true, true, false, false])
        // A refused request is not counted; half a second later one more fits.
        #expect(!limiter.admit(policy, clientHash: 1, now: self.start + .milliseconds(499)))
        #expect(limiter.admit(policy, clientHash: 1, now: self.start + .milliseconds(500)))
        #expect(!limiter.admit(policy, clientHash: 1, now: self.start + .milliseconds(600)))
        // After a quiet while the whole burst is back.
        let later = self.start + .seconds(10)
        #expect((0..<4).map { _ in limiter.admit(policy, clientHash: 1, now: later) } == [true, true, true, false])
    }

    @Test func clientsAndIngressesAreSeparate() {
        let limiter = RequestRateLimiter(now: self.start)
        let policy = self.policy(rps: 1, multiplier: 0)  // burst 0: one at a time
        #expect(limiter.admit(policy, clientHash: 1, now: self.start))
        #expect(!limiter.admit(policy, clientHash: 1, now: self.start))
        #expect(limiter.admit(policy, clientHash: 2, now: self.start))
        #expect(limiter.admit(self.policy(rps: 1, multiplier: 0, zone: 8), clientHash: 1, now: self.start))
    }

    @Test func bothLimitsMustPassAndOnlyAdmittedRequestsCount() {
        let limiter = RequestRateLimiter(now: self.start)
        let policy = self.policy(rps: 10, rpm: 2, multiplier: 0)  // per minute: one, then every 30 s
        #expect(limiter.admit(policy, clientHash: 3, now: self.start))
        #expect(!limiter.admit(policy, clientHash: 3, now: self.start + .seconds(1)))
        #expect(!limiter.admit(policy, clientHash: 3, now: self.start + .seconds(29)))
        #expect(limiter.admit(policy, clientHash: 3, now: self.start + .seconds(30)))
    }
}

/// `limit-connections`: places are taken while a request is in progress and given back after.
@Suite struct ConnectionLimitTests {
    typealias H = ConnectionHarness

    static let policy = RateLimitPolicy(zone: 9, perSecond: nil, perMinute: nil, connections: 1, burstMultiplier: 5, allowlist: [])

    @Test func aPlaceIsHeldUntilTheAnswerEnds() {
        var routePolicy = RoutePolicy()
        routePolicy.rateLimit = Self.policy
        let h = H(policy: routePolicy)
        let peer = ProxyBackend.fnv1a(Array("192.0.2.7".utf8))
        _ = h.receive(H.get)
        _ = h.connected()
        // The harness's client holds the only place: another request of the same client is refused.
        #expect(h.loop.rateLimiter.acquireConnection(Self.policy, limit: 1, clientHash: peer) == nil)
        h.respond(H.ok)
        _ = h.end()
        let slot = h.loop.rateLimiter.acquireConnection(Self.policy, limit: 1, clientHash: peer)
        #expect(slot != nil)  // given back with the answer
        // While that place is taken, the connection's next request gets 503.
        #expect(h.receive(H.get).first == "write HTTP/1.1 503 Service Temporarily Unavailable")
        h.loop.rateLimiter.releaseConnection(slot!)
        #expect(h.receive(H.get).first?.hasPrefix("connect") == true)
    }
}
