import Foundation
import PorticoProxy
import Synchronization

/// What `/metrics` reads: the runtime once it exists (the health port opens before it, so
/// probes answer while a cluster is first listed), with the constant labels of this controller.
final class MetricsEndpoint: Sendable {
    private let runtime = Mutex<ProxyRuntime?>(nil)
    let exposition: MetricsExposition

    /// `controller_pod` is the Pod's name (`KubernetesOptions.podName`), `controller_namespace`
    /// its namespace (downward API `POD_NAMESPACE`).
    init(ingressClass: String) {
        self.exposition = MetricsExposition(
            controllerClass: ingressClass, controllerNamespace: ProcessInfo.processInfo.environment["POD_NAMESPACE"] ?? "",
            controllerPod: KubernetesOptions.podName)
    }

    func attach(_ runtime: ProxyRuntime) { self.runtime.withLock { $0 = runtime } }

    func render() async -> String {
        guard let runtime = self.runtime.withLock({ $0 }) else { return "" }
        return await runtime.scrapeMetrics(self.exposition)
    }
}
