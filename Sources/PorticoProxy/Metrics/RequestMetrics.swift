import NIOCore
import PorticoRouting

/// One Prometheus histogram's counts: per bucket (not cumulative, the last slot is +Inf), the
/// sum of the observations and their count.
struct Histogram: Sendable {
    var buckets: [UInt64]
    var sum: Int64 = 0
    var count: UInt64 = 0

    init(bounds: [Int64]) { self.buckets = [UInt64](repeating: 0, count: bounds.count + 1) }

    mutating func observe(_ value: Int64, bounds: [Int64]) {
        var bucket = bounds.count
        for index in bounds.indices where value <= bounds[index] {
            bucket = index
            break
        }
        self.buckets[bucket] += 1
        self.sum += value
        self.count += 1
    }

    mutating func add(_ other: Histogram) {
        for index in self.buckets.indices { self.buckets[index] += other.buckets[index] }
        self.sum += other.sum
        self.count += other.count
    }
}

/// What the log phase knows of one answered request, in the units the metrics count.
/// The upstream durations are nil when no upstream was reached that far (nginx's `-` in
/// `$upstream_connect_time` / `$upstream_header_time`, which monitor.lua leaves unobserved).
struct RequestObservation {
    var status: Int
    var method: RequestHead.Method
    /// The canary's upstream name, when the canary answered.
    var canary: String?
    var requestNanoseconds: Int64
    var connectNanoseconds: Int64?
    var headerNanoseconds: Int64?
    var responseNanoseconds: Int64?
    /// nginx's `$request_length`: request line, fields and body.
    var requestLength: Int
    /// nginx's `$bytes_sent`.
    var bytesSent: Int
}

/// One event loop's request metrics, in ingress-nginx's shape (`collectors/socket.go`): per
/// route labels, status and method, a request count and seven histograms on its default
/// buckets. Touched only by its loop: no lock, no atomic; a route's series is found by its
/// labels object's identity (no label string hashed per request). A scrape copies every
/// loop's series on that loop and adds them up.
struct RequestMetrics {
    /// `prometheus.DefBuckets`, ingress-nginx's `--time-buckets`, in nanoseconds.
    static let timeBounds: [Int64] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000].map { Int64($0) * 1_000_000 }
    static let timeBoundText = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"]
    /// `prometheus.LinearBuckets(10, 10, 10)`, `--length-buckets` (`request_size`, `response_size`).
    static let lengthBounds: [Int64] = (1...10).map { Int64($0) * 10 }
    static let lengthBoundText = (1...10).map { String($0 * 10) }
    /// `prometheus.ExponentialBuckets(10, 10, 7)`, `--size-buckets` (`bytes_sent`).
    static let sizeBounds: [Int64] = [10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000]
    static let sizeBoundText = ["10", "100", "1000", "10000", "100000", "1e+06", "1e+07"]

    /// The counts of one label set (or their sum over loops).
    struct Counts: Sendable {
        var requests: UInt64 = 0
        var requestTime = Histogram(bounds: RequestMetrics.timeBounds)
        var connectTime = Histogram(bounds: RequestMetrics.timeBounds)
        var headerTime = Histogram(bounds: RequestMetrics.timeBounds)
        var responseTime = Histogram(bounds: RequestMetrics.timeBounds)
        var requestSize = Histogram(bounds: RequestMetrics.lengthBounds)
        var responseSize = Histogram(bounds: RequestMetrics.lengthBounds)
        var bytesSent = Histogram(bounds: RequestMetrics.sizeBounds)

        mutating func observe(_ observation: RequestObservation) {
            self.requests += 1
            self.requestTime.observe(observation.requestNanoseconds, bounds: RequestMetrics.timeBounds)
            if let connect = observation.connectNanoseconds { self.connectTime.observe(connect, bounds: RequestMetrics.timeBounds) }
            if let header = observation.headerNanoseconds { self.headerTime.observe(header, bounds: RequestMetrics.timeBounds) }
            if let response = observation.responseNanoseconds { self.responseTime.observe(response, bounds: RequestMetrics.timeBounds) }
            self.requestSize.observe(Int64(observation.requestLength), bounds: RequestMetrics.lengthBounds)
            self.responseSize.observe(Int64(observation.bytesSent), bounds: RequestMetrics.lengthBounds)
            self.bytesSent.observe(Int64(observation.bytesSent), bounds: RequestMetrics.sizeBounds)
        }

        mutating func add(_ other: Counts) {
            self.requests += other.requests
            self.requestTime.add(other.requestTime)
            self.connectTime.add(other.connectTime)
            self.headerTime.add(other.headerTime)
            self.responseTime.add(other.responseTime)
            self.requestSize.add(other.requestSize)
            self.responseSize.add(other.responseSize)
            self.bytesSent.add(other.bytesSent)
        }
    }

    /// The counts of one status, method and canary choice of one route.
    struct Series: Sendable {
        var status: Int
        var method: RequestHead.Method
        var canary: String?
        var counts = Counts()
    }

    /// A route's series, with the labels object that keys it (held, so its identity is never reused).
    struct RouteSeries: Sendable {
        let labels: RouteMetricLabels
        var series: [Series] = []
    }

    private var index: [ObjectIdentifier: Int] = [:]
    private(set) var routes: [RouteSeries] = []

    mutating func record(_ labels: RouteMetricLabels, _ observation: RequestObservation) {
        let position: Int
        if let found = self.index[ObjectIdentifier(labels)] {
            position = found
        } else {
            position = self.routes.count
            self.routes.append(RouteSeries(labels: labels))
            self.index[ObjectIdentifier(labels)] = position
        }
        let slot: Int
        if let found = self.routes[position].series.firstIndex(where: {
            $0.status == observation.status && $0.method == observation.method && $0.canary == observation.canary
        }) {
            slot = found
        } else {
            slot = self.routes[position].series.count
            self.routes[position].series.append(Series(status: observation.status, method: observation.method, canary: observation.canary))
        }
        self.routes[position].series[slot].counts.observe(observation)
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
    var proxy = ProxyCounters()
}
