import NIOCore
import Testing

@testable import PorticoProxy

/// The per-loop timer wheel as a value: entries fire at (never before) their deadline, in one
/// or more revolutions, and the loop's single task is asked for the next slot due.
@Suite struct TimerWheelTests {
    let start = NIODeadline.uptimeNanoseconds(5_000_000_000_000)

    func entry(_ serial: UInt64, at deadline: NIODeadline) -> TimerWheel.Entry {
        TimerWheel.Entry(connection: ObjectIdentifier(TimerWheelTests.Token.shared), serial: serial, deadline: deadline)
    }

    final class Token: Sendable { static let shared = Token() }

    @Test func entriesFireAtTheirDeadlineNotBefore() {
        var wheel = TimerWheel(slots: 16, tick: .milliseconds(100), now: self.start)
        wheel.add(self.entry(1, at: self.start + .milliseconds(250)))
        wheel.add(self.entry(2, at: self.start + .milliseconds(120)))
        #expect(wheel.nextWake == self.start + .milliseconds(200))
        var due: [TimerWheel.Entry] = []
        wheel.expire(now: self.start + .milliseconds(110), into: &due)
        #expect(due.isEmpty)
        wheel.expire(now: self.start + .milliseconds(200), into: &due)
        #expect(due.map(\.serial) == [2])
        #expect(wheel.nextWake == self.start + .milliseconds(300))
        wheel.expire(now: self.start + .milliseconds(300), into: &due)
        #expect(due.map(\.serial) == [2, 1])
        #expect(wheel.count == 0)
        #expect(wheel.nextWake == nil)
    }

    /// A deadline more than one revolution away waits in its slot through the earlier turns.
    @Test func aDeadlineBeyondOneRevolutionWaitsForItsTurn() {
        var wheel = TimerWheel(slots: 8, tick: .milliseconds(100), now: self.start)
        wheel.add(self.entry(7, at: self.start + .milliseconds(1_050)))  // 10.5 ticks: slot 3, second turn
        var due: [TimerWheel.Entry] = []
        wheel.expire(now: self.start + .milliseconds(400), into: &due)
        #expect(due.isEmpty)
        #expect(wheel.count == 1)
        wheel.expire(now: self.start + .milliseconds(1_000), into: &due)
        #expect(due.isEmpty)
        wheel.expire(now: self.start + .milliseconds(1_100), into: &due)
        #expect(due.map(\.serial) == [7])
    }

    @Test func aPastDeadlineFiresAtTheNextExpiry() {
        var wheel = TimerWheel(slots: 8, tick: .milliseconds(100), now: self.start)
        var due: [TimerWheel.Entry] = []
        wheel.expire(now: self.start + .milliseconds(500), into: &due)
        wheel.add(self.entry(3, at: self.start + .milliseconds(100)))
        wheel.expire(now: self.start + .milliseconds(600), into: &due)
        #expect(due.map(\.serial) == [3])
    }

    /// A loop that stalled for longer than a revolution still fires everything due, once.
    @Test func aStalledLoopFiresEverythingDueOnce() {
        var wheel = TimerWheel(slots: 4, tick: .milliseconds(100), now: self.start)
        for serial in 1...6 { wheel.add(self.entry(UInt64(serial), at: self.start + .milliseconds(Int64(serial) * 100))) }
        var due: [TimerWheel.Entry] = []
        wheel.expire(now: self.start + .seconds(10), into: &due)
        #expect(Set(due.map(\.serial)) == Set(1...6))
        #expect(due.count == 6)
        #expect(wheel.count == 0)
    }
}
