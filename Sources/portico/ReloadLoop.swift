import Dispatch
import Foundation
import Logging
import PorticoConfig
import PorticoDiagnostics
import PorticoProxy
import PorticoRouting
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Applies changes to `ingress-rules/` and `certs/` while serving: polls the directories, waits
/// for a burst of writes to settle, reloads, and swaps the new snapshot in. SIGHUP reloads at
/// once. A reload that cannot be applied keeps the current generation serving.
final class ReloadLoop: Sendable {
    let loader: ConfigLoaderBox
    let runtime: ProxyRuntime
    let logger: Logger
    let directories: [String]
    let interval: Duration
    /// False: reload on SIGHUP only.
    let watchFiles: Bool
    let names: ExternalNameResolver
    /// The last loaded snapshot before name resolution, re-resolved periodically.
    private let loaded: Mutex<RoutingSnapshot>
    private let hangup = Atomic<Bool>(false)
    /// How often ExternalName answers are refreshed.
    static let nameRefresh: Duration = .seconds(5)

    init(
        loader: ConfigLoader, runtime: ProxyRuntime, logger: Logger, directories: [String], interval: Duration,
        watchFiles: Bool, names: ExternalNameResolver, loaded: RoutingSnapshot
    ) {
        self.watchFiles = watchFiles
        self.names = names
        self.loaded = Mutex(loaded)
        self.loader = ConfigLoaderBox(loader)
        self.runtime = runtime
        self.logger = logger
        self.directories = directories
        self.interval = interval
    }

    /// Runs until the task is cancelled. With inotify, a change is noticed within one 25 ms
    /// tick; the fingerprint poll every `interval` stays as the safety net (and is all there is
    /// where inotify is unavailable).
    func run() async {
        let source = self.watchHangup()
        defer { source.cancel() }
        let inotify = self.watchFiles ? InotifyWatcher(directories: self.directories) : nil
        if self.watchFiles {
            self.logger.info("watching for changes", metadata: ["inotify": "\(inotify != nil)", "poll": "\(self.interval)"])
        }
        var fingerprint = DirectoryFingerprint(directories: self.directories)
        var lastNameRefresh = ContinuousClock.now
        var lastPoll = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: inotify == nil ? self.interval : .milliseconds(25))
            if ContinuousClock.now - lastNameRefresh >= Self.nameRefresh {
                lastNameRefresh = ContinuousClock.now
                await self.refreshNames()
            }
            let forced = self.hangup.exchange(false, ordering: .relaxed)
            guard forced || self.watchFiles else { continue }
            let notified = inotify?.takeChange() ?? false
            let pollDue = ContinuousClock.now - lastPoll >= self.interval
            guard forced || notified || pollDue else { continue }
            lastPoll = ContinuousClock.now
            var current = DirectoryFingerprint(directories: self.directories)
            guard forced || current != fingerprint else { continue }
            // Coalesce a burst: wait until the tree stops changing.
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
                let again = DirectoryFingerprint(directories: self.directories)
                if again == current { break }
                current = again
            }
            fingerprint = current
            await self.reload(reason: forced ? "SIGHUP" : "files changed", newestChange: current.newestModification)
        }
    }

    /// Re-resolves ExternalName Services; installs only when an answer changed.
    func refreshNames() async {
        let snapshot = self.loaded.withLock { $0 }
        guard snapshot.backends.contains(where: { $0.externalName != nil }) else { return }
        let resolved = await self.names.resolve(snapshot, logger: self.logger)
        let current = self.runtime.generation.snapshot.backends.map(\.endpoints)
        guard resolved.backends.map(\.endpoints) != current else { return }
        _ = try? self.runtime.install(resolved)
    }

    func reload(reason: String, newestChange: Date?) async {
        let started = ContinuousClock.now
        var result = self.loader.load()
        self.loaded.withLock { $0 = result.snapshot }
        result.snapshot = await self.names.resolve(result.snapshot, logger: self.logger)
        for diagnostic in result.diagnostics where diagnostic.severity == .error {
            self.logger.error("\(diagnostic)")
        }
        for object in result.keptPrevious {
            self.logger.warning("\(object): its last good version keeps serving")
        }
        do {
            let (generation, tlsDiagnostics) = try self.runtime.install(result.snapshot)
            for diagnostic in tlsDiagnostics { self.logger.error("\(diagnostic)") }
            let elapsed = ContinuousClock.now - started
            let sinceWrite = newestChange.map { String(format: "%.0f ms", Date().timeIntervalSince($0) * 1000) } ?? "?"
            self.logger.info(
                "reloaded (\(reason))",
                metadata: [
                    "generation": "\(generation.number)", "routes": "\(RouteListing.rows(result.snapshot).count)",
                    "errors": "\(result.diagnostics.filter { $0.severity == .error }.count)",
                    "reload": "\(elapsed.components.attoseconds / 1_000_000_000_000_000 + elapsed.components.seconds * 1000) ms",
                    "since newest write": "\(sinceWrite)",
                ])
        } catch {
            self.logger.error("reload not applied, the previous configuration keeps serving: \(error)")
        }
    }

    private func watchHangup() -> any DispatchSourceSignal {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "portico.sighup"))
        source.setEventHandler { [self] in self.hangup.store(true, ordering: .relaxed) }
        source.resume()
        return source
    }
}

/// The loader is used by the reload task only, one load at a time.
final class ConfigLoaderBox: @unchecked Sendable {
    private let lock = Mutex(())
    private let loader: ConfigLoader

    init(_ loader: ConfigLoader) { self.loader = loader }

    func load() -> ConfigLoader.Result {
        self.lock.withLock { _ in self.loader.load() }
    }
}
