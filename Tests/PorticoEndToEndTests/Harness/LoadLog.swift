import Foundation
import Synchronization

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
}
