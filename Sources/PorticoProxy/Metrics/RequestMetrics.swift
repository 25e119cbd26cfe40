import NIOCore
import PorticoRouting

/// One event loop's request metrics, in ingress-nginx's shape (`collectors/socket.go`): per
/// route labels, status and method, a request count, a duration histogram on Prometheus's
/// default buckets and the response sizes. Touched only by its loop: no lock, no atomic; a
/// route's series is found by its labels object's identity (no label string hashed per
/// request). A scrape copies every loop's series on that loop and adds them up.
struct RequestMetrics {
    /// `prometheus.DefBuckets`, ingress-nginx's `TimeBuckets`, in nanoseconds.
    static let durationBuckets: [Int64] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000].map { Int64($0) * 1_000_000 }
    static let durationBucketText = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"]
    /// `prometheus.ExponentialBuckets(10, 10, 7)`, ingress-nginx's `SizeBuckets` (`bytes_sent`).
    static let sizeBuckets: [Int] = [10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000]
    static let sizeBucketText = ["10", "100", "1000", "10000", "100000", "1e+06", "1e+07"]

    /// The counts of one status and method of one route.
    struct Series {
        var status: Int
        var method: RequestHead.Method
        var count: UInt64 = 0
        /// Per bucket (not cumulative); the last slot is +Inf.
        var durations = [UInt64](repeating: 0, count: RequestMetrics.durationBuckets.count + 1)
        var durationNanoseconds: Int64 = 0
        var sizes = [UInt64](repeating: 0, count: RequestMetrics.sizeBuckets.count + 1)
        var bytesSent: UInt64 = 0
    }

    /// A route's series, with the labels object that keys it (held, so its identity is never reused).
    struct RouteSeries {
        let labels: RouteMetricLabels
        var series: [Series] = []
    }

    private var index: [ObjectIdentifier: Int] = [:]
    private(set) var routes: [RouteSeries] = []

    mutating func record(_ labels: RouteMetricLabels, status: Int, method: RequestHead.Method, duration: TimeAmount, bytesSent: Int) {
        let position: Int
        if let found = self.index[ObjectIdentifier(labels)] {
            position = found
        } else {
            position = self.routes.count
            self.routes.append(RouteSeries(labels: labels))
            self.index[ObjectIdentifier(labels)] = position
        }
        let slot: Int
        if let found = self.routes[position].series.firstIndex(where: { $0.status == status && $0.method == method }) {
            slot = found
        } else {
            slot = self.routes[position].series.count
            self.routes[position].series.append(Series(status: status, method: method))
        }
        let nanoseconds = duration.nanoseconds
        let bucket = Self.durationBuckets.firstIndex { nanoseconds <= $0 } ?? Self.durationBuckets.count
        let sizeBucket = Self.sizeBuckets.firstIndex { bytesSent <= $0 } ?? Self.sizeBuckets.count
        self.routes[position].series[slot].count += 1
        self.routes[position].series[slot].durations[bucket] += 1
        self.routes[position].series[slot].durationNanoseconds += nanoseconds
        self.routes[position].series[slot].sizes[sizeBucket] += 1
        self.routes[position].series[slot].bytesSent += UInt64(max(bytesSent, 0))
    }
}

/// A client connection as nginx's stub_status counts it
/// (`nginx_ingress_controller_nginx_process_connections{state}`).
enum ConnectionStatusState {
    case reading, writing, waiting
}

/// What a scrape copies from one event loop.
struct LoopMetrics: Sendable {
    var routes: [RequestMetrics.RouteSeries]
    var accepted: UInt64
    var requests: UInt64
    var reading = 0
    var writing = 0
    var waiting = 0
}
