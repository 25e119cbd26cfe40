import PorticoProxy

/// Samples of the route counts over a sliding window, so `/routes` can show recent rates
/// rather than totals since the start. The control plane records one sample every
/// `interval` seconds (a timer, not a poll of anything that could push); a page compares the
/// counts of the moment with the oldest sample still inside the window.
public struct ActivityHistory: Sendable {
    public struct Sample: Sendable {
        /// Seconds on a monotonic clock.
        public var at: Double
        public var totals: [ObjectIdentifier: RouteActivity.Totals]
    }

    /// How far back the rates reach, in seconds.
    public let window: Double
    public private(set) var samples: [Sample] = []

    public init(window: Double = 60) { self.window = window }

    public mutating func record(_ activity: RouteActivity, at seconds: Double) {
        self.samples.append(Sample(at: seconds, totals: activity.totals))
        self.samples.removeAll { $0.at < seconds - self.window }
    }

    /// The oldest sample inside the window at `now`, if one is at least a second old.
    public func baseline(at now: Double) -> Sample? {
        self.samples.first { $0.at >= now - self.window && $0.at <= now - 1 }
    }
}
