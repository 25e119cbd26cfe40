import PorticoConfig
import PorticoDemoBackend
import PorticoRouting

/// Which demo backends `serve --demo` starts: one per loopback endpoint address of the routing
/// table, so the shipped example answers on a fresh machine with nothing else running.
enum DemoPlan {
    /// The page a Service's demo Pods answer with: its `portico.dev/demo-page` annotation (the
    /// seed's `<h1>Hello One</h1>`), else the Service's name.
    static let pageAnnotation = "portico.dev/demo-page"

    static func endpoints(state: ClusterState, snapshot: RoutingSnapshot) -> [DemoEndpoint] {
        var seen = Set<String>()
        var result: [DemoEndpoint] = []
        for backend in snapshot.backends {
            let service = state.services.first {
                $0.metadata.namespace == backend.ref.namespace && $0.metadata.name == backend.ref.service
            }
            let page = service?.metadata.annotations[Self.pageAnnotation] ?? "<h1>\(backend.ref.service)</h1>"
            for endpoint in backend.endpoints where endpoint.address.hasPrefix("127.") || endpoint.address == "::1" {
                guard seen.insert(endpoint.description).inserted else { continue }
                result.append(
                    DemoEndpoint(host: endpoint.address, port: endpoint.port, page: page, podName: endpoint.podName,
                                 service: "\(backend.ref.namespace)/\(backend.ref.service)"))
            }
        }
        return result
    }
}
