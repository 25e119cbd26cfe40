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

/// Applies configuration changes while serving: asks its source (a directory or the
/// Kubernetes API) every 25 ms for a change, reloads, and swaps the new snapshot in. SIGHUP
/// reloads at once. A reload that cannot be applied keeps the current generation serving.
final class ReloadLoop: Sendable {
    let source: any ConfigSource
    let runtime: ProxyRuntime
    let logger: Logger
    let names: ExternalNameResolver
    /// Told about every generation installed (readiness, Ingress status).
    let installed: @Sendable (ConfigLoader.Result) -> Void
    /// The last loaded snapshot before name resolution, re-resolved periodically.
    private let loaded: Mutex<RoutingSnapshot>
    private let hangup = Atomic<Bool>(false)
    /// How often ExternalName answers are refreshed.
    static let nameRefresh: Duration = .seconds(5)

    init(
        source: any ConfigSource, runtime: ProxyRuntime, logger: Logger, names: ExternalNameResolver, loaded: RoutingSnapshot,
        installed: @escaping @Sendable (ConfigLoader.Result) -> Void = { _ in }
    ) {
        self.source = source
        self.names = names
        self.loaded = Mutex(loaded)
        self.runtime = runtime
        self.logger = logger
        self.installed = installed
    }

    /// Runs until the task is cancelled.
    func run() async {
        let signalSource = self.watchHangup()
        defer { signalSource.cancel() }
        var lastNameRefresh = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(25))
            if ContinuousClock.now - lastNameRefresh >= Self.nameRefresh {
                lastNameRefresh = ContinuousClock.now
                await self.refreshNames()
            }
            if self.hangup.exchange(false, ordering: .relaxed) {
                await self.reload(ConfigChange(reason: "SIGHUP"))
            } else if let change = await self.source.pendingChange() {
                await self.reload(change)
            }
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

    func reload(_ change: ConfigChange) async {
        let started = ContinuousClock.now
        var result = self.source.load()
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
            self.installed(result)
            let sinceWrite = change.newestWrite.map { String(format: "%.0f ms", Date().timeIntervalSince($0) * 1000) } ?? "?"
            self.logger.info(
                "reloaded (\(change.reason))",
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
