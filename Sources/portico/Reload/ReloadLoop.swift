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

/// Applies configuration changes while serving. It sleeps until something happens: its source
/// says a change may be pending (inotify, a poll timer, a watch event), SIGHUP arrives, or the
/// ExternalName refresh timer fires; then it reloads and swaps the new snapshot in. Loading and
/// compiling run on a queue of their own, never on Swift's cooperative pool. A reload that
/// cannot be applied keeps the current generation serving; a snapshot equal to the serving one
/// is not installed again.
final class ReloadLoop: Sendable {
    let source: any ConfigSource
    let runtime: ProxyRuntime
    let logger: Logger
    let names: ExternalNameResolver
    /// Told about every generation installed (readiness, Ingress status).
    let installed: @Sendable (ConfigLoader.Result) -> Void
    /// Reloads applied and refused, for `/metrics`.
    let reloadMetrics: ReloadMetrics
    /// What `/routes` lists as standing diagnostics.
    let current: CurrentDiagnostics
    /// The last loaded snapshot before name resolution, re-resolved periodically.
    private let loaded: Mutex<RoutingSnapshot>
    /// The warnings of the last load: a reload logs only the new ones (a ConfigMap key just
    /// refused), not every standing one again.
    private let warnings: Mutex<Set<Diagnostic>>
    private let hangup = Atomic<Bool>(false)
    private let namesDue = Atomic<Bool>(false)
    private let sourceWoke = Atomic<Bool>(false)
    /// One coalescing wake-up for every producer: the loop reads the flags above after it.
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    /// How often ExternalName answers are refreshed.
    static let nameRefresh: Duration = .seconds(5)
    /// Blocking work (file I/O, YAML decoding, the compiler) runs here.
    static let work = DispatchQueue(label: "portico.reload")

    init(
        source: any ConfigSource, runtime: ProxyRuntime, logger: Logger, names: ExternalNameResolver, loaded: RoutingSnapshot,
        diagnostics: [Diagnostic] = [], reloadMetrics: ReloadMetrics = ReloadMetrics(), current: CurrentDiagnostics = CurrentDiagnostics(),
        installed: @escaping @Sendable (ConfigLoader.Result) -> Void = { _ in }
    ) {
        self.reloadMetrics = reloadMetrics
        self.current = current
        self.warnings = Mutex(Set(diagnostics.filter { $0.severity == .warning }))
        self.source = source
        self.names = names
        self.loaded = Mutex(loaded)
        self.runtime = runtime
        self.logger = logger
        self.installed = installed
        (self.wakeups, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Runs until the task is cancelled.
    func run() async {
        let signalSource = self.watchHangup()
        self.source.start { [self] in
            self.sourceWoke.store(true, ordering: .relaxed)
            self.wake.yield()
        }
        let timer = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.nameRefresh)
                self.namesDue.store(true, ordering: .relaxed)
                self.wake.yield()
            }
        }
        defer {
            signalSource.cancel()
            timer.cancel()
            self.source.stop()
        }
        await withTaskCancellationHandler {
            for await _ in self.wakeups {
                if self.namesDue.exchange(false, ordering: .relaxed) { await self.refreshNames() }
                if self.hangup.exchange(false, ordering: .relaxed) {
                    await self.reload(ConfigChange(reason: "SIGHUP"))
                } else if self.sourceWoke.exchange(false, ordering: .relaxed), let change = await self.source.pendingChange() {
                    await self.reload(change)
                }
            }
        } onCancel: {
            self.wake.finish()
        }
    }

    /// Runs blocking work on `work`, so the cooperative pool keeps serving other tasks.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Self.work.async { continuation.resume(returning: body()) }
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
        let source = self.source
        var result = await Self.offPool { source.load() }
        let loadedAt = ContinuousClock.now
        self.loaded.withLock { $0 = result.snapshot }
        result.snapshot = await self.names.resolve(result.snapshot, logger: self.logger)
        for diagnostic in result.diagnostics where diagnostic.severity == .error {
            self.logger.error("\(diagnostic)")
        }
        let warnings = Set(result.diagnostics.filter { $0.severity == .warning })
        let previous = self.warnings.withLock { old in
            defer { old = warnings }
            return old
        }
        for diagnostic in result.diagnostics where diagnostic.severity == .warning && !previous.contains(diagnostic) {
            self.logger.warning("\(diagnostic)")
        }
        for object in result.keptPrevious {
            self.logger.warning("\(object): its last good version keeps serving")
        }
        // A load with an error (an object rejected, its last good version kept or nothing
        // served for it) is a change that did not take: reported as a failed reload.
        let errors = result.diagnostics.filter { $0.severity == .error }.count
        self.reloadMetrics.diagnostics(errors: errors, warnings: warnings.count)
        self.current.loaded(result.diagnostics)
        guard result.snapshot != self.runtime.generation.snapshot else {
            self.logger.debug("reload (\(change.reason)) compiled to the serving snapshot; nothing installed")
            if errors > 0 { self.reloadMetrics.refused(duration: ContinuousClock.now - started) } else { self.reloadMetrics.unchanged() }
            return
        }
        do {
            let store = self.runtime.generation.certificates
            let (generation, tlsDiagnostics) = try self.runtime.install(result.snapshot)
            for diagnostic in tlsDiagnostics { self.logger.error("\(diagnostic)") }
            if generation.certificates !== store { self.current.certificatesBuilt(tlsDiagnostics) }
            let elapsed = ContinuousClock.now - started
            self.installed(result)
            let hash = ConfigurationHash.of(result.snapshot)
            if errors > 0 {
                self.reloadMetrics.refused(servingHash: hash, duration: elapsed)
            } else {
                self.reloadMetrics.applied(hash: hash, duration: elapsed)
            }
            let sinceWrite = change.newestWrite.map { String(format: "%.0f ms", Date().timeIntervalSince($0) * 1000) } ?? "?"
            self.logger.info(
                "reloaded (\(change.reason))",
                metadata: [
                    "generation": "\(generation.number)", "routes": "\(RouteListing.count(result.snapshot))",
                    "errors": "\(result.diagnostics.filter { $0.severity == .error }.count)",
                    "reload": "\(Self.milliseconds(elapsed)) ms", "load": "\(Self.milliseconds(loadedAt - started)) ms",
                    "compiled": "\(result.backendsOnly ? "backends only" : "routes and backends")",
                    "since newest write": "\(sinceWrite)",
                ])
        } catch {
            self.reloadMetrics.refused(duration: ContinuousClock.now - started)
            self.logger.error("reload not applied, the previous configuration keeps serving: \(error)")
        }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    private func watchHangup() -> any DispatchSourceSignal {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "portico.sighup"))
        source.setEventHandler { [self] in
            self.hangup.store(true, ordering: .relaxed)
            self.wake.yield()
        }
        source.resume()
        return source
    }
}
