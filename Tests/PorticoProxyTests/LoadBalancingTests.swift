import NIOCore
import PorticoRouting
import Testing

@testable import PorticoProxy

@Suite struct LoadBalancingTests {
    func backend(_ count: Int) -> ProxyBackend {
        let endpoints = (1...count).map { Endpoint(address: "10.0.0.\($0)", port: 80) }
        return ProxyBackend(backend: Backend(ref: BackendRef(namespace: "default", service: "s", port: .number(80)), endpoints: endpoints), previous: nil)
    }

    @Test func roundRobinRotates() {
        let backend = self.backend(3)
        var skipped: UInt64 = 0
        let picks = (0..<6).map { _ in backend.endpoint(start: backend.nextStart(), attempt: 0, now: .now(), skipped: &skipped).display }
        #expect(picks == ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"])
    }

    /// A new generation (any reload) continues the rotation where the last one stood, so
    /// frequent endpoint churn does not skew load to the first endpoints.
    @Test func roundRobinPositionSurvivesAReload() {
        let before = self.backend(3)
        for _ in 0..<4 { _ = before.nextStart() }
        let endpoints = (1...3).map { Endpoint(address: "10.0.0.\($0)", port: 80) }
        let after = ProxyBackend(
            backend: Backend(ref: BackendRef(namespace: "default", service: "s", port: .number(80)), endpoints: endpoints),
            previous: before)
        var skipped: UInt64 = 0
        #expect(after.endpoint(start: after.nextStart(), attempt: 0, now: .now(), skipped: &skipped).display == "10.0.0.2:80")
    }

    /// Each event loop rotates on its own position (no cache line shared between cores), and
    /// the loops start at different endpoints so that together they still spread evenly.
    @Test func eachLoopRotatesOnItsOwnPosition() {
        let endpoints = (1...3).map { Endpoint(address: "10.0.0.\($0)", port: 80) }
        let backend = Backend(ref: BackendRef(namespace: "default", service: "s", port: .number(80)), endpoints: endpoints)
        let two = ProxyBackend(backend: backend, previous: nil, loops: 2)
        func pick(_ proxy: ProxyBackend, _ loop: Int) -> String {
            var skipped: UInt64 = 0
            return proxy.endpoint(start: proxy.nextStart(loop: loop), attempt: 0, now: .now(), skipped: &skipped).display
        }
        #expect([pick(two, 0), pick(two, 0), pick(two, 0)] == ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"])
        #expect([pick(two, 1), pick(two, 1)] == ["10.0.0.2:80", "10.0.0.3:80"])
        // A new generation carries each loop's position.
        let next = ProxyBackend(backend: backend, previous: two, loops: 2)
        #expect(pick(next, 0) == "10.0.0.1:80")
        #expect(pick(next, 1) == "10.0.0.1:80")
    }

    /// An endpoint change among many backends builds only the changed one: the others are
    /// shared with the previous generation whole (health marks, EWMA and rotation included);
    /// a backend that moved to another index is still found by name.
    @Test func aNewGenerationSharesUnchangedBackends() {
        func backend(_ service: String, _ ips: [String]) -> Backend {
            Backend(ref: BackendRef(namespace: "default", service: service, port: .number(80)),
                    endpoints: ips.map { Endpoint(address: $0, port: 80) })
        }
        let previous = Generation.carry([backend("a", ["10.0.0.1"]), backend("b", ["10.0.1.1"]), backend("c", ["10.0.2.1"])], from: [])
        for _ in 0..<5 { _ = previous[1].nextStart() }
        let next = Generation.carry(
            [backend("a", ["10.0.0.1"]), backend("b", ["10.0.1.1", "10.0.1.2"]), backend("c", ["10.0.2.1"])], from: previous)
        #expect(next[0] === previous[0])
        #expect(next[2] === previous[2])
        #expect(next[1] !== previous[1])
        #expect(next[1].endpoints[0] === previous[1].endpoints[0])  // the kept endpoint's health mark
        #expect(next[1].nextStart() == 5)  // the rotation continues
        let reordered = Generation.carry([backend("c", ["10.0.2.1"]), backend("a", ["10.0.0.1"])], from: next)
        #expect(reordered[0] === next[2])
        #expect(reordered[1] === next[0])
    }

    /// A large Service's endpoints are matched through a table: every kept endpoint keeps its
    /// object (and health mark), a new one gets a new object, a gone one is dropped.
    @Test func aLargeServicesKeptEndpointsKeepTheirObjects() {
        func backend(_ range: ClosedRange<Int>) -> Backend {
            Backend(ref: BackendRef(namespace: "default", service: "big", port: .number(80)),
                    endpoints: range.map { Endpoint(address: "10.1.\($0 / 250).\($0 % 250 + 1)", port: 80) })
        }
        let before = ProxyBackend(backend: backend(0...499), previous: nil)
        let after = ProxyBackend(backend: backend(1...500), previous: before)
        let previous = Dictionary(uniqueKeysWithValues: before.endpoints.map { ($0.display, $0) })
        #expect(after.endpoints.count == 500)
        #expect(after.endpoints.dropLast().allSatisfy { previous[$0.display] === $0 })
        #expect(previous[after.endpoints.last!.display] == nil)
    }

    @Test func ewmaAvoidsTheSlowEndpoint() {
        let backend = self.backend(2)
        let now = NIODeadline.now()
        let slow = backend.endpoints[0]
        let fast = backend.endpoints[1]
        slow.load.started()
        slow.load.finished(latency: .milliseconds(500), now: now)
        fast.load.started()
        fast.load.finished(latency: .milliseconds(5), now: now)
        var random = RequestIDGenerator()
        let picks = (0..<200).map { _ in backend.endpointByLoad(random: random.next(), now: now)?.display }
        #expect(picks.allSatisfy { $0 == fast.display })  // two endpoints: both are always compared
    }

    @Test func ewmaWeighsRequestsInFlight() {
        let backend = self.backend(2)
        let now = NIODeadline.now()
        for endpoint in backend.endpoints {
            endpoint.load.started()
            endpoint.load.finished(latency: .milliseconds(10), now: now)
        }
        for _ in 0..<5 { backend.endpoints[0].load.started() }  // busy
        var random = RequestIDGenerator()
        #expect(backend.endpointByLoad(random: random.next(), now: now) === backend.endpoints[1])
    }

    @Test func rendezvousHashingMovesOnlyTheDepartedEndpointsKeys() {
        let full = self.backend(4)
        let keys = (0..<200).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 }
        let before = keys.map { full.endpoint(forKey: $0, now: .now())!.display }
        let gone = full.endpoints[2].display
        full.endpoints[2].markDown(now: .now(), for: .seconds(60))
        for (key, old) in zip(keys, before) {
            let now = full.endpoint(forKey: key, now: .now())!.display
            if old == gone { #expect(now != gone) } else { #expect(now == old) }
        }
    }
}
