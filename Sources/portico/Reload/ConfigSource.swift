import Foundation
import PorticoConfig

/// Where the reload loop gets configuration from: a directory of manifests or the Kubernetes
/// API. Both end in the same `ConfigLoader.Result`, so everything after (compile, install,
/// logging) is shared.
protocol ConfigSource: AnyObject, Sendable {
    /// Asked every tick of the reload loop: a change to apply now, or nil. May wait a little
    /// for a burst of changes to settle.
    func pendingChange() async -> ConfigChange?
    /// Loads and compiles the current configuration.
    func load() -> ConfigLoader.Result
}

/// Why the loop reloads, and when the newest change was written (for the latency log).
struct ConfigChange: Sendable {
    var reason: String
    var newestWrite: Date?
}
