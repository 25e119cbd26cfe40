import Dispatch
import Foundation
import Logging
import PorticoConfig
import PorticoDiagnostics
import PorticoProxy
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
    private let hangup = Atomic<Bool>(false)

    init(loader: ConfigLoader, runtime: ProxyRuntime, logger: Logger, directories: [String], interval: Duration, watchFiles: Bool) {
        self.watchFiles = watchFiles
        self.loader = ConfigLoaderBox(loader)
        self.runtime = runtime
        self.logger = logger
        self.directories = directories
        self.interval = interval
    }

    /// Runs until the task is cancelled.
    func run() async {
        let source = self.watchHangup()
        defer { source.cancel() }
        var fingerprint = DirectoryFingerprint(directories: self.directories)
        while !Task.isCancelled {
            try? await Task.sleep(for: self.interval)
            let forced = self.hangup.exchange(false, ordering: .relaxed)
            guard forced || self.watchFiles else { continue }
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
            self.reload(reason: forced ? "SIGHUP" : "files changed", newestChange: current.newestModification)
        }
    }

    func reload(reason: String, newestChange: Date?) {
        let started = ContinuousClock.now
        let result = self.loader.load()
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
