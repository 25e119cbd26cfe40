import Foundation
import Synchronization

/// The controller's reload metrics, as ingress-nginx's `collectors/controller.go` names them:
/// `nginx_ingress_controller_success` / `_errors` (reloads applied / refused),
/// `_config_last_reload_successful` and `_config_last_reload_successful_timestamp_seconds`. A
/// reload is refused when its generation cannot be installed (the TLS contexts cannot be
/// built): the last good configuration keeps serving, as ingress-nginx keeps nginx running on
/// the old configuration when a reload fails. Control plane only.
public final class ReloadMetrics: Sendable {
    private struct State {
        var successes = 0
        var errors = 0
        var lastSucceeded = true
        var lastSuccess = Date()
    }

    private let state = Mutex(State())

    public init() {}

    public func applied(at date: Date = Date()) {
        self.state.withLock {
            $0.successes += 1
            $0.lastSucceeded = true
            $0.lastSuccess = date
        }
    }

    public func refused() {
        self.state.withLock {
            $0.errors += 1
            $0.lastSucceeded = false
        }
    }

    /// The families, with the controller's constant labels.
    func render(constantLabels labels: String) -> String {
        let state = self.state.withLock { $0 }
        func family(_ name: String, _ type: String, _ help: String, _ value: String) -> String {
            "# HELP nginx_ingress_controller_\(name) \(help)\n# TYPE nginx_ingress_controller_\(name) \(type)\nnginx_ingress_controller_\(name){\(labels)} \(value)\n"
        }
        return family("config_last_reload_successful", "gauge", "Whether the last configuration reload attempt was successful", state.lastSucceeded ? "1" : "0")
            + family(
                "config_last_reload_successful_timestamp_seconds", "gauge", "Timestamp of the last successful configuration reload.",
                String(Int(state.lastSuccess.timeIntervalSince1970)))
            + family("success", "counter", "Cumulative number of Ingress controller reload operations", String(state.successes))
            + family("errors", "counter", "Cumulative number of Ingress controller errors during reload operations", String(state.errors))
    }
}
