import Foundation
import Logging
import PorticoConfig
import Synchronization

/// `ingress-rules/` and `certs/` as a configuration source: inotify (recursive) when the kernel
/// offers it, with a fingerprint poll as the safety net every `safetyNetInterval` (10 s, or
/// `interval` if longer); without inotify the poll runs every `interval`. Each poll stats every
/// file, so with 10,000 files a 200 ms poll alone would keep a core busy.
///
/// When inotify names every changed file, only those are looked at again: a burst is coalesced
/// by waiting until no event arrived for `quietPeriod`, and the loader patches its last load
/// with them (no walk of the tree). Otherwise the tree is fingerprinted whole and a burst is
/// coalesced by waiting until the fingerprint stops changing. Fingerprints are taken off the
/// cooperative pool.
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
    private var poller: Task<Void, Never>?
    /// `pendingChange` just took the fingerprint the next `load` would take again.
    private var fingerprintIsFresh = false
    /// The files `pendingChange` found changed, when inotify named them all; nil: load whole.
    private var changedFiles: Set<String>?
    static let safetyNetInterval: Duration = .seconds(10)
    /// A burst of named changes is over when no event arrived for this long.
    static let quietPeriod: Duration = .milliseconds(10)

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
        self.watches ? ["inotify": "\(self.inotify != nil)", "poll": "\(self.pollInterval)"] : ["reload": "SIGHUP only"]
    }

    private var pollInterval: Duration {
        self.inotify == nil ? self.interval : max(self.interval, Self.safetyNetInterval)
    }

    func start(wake: @escaping @Sendable () -> Void) {
        guard self.watches else { return }
        self.inotify?.start(onChange: wake)
        let interval = self.pollInterval
        self.poller = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                wake()
            }
        }
    }

    func stop() {
        self.poller?.cancel()
    }

    private func takeFingerprint() async -> DirectoryFingerprint {
        let directories = self.directories
        return await ReloadLoop.offPool { DirectoryFingerprint(directories: directories) }
    }

    func pendingChange() async -> ConfigChange? {
        guard self.watches else { return nil }
        var notified = self.inotify?.takeChanges() ?? InotifyWatcher.Changes()
        let pollDue = ContinuousClock.now - self.lastPoll >= self.pollInterval - .milliseconds(20)
        if let inotify = self.inotify, !notified.unnamed, !notified.paths.isEmpty, !pollDue {
            // Named files only: wait for the burst to end, then look at those files alone.
            var batches = inotify.batches
            let deadline = ContinuousClock.now + .seconds(1)
            while !Task.isCancelled, ContinuousClock.now < deadline {
                try? await Task.sleep(for: Self.quietPeriod)
                let now = inotify.batches
                if now == batches { break }
                batches = now
                let more = inotify.takeChanges()
                notified.paths.formUnion(more.paths)
                notified.unnamed = notified.unnamed || more.unnamed
            }
            if !notified.unnamed {
                let (changed, newest) = self.fingerprint.update(paths: notified.paths)
                guard changed else { return nil }
                self.fingerprintIsFresh = true
                self.changedFiles = notified.paths
                return ConfigChange(reason: "files changed", newestWrite: newest)
            }
        }
        guard !notified.isEmpty || pollDue else { return nil }
        self.lastPoll = .now
        var current = await self.takeFingerprint()
        guard current != self.fingerprint else { return nil }
        // Coalesce a burst: wait until the tree stops changing.
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
            let again = await self.takeFingerprint()
            if again == current { break }
            current = again
        }
        self.fingerprint = current
        self.fingerprintIsFresh = true
        self.changedFiles = nil
        return ConfigChange(reason: "files changed", newestWrite: current.newestModification)
    }

    func load() -> ConfigLoader.Result {
        // A forced reload (SIGHUP) also re-reads the fingerprint, so it does not fire again,
        // and loads whole.
        if !self.fingerprintIsFresh {
            self.fingerprint = DirectoryFingerprint(directories: self.directories)
            self.changedFiles = nil
        }
        self.fingerprintIsFresh = false
        defer { self.changedFiles = nil }
        return self.loader.load(changed: self.changedFiles)
    }
}
