/// Capped exponential backoff with jitter, as client-go's reflector backs off a failing
/// list/watch (800 ms doubling to 30 s): replicas that lost the API server together do not
/// come back in lockstep.
struct Backoff: Sendable {
    let initial: Double
    let cap: Double
    private var failures = 0

    init(initial: Double = 0.8, cap: Double = 30) {
        self.initial = initial
        self.cap = cap
    }

    /// The next wait: between half and all of `initial · 2^failures`, at most `cap`.
    mutating func next() -> Duration {
        let ceiling = min(self.cap, self.initial * Double(1 << min(self.failures, 20)))
        self.failures += 1
        return .milliseconds(Int(Double.random(in: ceiling / 2...ceiling) * 1000))
    }

    mutating func reset() { self.failures = 0 }
}
