import NIOCore
import PorticoRouting

/// What `/routes` shows of live traffic, gathered from every event loop at one moment: each
/// route's requests and 5xx answers so far, keyed by its metric labels' identity, and the
/// endpoints the passive health check is skipping right now.
///
/// The identities are stable for the life of the process: an event loop's request metrics
/// hold every labels object they ever counted (`RequestMetrics.routes`), so no identity is
/// freed and reused by another route between two samples.
public struct RouteActivity: Sendable {
    public struct Totals: Sendable, Equatable {
        public var requests: UInt64 = 0
        /// Answers of status 500 and above (the proxy's own 502/503/504 among them).
        public var errors: UInt64 = 0

        public init(requests: UInt64 = 0, errors: UInt64 = 0) {
            self.requests = requests
            self.errors = errors
        }
    }

    public var totals: [ObjectIdentifier: Totals] = [:]
    /// Per backend, the endpoints (by their display address) marked down after failed connects.
    public var failing: [BackendID: Set<String>] = [:]
    /// `--enable-metrics false` counts nothing per route.
    public var requestMetrics = true

    public init() {}

    public func totals(for labels: RouteMetricLabels?) -> Totals? {
        labels.flatMap { self.totals[ObjectIdentifier($0)] }
    }

    /// Adds one event loop's route series.
    mutating func add(_ routes: [RequestMetrics.RouteSeries]) {
        for route in routes {
            var totals = self.totals[ObjectIdentifier(route.labels), default: Totals()]
            for series in route.series {
                totals.requests += series.counts.requests
                if series.status >= 500 { totals.errors += series.counts.requests }
            }
            self.totals[ObjectIdentifier(route.labels)] = totals
        }
    }

    /// Records the endpoints of `backends` that are marked down at `now`.
    mutating func markFailing(_ backends: [ProxyBackend], now: NIODeadline) {
        for (id, backend) in backends.enumerated() {
            let down = backend.endpoints.filter { $0.isDown(now: now) }.map(\.display)
            if !down.isEmpty { self.failing[id] = Set(down) }
        }
    }
}

extension ProxyRuntime {
    /// Every loop's route counts (each copied on its own loop) and the passive health marks of
    /// the serving generation.
    public func routeActivity() async -> RouteActivity {
        var activity = RouteActivity()
        activity.requestMetrics = self.configuration.requestMetrics
        for routes in await self.eachLoop({ $0.metrics.routes }) { activity.add(routes) }
        activity.markFailing(self.generation.backends, now: .now())
        return activity
    }
}
