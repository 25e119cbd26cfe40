import PorticoRouting
import Testing

@testable import PorticoProxy

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxTries: 3)

    @Test func connectFailuresMoveOnUpToThreeTries() {
        #expect(self.policy.mayRetry(after: .connectRefused, attempt: 0, isIdempotent: false, bodyStreamed: false))
        #expect(self.policy.mayRetry(after: .connectTimeout, attempt: 1, isIdempotent: false, bodyStreamed: false))
        #expect(!self.policy.mayRetry(after: .connectRefused, attempt: 2, isIdempotent: true, bodyStreamed: false))
    }

    @Test func sentNonIdempotentRequestsAreNeverResent() {
        #expect(!self.policy.mayRetry(after: .closedBeforeResponse(reused: true), attempt: 0, isIdempotent: false, bodyStreamed: false))
        #expect(self.policy.mayRetry(after: .closedBeforeResponse(reused: true), attempt: 0, isIdempotent: true, bodyStreamed: false))
        #expect(!self.policy.mayRetry(after: .closedBeforeResponse(reused: false), attempt: 0, isIdempotent: true, bodyStreamed: true))
    }

    @Test func proxyNextUpstreamNarrowsAndWidens() {
        let off = RetryPolicy(maxTries: 3, next: .off)
        #expect(!off.mayRetry(after: .connectRefused, attempt: 0, isIdempotent: true, bodyStreamed: false))
        let (errorOnly, unsupported) = NextUpstream.parse("error http_502 http_418")
        #expect(unsupported == ["http_418"])
        #expect(errorOnly.statuses == [502])
        let policy = RetryPolicy(maxTries: 3, next: errorOnly)
        #expect(policy.mayRetry(after: .retryableStatus(502), attempt: 0, isIdempotent: true, bodyStreamed: false))
        #expect(!policy.mayRetry(after: .retryableStatus(503), attempt: 0, isIdempotent: true, bodyStreamed: false))
        #expect(!policy.mayRetry(after: .retryableStatus(502), attempt: 0, isIdempotent: false, bodyStreamed: false))
        #expect(policy.mayRetry(after: .connectRefused, attempt: 0, isIdempotent: true, bodyStreamed: false))
        #expect(!policy.mayRetry(after: .connectTimeout, attempt: 0, isIdempotent: true, bodyStreamed: false))
        let (wide, _) = NextUpstream.parse("error timeout non_idempotent invalid_header")
        let widePolicy = RetryPolicy(maxTries: 3, next: wide)
        #expect(widePolicy.mayRetry(after: .closedBeforeResponse(reused: true), attempt: 0, isIdempotent: false, bodyStreamed: false))
        #expect(widePolicy.mayRetry(after: .invalidResponse, attempt: 0, isIdempotent: true, bodyStreamed: false))
        #expect(!widePolicy.mayRetry(after: .closedBeforeResponse(reused: true), attempt: 0, isIdempotent: false, bodyStreamed: true))
    }

    /// pingora's rule: only a reused connection closing before any byte is a stale keep-alive
    /// connection; it is retried fresh on the same endpoint whatever the method, unless body
    /// bytes are gone or `proxy-next-upstream off`.
    @Test func aStaleReusedConnectionIsRetriedFresh() {
        #expect(self.policy.decision(after: .closedBeforeResponse(reused: true), attempt: 2, isIdempotent: false, bodyStreamed: false)
            == .retryOnFreshConnection)
        #expect(self.policy.decision(after: .closedBeforeResponse(reused: true), attempt: 0, isIdempotent: false, bodyStreamed: true)
            == .answer)
        #expect(self.policy.decision(after: .closedBeforeResponse(reused: false), attempt: 0, isIdempotent: false, bodyStreamed: false)
            == .answer)
        #expect(self.policy.decision(after: .closedBeforeResponse(reused: false), attempt: 0, isIdempotent: true, bodyStreamed: false)
            == .retryNextEndpoint)
        let off = RetryPolicy(maxTries: 3, next: .off)
        #expect(off.decision(after: .closedBeforeResponse(reused: true), attempt: 0, isIdempotent: true, bodyStreamed: false) == .answer)
    }

    @Test func startedResponsesAndTimeoutsAreFinal() {
        #expect(!self.policy.mayRetry(after: .closedDuringResponse, attempt: 0, isIdempotent: true, bodyStreamed: false))
        #expect(!self.policy.mayRetry(after: .readTimeout, attempt: 0, isIdempotent: true, bodyStreamed: false))
        #expect(AttemptFailure.readTimeout.status == 504)
        #expect(AttemptFailure.connectRefused.status == 502)
    }
}
