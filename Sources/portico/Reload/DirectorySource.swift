import Foundation
import Logging
import PorticoConfig
import Synchronization

/// `ingress-rules/` and `certs/` as a configuration source: inotify (recursive) when the kernel
/// offers it, a fingerprint poll every `interval` as the safety net (and all there is without
/// inotify); a burst of writes is coalesced by waiting until the tree stops changing.
final class DirectorySource: ConfigSource, @unchecked Sendable {
    // @unchecked: `pendingChange` and `load` are only called from the reload loop's task, one
    // at a time; the loader itself is not thread-safe.
    private let loader: ConfigLoader
    private let directories: [String]
    private let interval: Duration
    private let inotify: InotifyWatcher?
    private var fingerprint: DirectoryFingerprint
    private var lastPoll = ContinuousClock.now
    private let watches: Bool

    /// `interval` nil: reload on SIGHUP only.
    init(loader: ConfigLoader, directories: [String], interval: Duration?) {
        self.loader = loader
        self.directories = directories
        self.interval = interval ?? .seconds(1)
        self.watches = interval != nil
        self.inotify = interval != nil ? InotifyWatcher(directories: directories) : nil
        self.fingerprint = DirectoryFingerprint(directories: directories)
    }

    /// For the start-up log line.
    var watchMetadata: Logger.Metadata {
        self.watches ? ["inotify": "\(self.inotify != nil)", "poll": "\(self.interval)"] : ["reload": "SIGHUP only"]
    }

    func pendingChange() async -> ConfigChange? {
        guard self.watches else { return nil }
        let notified = self.inotify?.takeChange() ?? false
        let pollDue = ContinuousClock.now - self.lastPoll >= self.interval
        guard notified || pollDue else { return nil }
        self.lastPoll = .now
        var current = DirectoryFingerprint(directories: self.directories)
        guard current != self.fingerprint else { return nil }
        // Coalesce a burst: wait until the tree stops changing.
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
            let again = DirectoryFingerprint(directories: self.directories)
            if again == current { break }
            current = again
        }
        self.fingerprint = current
        return ConfigChange(reason: "files changed", newestWrite: current.newestModification)
    }

    func load() -> ConfigLoader.Result {
        // A forced reload (SIGHUP) also re-reads the fingerprint, so it does not fire again.
        self.fingerprint = DirectoryFingerprint(directories: self.directories)
        return self.loader.load()
    }
}
