#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import Synchronization

/// An endpoint's recent latency and load, shared by all event loops, for `load-balance: ewma`
/// (ingress-nginx's `balancer/ewma.lua`: peak-EWMA latency with a 10 s decay, weighted by
/// requests in flight, choosing the better of two random endpoints).
final class EndpointLoad: Sendable {
    /// Latency estimate in nanoseconds (stored as the Double's bits).
    private let latencyBits = Atomic<UInt64>(0)
    private let updatedAt = Atomic<Int64>(0)
    private let inFlight = Atomic<Int>(0)

    static let decay: Double = 10e9  // 10 s in nanoseconds

    func started() { self.inFlight.wrappingAdd(1, ordering: .relaxed) }

    /// Records one response time. Peak-EWMA: a slower sample replaces the estimate at once,
    /// faster ones pull it down with a time-based decay.
    func finished(latency: TimeAmount, now: NIODeadline) {
        self.inFlight.wrappingSubtract(1, ordering: .relaxed)
        let sample = Double(latency.nanoseconds)
        let previous = Double(bitPattern: self.latencyBits.load(ordering: .relaxed))
        let elapsed = Double(Int64(now.uptimeNanoseconds) - self.updatedAt.load(ordering: .relaxed))
        let weight = exp(-max(elapsed, 0) / Self.decay)
        let estimate = sample > previous ? sample : previous * weight + sample * (1 - weight)
        self.latencyBits.store(estimate.bitPattern, ordering: .relaxed)
        self.updatedAt.store(Int64(now.uptimeNanoseconds), ordering: .relaxed)
    }

    /// Lower is better: expected latency times the queue it would join.
    var score: Double {
        let latency = Double(bitPattern: self.latencyBits.load(ordering: .relaxed))
        return (latency + 1) * Double(self.inFlight.load(ordering: .relaxed) + 1)
    }
}
