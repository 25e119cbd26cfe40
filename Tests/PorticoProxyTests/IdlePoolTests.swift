import NIOCore
import Testing

@testable import PorticoProxy

/// The idle pool as a value: checkout, return, eviction, limits, with `now` passed in.
@Suite struct IdlePoolTests {
    final class Connection: PoolableConnection {
        let poolKey: String
        var isActive = true
        var idleSince = NIODeadline.uptimeNanoseconds(0)
        var isPooled = false
        var uses = 0

        init(_ key: String) { self.poolKey = key }
    }

    let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    func pool(maxIdle: Int = 2) -> IdlePool<Connection> {
        IdlePool(maxIdlePerKey: maxIdle, idleTimeout: .seconds(60))
    }

    /// `upstream-keepalive-requests`: a connection that carried its share is closed, not parked.
    @Test func aConnectionIsRetiredAfterItsMaximumOfExchanges() {
        var pool = IdlePool<Connection>(maxIdlePerKey: 8, idleTimeout: .seconds(60), maxUses: 3)
        let connection = Connection("a")
        for round in 1...2 {
            #expect(pool.release(connection, now: self.start) == nil, "exchange \(round) parks it")
            #expect(pool.checkout("a", now: self.start).0 === connection)
        }
        #expect(pool.release(connection, now: self.start) === connection, "the third exchange retires it")
        #expect(pool.count(for: "a") == 0)
    }

    @Test func theWarmestConnectionOfTheKeyIsReusedFirst() {
        var pool = self.pool()
        let older = Connection("a")
        let warmer = Connection("a")
        let other = Connection("b")
        #expect(pool.release(older, now: self.start) == nil)
        #expect(pool.release(warmer, now: self.start + .seconds(1)) == nil)
        #expect(pool.release(other, now: self.start) == nil)
        #expect(pool.checkout("a", now: self.start + .seconds(2)).0 === warmer)
        #expect(!warmer.isPooled)
        #expect(pool.checkout("a", now: self.start + .seconds(2)).0 === older)
        #expect(pool.checkout("a", now: self.start + .seconds(2)).0 == nil)
        #expect(pool.count(for: "b") == 1)
    }

    @Test func closedAndExpiredConnectionsAreHandedBackToClose() {
        var pool = self.pool()
        let expired = Connection("a")
        let closed = Connection("a")
        _ = pool.release(expired, now: self.start)
        _ = pool.release(closed, now: self.start + .seconds(30))
        closed.isActive = false  // the upstream closed it while parked, unnoticed
        let (found, stale) = pool.checkout("a", now: self.start + .seconds(61))
        #expect(found == nil)
        #expect(stale.map(ObjectIdentifier.init) == [ObjectIdentifier(closed), ObjectIdentifier(expired)])
        #expect(pool.count(for: "a") == 0)
    }

    @Test func aFullKeyOrAClosedConnectionIsNotParked() {
        var pool = self.pool(maxIdle: 1)
        let first = Connection("a")
        let second = Connection("a")
        #expect(pool.release(first, now: self.start) == nil)
        #expect(pool.release(second, now: self.start) === second)
        let closed = Connection("b")
        closed.isActive = false
        #expect(pool.release(closed, now: self.start) === closed)
        #expect(!second.isPooled && !closed.isPooled)
    }

    /// Requests that may not be re-sent take only connections too fresh to be in the race with
    /// an upstream closing its idle end.
    @Test func maxIdleLeavesOlderConnectionsForRetryableRequests() {
        var pool = self.pool()
        let connection = Connection("a")
        _ = pool.release(connection, now: self.start)
        #expect(pool.checkout("a", now: self.start + .seconds(3), maxIdle: .seconds(2)).0 == nil)
        #expect(pool.count(for: "a") == 1)
        #expect(pool.checkout("a", now: self.start + .seconds(3)).0 === connection)
    }

    /// A key emptied by checkouts stays until the next generation (so the next release does
    /// not allocate), and then goes unless something is parked under it.
    @Test func emptyKeysAreDroppedAtAGenerationChange() {
        var pool = self.pool()
        let a = Connection("a")
        let b = Connection("b")
        _ = pool.release(a, now: self.start)
        _ = pool.release(b, now: self.start)
        #expect(pool.checkout("a", now: self.start).0 === a)
        #expect(pool.checkout("gone", now: self.start).0 == nil)
        #expect(pool.keyCount == 2)
        pool.dropEmptyKeys()
        #expect(pool.keyCount == 1)
        #expect(pool.count(for: "b") == 1)
        #expect(pool.checkout("b", now: self.start).0 === b)
    }

    @Test func aConnectionThatClosedWhileParkedIsForgotten() {
        var pool = self.pool()
        let connection = Connection("a")
        _ = pool.release(connection, now: self.start)
        pool.remove(connection)
        #expect(pool.count(for: "a") == 0)
        #expect(!connection.isPooled)
        pool.remove(connection)  // twice is harmless
    }
}
