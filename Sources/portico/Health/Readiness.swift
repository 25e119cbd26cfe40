import PorticoKubernetes
import Synchronization

/// What `/readyz` reports: ready once the first full configuration is serving.
///
/// Losing the Kubernetes API later does not make a replica unready: the data plane keeps
/// serving the last good state, and failing readiness on every replica at once during a
/// control-plane outage would take all ingress traffic down exactly when it still works. The
/// outage is reported in the `/readyz` body and in the logs instead.
final class Readiness: Sendable {
    private let ready = Atomic<Bool>(false)
    let store: ObjectStore?

    init(store: ObjectStore?) {
        self.store = store
    }

    func markReady() { self.ready.store(true, ordering: .relaxed) }

    var isReady: Bool { self.ready.load(ordering: .relaxed) }

    /// The `/readyz` body.
    var report: String {
        var lines = [self.isReady ? "ok: configuration applied" : "not ready: waiting for the first full configuration"]
        if let store = self.store {
            let health = store.health
            if health.failing.isEmpty {
                lines.append(store.isSynced ? "kubernetes: watching" : "kubernetes: listing")
            } else {
                let since = health.since.map { " for \(ContinuousClock.now - $0)" } ?? ""
                lines.append("kubernetes: API unreachable\(since); serving the last good state")
                for (kind, error) in health.failing.sorted(by: { $0.key < $1.key }) { lines.append("  \(kind): \(error)") }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
