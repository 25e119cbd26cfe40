import Atomics
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import PorticoRouting

/// The state of every `limit-rps`/`limit-rpm` zone of this replica, shared by all event loops
/// without a lock: a fixed table of 64-bit atomic slots, each holding a 16-bit tag of its
/// (zone, limit, client) key and that key's theoretical arrival time in microseconds: nginx's
/// leaky bucket (`limit_req … burst=B nodelay`: B + 1 requests at once, then one per interval)
/// kept as one time instead of an excess and a time, so one compare-and-swap updates it.
///
/// A slot another key holds is taken over (that key starts afresh, as an entry nginx evicts
/// from a full zone), so a collision can only let a client through, never hold one back. Shared
/// across reloads, so a reload does not reset anyone's budget.
final class RequestRateLimiter: @unchecked Sendable {
    // `@unchecked`: the table is only ever touched through atomic operations.
    static let slotCount = 1 << 18  // 2 MiB, committed by the kernel only where touched
    private let slots: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    /// `limit-connections`: a count per (zone, client) slot, in a table of its own.
    static let connectionSlotCount = 1 << 16
    private let connectionSlots: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    /// Microseconds are counted from here (48 bits of them last 8.9 years).
    private let origin: NIODeadline

    init(now: NIODeadline = .now()) {
        self.origin = now
        let raw = calloc(Self.slotCount, MemoryLayout<UnsafeAtomic<UInt64>.Storage>.stride)!
        self.slots = raw.bindMemory(to: UnsafeAtomic<UInt64>.Storage.self, capacity: Self.slotCount)
        let counts = calloc(Self.connectionSlotCount, MemoryLayout<UnsafeAtomic<UInt64>.Storage>.stride)!
        self.connectionSlots = counts.bindMemory(to: UnsafeAtomic<UInt64>.Storage.self, capacity: Self.connectionSlotCount)
    }

    deinit {
        free(self.slots)
        free(self.connectionSlots)
    }

    /// `limit-connections`: takes one of the client's places, or nil when all `limit` are in use
    /// (nginx refuses when the count has reached the limit). The slot is given back with
    /// `releaseConnection` when the request is over. Two keys sharing a slot share its count:
    /// a collision can only make the limit stricter for those two, never looser.
    func acquireConnection(_ policy: RateLimitPolicy, limit: Int, clientHash: UInt64) -> Int? {
        var key = ((policy.zone &* 31 &+ 3) ^ clientHash) &* 0x9E37_79B9_7F4A_7C15
        key ^= key >> 29
        let index = Int(key & UInt64(Self.connectionSlotCount - 1))
        let atomic = UnsafeAtomic<UInt64>(at: self.connectionSlots + index)
        var current = atomic.load(ordering: .relaxed)
        while true {
            guard current < UInt64(limit) else { return nil }
            let (exchanged, original) = atomic.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return index }
            current = original
        }
    }

    func releaseConnection(_ index: Int) {
        _ = UnsafeAtomic<UInt64>(at: self.connectionSlots + index).loadThenWrappingDecrement(ordering: .relaxed)
    }

    /// Whether a request from `client` may pass every rate of `policy`; if so it is counted.
    func admit(_ policy: RateLimitPolicy, clientHash: UInt64, now: NIODeadline) -> Bool {
        let micros = UInt64(max((now - self.origin).nanoseconds / 1000, 0))
        for rate in policy.rates where !self.wouldAdmit(rate, clientHash: clientHash, now: micros) { return false }
        for rate in policy.rates { self.count(rate, clientHash: clientHash, now: micros) }
        return true
    }

    private static let timeMask: UInt64 = (1 << 48) - 1

    private func slot(_ rate: RateLimitPolicy.Rate, _ clientHash: UInt64) -> (atomic: UnsafeAtomic<UInt64>, tag: UInt64) {
        var key = (rate.key ^ clientHash) &* 0x9E37_79B9_7F4A_7C15
        key ^= key >> 29
        let index = Int(key & UInt64(Self.slotCount - 1))
        let tag = (key >> 48) | 1  // never 0: an empty slot has tag 0
        return (UnsafeAtomic(at: self.slots + index), tag << 48)
    }

    /// The arrival time after this request; nil when it runs more than the burst ahead. nginx's
    /// `excess = max(0, excess - rate × elapsed + 1)`, refused when over the burst
    /// (ngx_http_limit_req_lookup), is in time units `max(now, arrival + interval)`; a new key
    /// starts at `now` (excess 0).
    private static func next(after value: UInt64, tag: UInt64, rate: RateLimitPolicy.Rate, now: UInt64) -> UInt64? {
        guard value & ~Self.timeMask == tag else { return now }
        let arrival = max(now, (value & Self.timeMask) + rate.interval)
        return arrival - now > rate.tolerance ? nil : arrival
    }

    private func wouldAdmit(_ rate: RateLimitPolicy.Rate, clientHash: UInt64, now: UInt64) -> Bool {
        let (atomic, tag) = self.slot(rate, clientHash)
        return Self.next(after: atomic.load(ordering: .relaxed), tag: tag, rate: rate, now: now) != nil
    }

    private func count(_ rate: RateLimitPolicy.Rate, clientHash: UInt64, now: UInt64) {
        let (atomic, tag) = self.slot(rate, clientHash)
        var current = atomic.load(ordering: .relaxed)
        while true {
            // Another loop may have counted in between: this request was admitted, so it is
            // counted even if it now runs past the burst.
            let arrival = Self.next(after: current, tag: tag, rate: rate, now: now)
                ?? max(now, (current & Self.timeMask) + rate.interval)
            let (exchanged, original) = atomic.compareExchange(
                expected: current, desired: tag | (arrival & Self.timeMask), ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}
