import Foundation
import PorticoConfig
import PorticoKubernetes

/// The Kubernetes API as a configuration source: the watches fill the `ObjectStore`, whose
/// `changes` wake the reload loop; a change is applied once the store has been quiet for 50 ms
/// (at most 500 ms after it began), so a `kubectl apply` of many objects or an endpoint storm
/// becomes one reload.
final class KubernetesSource: ConfigSource, @unchecked Sendable {
    // @unchecked: only the reload loop's task calls in, one call at a time.
    let store: ObjectStore
    private let loader: ConfigLoader
    private var appliedVersion = -1
    private var listener: Task<Void, Never>?

    init(store: ObjectStore, loader: ConfigLoader) {
        self.store = store
        self.loader = loader
    }

    func start(wake: @escaping @Sendable () -> Void) {
        let changes = self.store.changes
        self.listener = Task {
            for await _ in changes { wake() }
        }
        wake()  // changes that came before the loop started
    }

    func stop() {
        self.listener?.cancel()
    }

    func pendingChange() async -> ConfigChange? {
        guard self.store.isSynced, self.store.version != self.appliedVersion else { return nil }
        let started = ContinuousClock.now
        var seen = self.store.version
        while !Task.isCancelled && ContinuousClock.now - started < .milliseconds(500) {
            try? await Task.sleep(for: .milliseconds(50))
            let now = self.store.version
            if now == seen { break }
            seen = now
        }
        return ConfigChange(reason: "Kubernetes objects changed")
    }

    func load() -> ConfigLoader.Result {
        let (state, diagnostics, version, changedServices) = self.store.takeState()
        self.appliedVersion = version
        return self.loader.load(state: state, diagnostics: diagnostics, changedServices: changedServices)
    }
}
