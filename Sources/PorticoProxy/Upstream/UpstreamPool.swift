import NIOCore

/// Idle keep-alive connections to upstream endpoints, for one event loop.
///
/// Keyed by the endpoint's socket address: connections to the same ip:port over plain HTTP are
/// interchangeable (pingora's reuse key). Last in, first out, so the warmest connection is
/// reused and surplus ones age out.
final class UpstreamPool {
    private var idle: [SocketAddress: [UpstreamHandler]] = [:]
    private let configuration: ProxyConfiguration

    init(configuration: ProxyConfiguration) {
        self.configuration = configuration
    }

    /// An idle, open connection to `address`, or nil. With `maxIdle`, only a connection idle
    /// for less than that is taken (the others stay pooled for requests that may be retried).
    func checkout(_ address: SocketAddress, now: NIODeadline, maxIdle: TimeAmount? = nil) -> UpstreamHandler? {
        if let maxIdle, let warmest = self.idle[address]?.last, now - warmest.idleSince >= maxIdle { return nil }
        // Optional chaining mutates the stored array in place (no copy-on-write copy).
        while let connection = self.idle[address]?.popLast() {
            connection.isPooled = false
            if connection.isActive, now - connection.idleSince < self.configuration.upstreamIdleTimeout {
                return connection
            }
            connection.close()
        }
        return nil
    }

    /// Parks a connection whose last exchange ended cleanly.
    func release(_ connection: UpstreamHandler, now: NIODeadline) {
        guard connection.isActive else { return }
        guard (self.idle[connection.address]?.count ?? 0) < self.configuration.maxIdlePerEndpoint else {
            connection.close()
            return
        }
        connection.idleSince = now
        connection.isPooled = true
        self.idle[connection.address, default: []].append(connection)
    }

    /// Forgets a connection that closed while parked.
    func remove(_ connection: UpstreamHandler) {
        guard connection.isPooled else { return }
        connection.isPooled = false
        self.idle[connection.address]?.removeAll { $0 === connection }
    }
}

@available(*, unavailable)
extension UpstreamPool: Sendable {}
