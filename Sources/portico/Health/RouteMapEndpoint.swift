import Foundation
import PorticoProxy
import PorticoRouteMap
import Synchronization

/// What `/routes` and `/routes.json` read: the runtime once it exists, the standing
/// diagnostics, and a history of route counts sampled every 10 s over the last minute (the
/// recent rates). The sampling timer runs only while the health port does.
final class RouteMapEndpoint: Sendable {
    private let runtime = Mutex<ProxyRuntime?>(nil)
    private let history = Mutex(ActivityHistory(window: 60))
    let diagnostics: CurrentDiagnostics
    static let sampleInterval: Duration = .seconds(10)

    init(diagnostics: CurrentDiagnostics) { self.diagnostics = diagnostics }

    func attach(_ runtime: ProxyRuntime) { self.runtime.withLock { $0 = runtime } }

    /// Samples the route counts until cancelled.
    func sample() async {
        while !Task.isCancelled {
            if let runtime = self.runtime.withLock({ $0 }) {
                let activity = await runtime.routeActivity()
                let now = Self.uptime()
                self.history.withLock { $0.record(activity, at: now) }
            }
            try? await Task.sleep(for: Self.sampleInterval)
        }
    }

    func map() async -> RouteMap? {
        guard let runtime = self.runtime.withLock({ $0 }) else { return nil }
        let activity = await runtime.routeActivity()
        let now = Self.uptime()
        let baseline = self.history.withLock { $0.baseline(at: now) }
        return RouteMap(
            generation: runtime.generation, activity: activity, baseline: baseline, diagnostics: self.diagnostics.all, now: Date(),
            uptime: now)
    }

    var pages: [String: HealthPage] {
        [
            "/routes": HealthPage(contentType: "text/html; charset=utf-8") {
                await self.map().map(RouteMapPage.html) ?? "<!doctype html><title>Portico routes</title><p>Starting: no configuration served yet.</p>\n"
            },
            "/routes.json": HealthPage(contentType: "application/json") {
                await self.map().map { $0.json() } ?? "{}\n"
            },
        ]
    }

    static func uptime() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
