import NIOCore
import Testing

@testable import PorticoProxy

@Suite struct BodyRateGuardTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func at(_ seconds: Int64) -> NIODeadline { self.start + .seconds(seconds) }

    @Test func aDribbledBodyIsTooSlowAtTheEndOfItsWindow() {
        var rate = BodyRateGuard(minimumBytesPerSecond: 100, window: .seconds(10), now: self.start)
        for second in 1...9 {
            rate.received(1)  // a byte a second, each read resetting client_body_timeout
            let early = rate.isTooSlow(now: self.at(Int64(second)))
            #expect(!early)  // not judged before the window ends
        }
        #expect(rate.checkAt == self.at(10))
        let judged = rate.isTooSlow(now: self.at(10))
        #expect(judged)
    }

    @Test func aSteadyUploadStartsTheNextWindow() {
        var rate = BodyRateGuard(minimumBytesPerSecond: 100, window: .seconds(10), now: self.start)
        rate.received(1000)
        let first = rate.isTooSlow(now: self.at(10))
        #expect(!first)
        #expect(rate.bytes == 0)
        #expect(rate.checkAt == self.at(20))
        rate.received(999)  // just under 100 B/s over the second window
        let second = rate.isTooSlow(now: self.at(20))
        #expect(second)
    }

    @Test func zeroDisablesAndRestartForgetsPausedTime() {
        var off = BodyRateGuard(minimumBytesPerSecond: 0, window: .seconds(10), now: self.start)
        #expect(off.checkAt == nil)
        let never = off.isTooSlow(now: self.at(100))
        #expect(!never)
        var paused = BodyRateGuard(minimumBytesPerSecond: 100, window: .seconds(10), now: self.start)
        paused.restart(now: self.at(30))  // reading resumed after back-pressure
        #expect(paused.checkAt == self.at(40))
    }
}
