import NIOCore

/// One event loop's connection wake-ups: a hashed timer wheel (Varghese & Lauck; what HAProxy's
/// and Envoy's timer structures are for). NIO's own `scheduleTask` takes a lock and a promise per
/// task, and its cancel searches the whole task heap linearly, so with 10,000 idle keep-alive
/// connections every close paid for all of them. Here a wake-up is an append to a slot; a
/// connection never cancels (a stale entry is recognised and skipped when its slot comes due),
/// and the loop keeps a single NIO task, at the next slot with entries.
///
/// A pure value: `now` is passed in; what fires is handed back.
struct TimerWheel {
    struct Entry: Equatable {
        /// The connection (its key in the loop's connection table) and its serial number, so
        /// an entry of a closed connection whose identity was reused is not mistaken for the
        /// new one's.
        var connection: ObjectIdentifier
        var serial: UInt64
        var deadline: NIODeadline
    }

    private var slots: [[Entry]]
    /// Wake-ups are at most this late.
    let tick: TimeAmount
    /// Every slot before this tick number has been expired.
    private var cursor: Int64
    private(set) var count = 0

    init(slots: Int = 1024, tick: TimeAmount = .milliseconds(50), now: NIODeadline) {
        self.slots = Array(repeating: [], count: slots)
        self.tick = tick
        self.cursor = Int64(now.uptimeNanoseconds) / tick.nanoseconds
    }

    private func tickNumber(_ deadline: NIODeadline) -> Int64 {
        // Rounded up: an entry never fires before its deadline.
        (Int64(deadline.uptimeNanoseconds) + self.tick.nanoseconds - 1) / self.tick.nanoseconds
    }

    private func slot(_ tick: Int64) -> Int { Int(tick % Int64(self.slots.count)) }

    mutating func add(_ entry: Entry) {
        let tick = max(self.tickNumber(entry.deadline), self.cursor)
        self.slots[self.slot(tick)].append(entry)
        self.count += 1
    }

    /// Takes out every entry due at `now` (in deadline order within a slot, slot after slot).
    /// An entry more than one revolution away stays in its slot until its own turn.
    mutating func expire(now: NIODeadline, into due: inout [Entry]) {
        let last = Int64(now.uptimeNanoseconds) / self.tick.nanoseconds
        guard last >= self.cursor else { return }
        // More than a revolution behind (a stalled loop): every slot once is enough.
        let first = max(self.cursor, last - Int64(self.slots.count) + 1)
        for tick in first...last {
            let index = self.slot(tick)
            guard !self.slots[index].isEmpty else { continue }
            var kept = 0
            for position in self.slots[index].indices {
                let entry = self.slots[index][position]
                if entry.deadline <= now {
                    due.append(entry)
                } else {
                    self.slots[index][kept] = entry
                    kept += 1
                }
            }
            self.count -= self.slots[index].count - kept
            self.slots[index].removeLast(self.slots[index].count - kept)
        }
        self.cursor = last + 1
    }

    /// When an entry for `deadline` would come due.
    func wakeTime(for deadline: NIODeadline) -> NIODeadline {
        .uptimeNanoseconds(UInt64(max(self.tickNumber(deadline), self.cursor) * self.tick.nanoseconds))
    }

    /// When the next slot with entries comes due, or nil when there are none.
    var nextWake: NIODeadline? {
        guard self.count > 0 else { return nil }
        for offset in 0..<Int64(self.slots.count) where !self.slots[self.slot(self.cursor + offset)].isEmpty {
            return .uptimeNanoseconds(UInt64((self.cursor + offset) * self.tick.nanoseconds))
        }
        return nil
    }
}
