import NIOCore

/// One event loop's idle upstream connections: the `IdlePool` value, plus closing what it
/// hands back.
final class UpstreamPool {
    private(set) var idle: IdlePool<UpstreamHandler>

    init(configuration: ProxyConfiguration) {
        self.idle = IdlePool(
            maxIdlePerKey: configuration.maxIdlePerEndpoint, idleTimeout: configuration.upstreamIdleTimeout,
            maxUses: configuration.maxRequestsPerUpstreamConnection)
    }

    /// A new generation's limits: parked connections stay, and meet them at their next turn.
    func configure(_ configuration: ProxyConfiguration) {
        self.idle.maxIdlePerKey = configuration.maxIdlePerEndpoint
        self.idle.idleTimeout = configuration.upstreamIdleTimeout
        self.idle.maxUses = configuration.maxRequestsPerUpstreamConnection
    }

    /// A new generation: forget the endpoints with nothing parked (their keys hold them).
    func generationChanged() {
        self.idle.dropEmptyKeys()
    }

    func checkout(_ endpoint: ProxyEndpoint, now: NIODeadline, maxIdle: TimeAmount? = nil) -> UpstreamHandler? {
        let (connection, stale) = self.idle.checkout(EndpointKey(endpoint: endpoint), now: now, maxIdle: maxIdle)
        for connection in stale { connection.close() }
        return connection
    }

    func release(_ connection: UpstreamHandler, now: NIODeadline) {
        self.idle.release(connection, now: now)?.close()
    }

    func remove(_ connection: UpstreamHandler) {
        self.idle.remove(connection)
    }
}

@available(*, unavailable)
extension UpstreamPool: Sendable {}
