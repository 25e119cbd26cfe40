import Foundation
import Synchronization

/// The controller's reload metrics, as ingress-nginx's `collectors/controller.go` names them:
/// `nginx_ingress_controller_success` / `_errors` (reloads applied / refused),
/// `_config_last_reload_successful`, its timestamp and `_config_hash`; with Portico's
/// `portico_reload_duration_seconds` and `portico_diagnostics` (the last load's, by severity).
///
/// A reload is refused when its generation cannot be installed (the TLS contexts cannot be
/// built), or when an object it read was rejected and its last good version kept serving:
/// both are a configuration change that did not take, which ingress-nginx reports as a failed
/// reload (`ConfigSuccess(hash, false)`: last-reload-successful 0, hash 0). A later reload that
/// takes — or one that finds the serving configuration again — reports success, as
/// ingress-nginx's `runningConfig.Equal` branch does. Control plane only.
public final class ReloadMetrics: Sendable {
    private struct State {
        var successes = 0
        var errors = 0
        var lastSucceeded = true
        var lastSuccess = Date()
        /// The serving configuration's hash, and what `config_hash` shows (0 after a failure).
        var servingHash: UInt64 = 0
        var reportedHash: UInt64 = 0
        var durations = Histogram(bounds: ReloadMetrics.durationBounds)
        var errorDiagnostics = 0
        var warningDiagnostics = 0
    }

    /// Reload durations: 1 ms to 10 s.
    static let durationBounds: [Int64] = [1, 5, 10, 50, 100, 500, 1000, 5000, 10000].map { Int64($0) * 1_000_000 }
    static let durationBoundText = ["0.001", "0.005", "0.01", "0.05", "0.1", "0.5", "1", "5", "10"]

    private let state = Mutex(State())

    public init() {}

    /// A new configuration is serving.
    public func applied(hash: UInt64, duration: Duration? = nil, at date: Date = Date()) {
        self.state.withLock {
            $0.successes += 1
            $0.lastSucceeded = true
            $0.lastSuccess = date
            $0.servingHash = hash
            $0.reportedHash = hash
            if let duration { $0.durations.observe(Self.nanoseconds(duration), bounds: Self.durationBounds) }
        }
    }

    /// A change did not take (the previous configuration, or an object's last good version,
    /// keeps serving).
    /// `servingHash`: the configuration now serving, when the rest of the change was installed.
    public func refused(servingHash: UInt64? = nil, duration: Duration? = nil) {
        self.state.withLock {
            if let servingHash { $0.servingHash = servingHash }
            $0.errors += 1
            $0.lastSucceeded = false
            $0.reportedHash = 0
            if let duration { $0.durations.observe(Self.nanoseconds(duration), bounds: Self.durationBounds) }
        }
    }

    /// A reload compiled to the serving configuration with nothing rejected: after a failure,
    /// that is a success again (not counted as a reload).
    public func unchanged(at date: Date = Date()) {
        self.state.withLock {
            guard !$0.lastSucceeded else { return }
            $0.lastSucceeded = true
            $0.lastSuccess = date
            $0.reportedHash = $0.servingHash
        }
    }

    /// The diagnostics of the last load.
    public func diagnostics(errors: Int, warnings: Int) {
        self.state.withLock {
            $0.errorDiagnostics = errors
            $0.warningDiagnostics = warnings
        }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }

    /// The families, with the controller's constant labels.
    func render(constantLabels labels: String) -> String {
        let state = self.state.withLock { $0 }
        func family(_ name: String, _ type: String, _ help: String, _ value: String) -> String {
            "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name){\(labels)} \(value)\n"
        }
        var out = family("nginx_ingress_controller_config_hash", "gauge", "Running configuration hash actually running", String(state.reportedHash))
        out += family(
            "nginx_ingress_controller_config_last_reload_successful", "gauge", "Whether the last configuration reload attempt was successful",
            state.lastSucceeded ? "1" : "0")
        out += family(
            "nginx_ingress_controller_config_last_reload_successful_timestamp_seconds", "gauge", "Timestamp of the last successful configuration reload.",
            String(Int(state.lastSuccess.timeIntervalSince1970)))
        out += family("nginx_ingress_controller_success", "counter", "Cumulative number of Ingress controller reload operations", String(state.successes))
        out += family(
            "nginx_ingress_controller_errors", "counter", "Cumulative number of Ingress controller errors during reload operations", String(state.errors))
        out += "# HELP portico_diagnostics Diagnostics of the last configuration load, by severity\n# TYPE portico_diagnostics gauge\n"
        out += "portico_diagnostics{\(labels),severity=\"error\"} \(state.errorDiagnostics)\n"
        out += "portico_diagnostics{\(labels),severity=\"warning\"} \(state.warningDiagnostics)\n"
        MetricsExposition.histogram(
            "portico_reload_duration_seconds", help: "Time from a configuration change noticed to its snapshot installed or refused",
            keys: [labels], bounds: Self.durationBoundText, into: &out
        ) { _ in (state.durations, MetricsExposition.seconds(state.durations.sum)) }
        return out
    }
}
