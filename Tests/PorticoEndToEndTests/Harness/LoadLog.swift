import Foundation
import Synchronization
import Testing

/// Keep-alive clients on their own threads (blocking sockets stay off the test's executor),
/// each looping GET requests and recording (time, status, answering endpoint) until stopped.
final class LoadLog: Sendable {
    private let state = Mutex<[(Date, Int, String)]>([])
    private let flag = Atomic<Bool>(true)
    private let finished = Atomic<Int>(0)
    private let clients: Int

    private init(clients: Int) {
        self.clients = clients
    }

    static func start(port: Int, host: String, clients: Int) -> LoadLog {
        let log = LoadLog(clients: clients)
        for _ in 0..<clients {
            Thread {
                let client = KeepAliveClient(port: port)
                while log.flag.load(ordering: .relaxed) {
                    let response = client.get(host: host, path: "/")
                    let endpoint = response?.body.split(separator: "\n").first { $0.hasPrefix("endpoint: ") }
                        .map { String($0.dropFirst(10)).components(separatedBy: ":")[0] } ?? "-"
                    log.state.withLock { $0.append((Date(), response?.status ?? 0, endpoint)) }
                }
                log.finished.wrappingAdd(1, ordering: .relaxed)
            }.start()
        }
        return log
    }

    var entries: [(Date, Int, String)] { self.state.withLock { $0 } }

    func stopAndWait() {
        self.flag.store(false, ordering: .relaxed)
        while self.finished.load(ordering: .relaxed) < self.clients { usleep(10_000) }
    }

    /// One step of a live change under load: the change, how long it may take to apply, and
    /// the endpoints allowed to answer once it has.
    struct Phase {
        var change: () throws -> Void
        var settle: Duration = .milliseconds(800)
        var allowed: Set<String>
    }

    /// Runs the phases, stops the clients, and checks the outcome: every window saw requests,
    /// none failed, none was answered by an endpoint its phase had removed.
    func check(_ phases: [Phase], window: Duration = .milliseconds(600), label: String) async throws {
        let (violations, emptyWindows) = try await self.run(phases, window: window)
        self.stopAndWait()
        let all = self.entries
        let failed = all.filter { $0.1 != 200 }
        print("\(label): \(all.count) requests, \(failed.count) failed, \(violations.count) from a removed endpoint")
        #expect(emptyWindows == 0)
        #expect(all.count > 200)
        #expect(failed.isEmpty, "failed: \(failed.prefix(5))")
        #expect(violations.isEmpty, "\(violations.prefix(5))")
    }

    /// Applies each phase while the clients run; after each one settles, watches a window in
    /// which only its allowed endpoints may answer. Returns the violations (and `empty` counts
    /// windows in which no request completed).
    func run(_ phases: [Phase], window: Duration = .milliseconds(600)) async throws -> (violations: [String], empty: Int) {
        var violations: [String] = []
        var empty = 0
        for (index, phase) in phases.enumerated() {
            try phase.change()
            try await Task.sleep(for: phase.settle)
            let windowStart = Date()
            try await Task.sleep(for: window)
            let seen = self.entries.filter { $0.0 >= windowStart }
            if seen.isEmpty { empty += 1 }
            for (_, status, endpoint) in seen where status == 200 && !phase.allowed.contains(endpoint) {
                violations.append("phase \(index): answered by \(endpoint)")
            }
        }
        return (violations, empty)
    }
}
