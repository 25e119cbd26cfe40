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

    @Test func startedResponsesAndTimeoutsAreFinal() {
        #expect(!self.policy.mayRetry(after: .closedDuringResponse, attempt: 0, isIdempotent: true, bodyStreamed: false))
        #expect(!self.policy.mayRetry(after: .readTimeout, attempt: 0, isIdempotent: true, bodyStreamed: false))
        #expect(AttemptFailure.readTimeout.status == 504)
        #expect(AttemptFailure.connectRefused.status == 502)
    }
}
