/// `limit-rps`, `limit-rpm`, `limit-connections`, `limit-burst-multiplier` and `limit-allowlist` (its older name
/// `limit-whitelist`) (ingress-nginx `annotations/ratelimit/main.go`): nginx's `limit_req` with
/// `burst=<limit × multiplier> nodelay`, keyed by client address, in one zone per Ingress shared
/// by all its paths, per replica. A request over either limit is answered
/// `limit-req-status-code` (503) in nginx's pre-access phase: after the rewrite phase's answers,
/// before the allow-list and authentication.
public struct RateLimitPolicy: Hashable, Sendable {
    /// The Ingress's zone (a hash of `namespace/name`).
    public let zone: UInt64
    public let perSecond: Int?
    public let perMinute: Int?
    /// `limit-connections`: requests of one client in progress at once (nginx `limit_conn`,
    /// which counts a connection while a request on it is being processed).
    public let connections: Int?
    public let burstMultiplier: Int
    /// Clients here are never limited.
    public let allowlist: [SourceRange]

    /// The limits to check, per second first (computed once, not per request).
    public let rates: [Rate]

    public init(zone: UInt64, perSecond: Int?, perMinute: Int?, connections: Int? = nil, burstMultiplier: Int, allowlist: [SourceRange]) {
        self.zone = zone
        self.perSecond = perSecond
        self.perMinute = perMinute
        self.connections = connections
        self.burstMultiplier = burstMultiplier
        self.allowlist = allowlist
        var rates: [Rate] = []
        for (limit, period, salt) in [(perSecond, UInt64(1_000_000), UInt64(1)), (perMinute, UInt64(60_000_000), UInt64(2))] {
            guard let limit, limit > 0 else { continue }
            let interval = max(period / UInt64(limit), 1)
            rates.append(Rate(key: zone &* 31 &+ salt, interval: interval, tolerance: interval * UInt64(limit * burstMultiplier)))
        }
        self.rates = rates
    }

    /// One of the zone's limits: a rate (requests per `period` seconds) with its burst.
    public struct Rate: Hashable, Sendable {
        /// The zone and which limit (second or minute), for the limiter's key.
        public let key: UInt64
        /// Microseconds between requests at the steady rate (GCRA's emission interval).
        public let interval: UInt64
        /// How far ahead of now the theoretical arrival time may run: burst × interval.
        public let tolerance: UInt64
    }

    public func exempts(_ client: [UInt8]) -> Bool { self.allowlist.contains { $0.contains(client) } }
}
