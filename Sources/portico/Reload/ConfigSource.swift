import Foundation
import PorticoConfig

/// Where the reload loop gets configuration from: a directory of manifests or the Kubernetes
/// API. Both end in the same `ConfigLoader.Result`, so everything after (compile, install,
/// logging) is shared.
///
/// Event-driven: the source calls `wake` when a change may be pending (an inotify event, its
/// poll timer, a watch event); the loop then asks `pendingChange()`. Nothing is asked on a
/// fixed tick. The loop calls `pendingChange` and `load` one at a time, never concurrently.
protocol ConfigSource: AnyObject, Sendable {
    /// Starts the source's event producers; called once, before the first wake is awaited.
    func start(wake: @escaping @Sendable () -> Void)
    /// After a wake: a change to apply now, or nil. May wait a little for a burst of changes
    /// to settle.
    func pendingChange() async -> ConfigChange?
    /// Loads and compiles the current configuration (blocking: the loop runs it off the
    /// cooperative pool).
    func load() -> ConfigLoader.Result
    /// Stops the producers started by `start`.
    func stop()
}

/// Why the loop reloads, and when the newest change was written (for the latency log).
struct ConfigChange: Sendable {
    var reason: String
    var newestWrite: Date?
}
