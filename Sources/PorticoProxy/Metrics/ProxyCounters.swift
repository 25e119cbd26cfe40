import PorticoTLS

/// Portico's own data-plane counters (`portico_*`), per event loop like the request metrics:
/// plain integers in fixed slots, bumped on the loop that owns them, summed by a scrape.
struct ProxyCounters: Sendable {
    /// Why an attempt was retried, in `proxy-next-upstream`'s words (`error`, `timeout`,
    /// `invalid_header`, `http_<status>`), plus Portico's own retry of a request whose pooled
    /// connection turned out closed (`stale_connection`, RFC 9112 §9.3.1's retry of an
    /// idempotent request on a new connection).
    enum RetryReason: Int, CaseIterable {
        case error, timeout, invalidHeader, staleConnection

        var name: String {
            switch self {
            case .error: "error"
            case .timeout: "timeout"
            case .invalidHeader: "invalid_header"
            case .staleConnection: "stale_connection"
            }
        }

        init?(_ failure: AttemptFailure) {
            switch failure {
            case .connectRefused, .closedDuringResponse, .closedBeforeResponse(reused: false): self = .error
            case .closedBeforeResponse(reused: true): self = .staleConnection
            case .connectTimeout, .readTimeout, .sendTimeout: self = .timeout
            case .invalidResponse: self = .invalidHeader
            case .retryableStatus: return nil
            }
        }
    }

    var retries = [UInt64](repeating: 0, count: RetryReason.allCases.count)
    /// Retries after a status `proxy-next-upstream` lists, by that status (rare: a small map).
    var statusRetries: [Int: UInt64] = [:]
    /// Endpoints passed over because a recent failure marked them down (nginx's
    /// `max_fails`/`fail_timeout`).
    var endpointsSkipped: UInt64 = 0
    /// Upstream connections opened, and attempts that took one from the idle pool.
    var upstreamOpened: UInt64 = 0
    var upstreamReused: UInt64 = 0
    /// Mirror copies (`RequestMirror`) sent whole, and dropped (unreachable, too slow, cut).
    var mirrorsSent: UInt64 = 0
    var mirrorsDropped: UInt64 = 0
    /// Client TLS handshakes completed, by protocol; failed; abandoned by the client.
    var handshakes = [UInt64](repeating: 0, count: TLSProtocolVersion.allCases.count)
    var handshakeFailures: UInt64 = 0
    var handshakesAbandoned: UInt64 = 0

    mutating func retried(_ failure: AttemptFailure) {
        if case .retryableStatus(let status) = failure {
            self.statusRetries[status, default: 0] += 1
        } else if let reason = RetryReason(failure) {
            self.retries[reason.rawValue] += 1
        }
    }

    mutating func handshake(_ event: TLSHandshakeEvent) {
        switch event {
        case .completed(let version, _, _): self.handshakes[version.rawValue] += 1
        case .failed: self.handshakeFailures += 1
        case .abandoned: self.handshakesAbandoned += 1
        }
    }

    mutating func add(_ other: ProxyCounters) {
        for index in self.retries.indices { self.retries[index] += other.retries[index] }
        for (status, count) in other.statusRetries { self.statusRetries[status, default: 0] += count }
        self.endpointsSkipped += other.endpointsSkipped
        self.upstreamOpened += other.upstreamOpened
        self.upstreamReused += other.upstreamReused
        self.mirrorsSent += other.mirrorsSent
        self.mirrorsDropped += other.mirrorsDropped
        for index in self.handshakes.indices { self.handshakes[index] += other.handshakes[index] }
        self.handshakeFailures += other.handshakeFailures
        self.handshakesAbandoned += other.handshakesAbandoned
    }
}
