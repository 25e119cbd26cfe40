import NIOCore

/// `--client-body-min-rate`: a request body must average at least this many bytes a second over
/// each window while Portico is reading it. `client_body_timeout` alone resets on every read, so
/// a body dribbled a byte every few seconds would hold a connection (and an upstream) forever.
/// The window restarts whenever reading resumes after back-pressure, so a slow upstream is never
/// blamed on the client. A pure value: `now` is passed in.
struct BodyRateGuard {
    /// 0 disables the guard.
    let minimumBytesPerSecond: Int
    let window: TimeAmount
    private(set) var windowStart: NIODeadline
    private(set) var bytes = 0

    /// Before any body: nothing to judge (and no clock read per connection).
    static let disabled = BodyRateGuard(minimumBytesPerSecond: 0, window: .seconds(1), now: .uptimeNanoseconds(0))

    init(minimumBytesPerSecond: Int, window: TimeAmount, now: NIODeadline) {
        self.minimumBytesPerSecond = minimumBytesPerSecond
        self.window = window
        self.windowStart = now
    }

    mutating func restart(now: NIODeadline) {
        self.windowStart = now
        self.bytes = 0
    }

    mutating func received(_ count: Int) {
        self.bytes &+= count
    }

    /// When the current window ends; nil when disabled.
    var checkAt: NIODeadline? {
        self.minimumBytesPerSecond > 0 ? self.windowStart + self.window : nil
    }

    /// At or after `checkAt`: whether the window's average fell below the minimum; if not, the
    /// next window starts.
    mutating func isTooSlow(now: NIODeadline) -> Bool {
        guard let checkAt = self.checkAt, now >= checkAt else { return false }
        let elapsed = max((now - self.windowStart).nanoseconds, 1)
        let required = Int64(self.minimumBytesPerSecond) * elapsed / 1_000_000_000
        if Int64(self.bytes) < required { return true }
        self.restart(now: now)
        return false
    }
}
