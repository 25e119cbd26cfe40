import PorticoRouting

/// Why one attempt to reach an upstream endpoint failed.
enum AttemptFailure: Equatable {
    case connectRefused
    case connectTimeout
    /// The connection closed before any response byte; `reused` if it came from the pool.
    case closedBeforeResponse(reused: Bool)
    case closedDuringResponse
    case invalidResponse
    case readTimeout
    /// The upstream stopped taking the request body for longer than the send timeout.
    case sendTimeout
    /// The upstream answered with a status `proxy-next-upstream` lists (`http_502`, …).
    case retryableStatus(Int)

    /// The status the client gets when no retry follows (nginx: timeouts 504, the rest 502).
    var status: Int {
        switch self {
        case .connectTimeout, .readTimeout, .sendTimeout: 504
        case .retryableStatus(let status): status
        default: 502
        }
    }
}

/// What follows a failed attempt.
enum RetryDecision: Equatable {
    /// Answer the client (502/504, or the retryable status itself).
    case answer
    /// Try the next endpoint in rotation: a new attempt, counted against the tries.
    case retryNextEndpoint
    /// Try the same endpoint again on a new connection, not counted as a try: the attempt ran
    /// on a pooled connection that closed before any response byte, which is what a keep-alive
    /// connection the upstream closed while idle looks like (pingora retries exactly this;
    /// nginx gives a cached connection's error its try back, `ngx_http_upstream_next`).
    case retryOnFreshConnection
}

/// Decides whether a failed attempt may move on to the next endpoint.
///
/// ingress-nginx's `proxy_next_upstream error timeout` with `proxy_next_upstream_tries 3`:
/// at most three attempts in all; a connect failure always moves on (nothing was sent); a
/// request whose bytes left is re-sent only if its method is idempotent (RFC 9110 §9.2.2) and
/// no body byte was streamed; a response that had started is never retried. A read timeout is
/// not retried either: a second 60 s wait helps nobody.
///
/// pingora's rule on top: a *reused* connection that closed before any response byte is
/// retried once on a fresh connection to the same endpoint, whatever the method, as long as no
/// body byte was streamed (the request can be re-sent whole). The upstream closed it while it
/// was idle; the request was never read. A fresh connection failing the same way is not
/// stale: the endpoint itself dropped the request, and only idempotent requests move on.
///
/// A route's `proxy-next-upstream` narrows or widens this: `error`, `timeout`, `invalid_header`,
/// `non_idempotent` (re-send a POST whose bytes left), `off`.
struct RetryPolicy: Equatable {
    var maxTries: Int
    var next = NextUpstream()

    func decision(after failure: AttemptFailure, attempt: Int, isIdempotent: Bool, bodyStreamed: Bool) -> RetryDecision {
        if case .closedBeforeResponse(reused: true) = failure, !bodyStreamed, self.next.onError {
            return .retryOnFreshConnection
        }
        return self.mayRetry(after: failure, attempt: attempt, isIdempotent: isIdempotent, bodyStreamed: bodyStreamed)
            ? .retryNextEndpoint : .answer
    }

    func mayRetry(after failure: AttemptFailure, attempt: Int, isIdempotent: Bool, bodyStreamed: Bool) -> Bool {
        guard attempt + 1 < self.maxTries else { return false }
        switch failure {
        case .connectRefused:
            return self.next.onError
        case .connectTimeout:
            return self.next.onTimeout
        case .closedBeforeResponse:
            return self.next.onError && (isIdempotent || self.next.nonIdempotent) && !bodyStreamed
        case .invalidResponse:
            return self.next.onInvalidHeader && (isIdempotent || self.next.nonIdempotent) && !bodyStreamed
        case .retryableStatus(let status):
            return self.next.statuses.contains(status) && (isIdempotent || self.next.nonIdempotent) && !bodyStreamed
        case .closedDuringResponse, .readTimeout, .sendTimeout:
            return false
        }
    }
}
