import PorticoKube
import PorticoRouting

/// Resolves an Ingress backend to the ready endpoint addresses its traffic goes to, bypassing
/// the Service's ClusterIP.
///
/// Port resolution follows ingress-nginx (`controller.go serviceEndpoints`,
/// `endpointslices.go`): the Ingress port picks a Service port by number or name; each
/// EndpointSlice/Endpoints port is matched by that *Service port's name* (or is the only port
/// when the Service port is unnamed) and carries the number Kubernetes already resolved from
/// `targetPort`. With neither Endpoints nor EndpointSlices in the state, the Pods matching the
/// selector stand in, as Kubernetes' endpoints controller would derive them.
struct EndpointResolver {
    let services: [String: Service]
    let slicesByService: [String: [EndpointSlice]]
    let endpoints: [String: Endpoints]
    let podsByNamespace: [String: [Pod]]

    /// Indexes the state; with `only`, just what those Services resolve through (an endpoint
    /// change among 10,000 Services then indexes a handful of objects, not 30,000).
    init(state: ClusterState, only: Set<ClusterState.ServiceName>? = nil) {
        func key(_ namespace: String, _ name: String) -> String { namespace + "/" + name }
        func wanted(_ namespace: String, _ name: String) -> Bool {
            only.map { $0.contains(ClusterState.ServiceName(namespace: namespace, name: name)) } ?? true
        }
        let services = state.services.lazy.filter { wanted($0.metadata.namespace, $0.metadata.name) }
        self.services = Dictionary(services.map { (key($0.metadata.namespace, $0.metadata.name), $0) }) { a, _ in a }
        let slices = state.endpointSlices.filter { wanted($0.metadata.namespace, $0.serviceName) }
        self.slicesByService = Dictionary(grouping: slices) { key($0.metadata.namespace, $0.serviceName) }
        let endpoints = state.endpoints.lazy.filter { wanted($0.metadata.namespace, $0.metadata.name) }
        self.endpoints = Dictionary(endpoints.map { (key($0.metadata.namespace, $0.metadata.name), $0) }) { a, _ in a }
        let namespaces = only.map { Set($0.map(\.namespace)) }
        let pods = state.pods.filter { namespaces?.contains($0.metadata.namespace) ?? true }
        self.podsByNamespace = Dictionary(grouping: pods) { $0.metadata.namespace }
    }

    struct Resolution {
        var endpoints: [Endpoint]
        /// Why there are none, or a problem worth a warning.
        var problem: String?
        var clientIPAffinity = false
        var externalName: Backend.ExternalName?
        var serviceMissing = false
        /// Addresses listed but not ready (EndpointSlice `conditions.ready: false`,
        /// `notReadyAddresses`, or a selected Pod that is not Ready).
        var notReady: [Endpoint] = []
    }

    func resolve(_ ref: BackendRef) -> Resolution {
        if ref.isHost, case .number(let port) = ref.port {
            // A URL's host: resolved off the request path, as an ExternalName's.
            return Resolution(endpoints: [], problem: "\(ref.service) not resolved yet", externalName: Backend.ExternalName(host: ref.service, port: port))
        }
        guard let service = self.services[ref.namespace + "/" + ref.service] else {
            return Resolution(endpoints: [], problem: "Service \(ref.namespace)/\(ref.service) not found", serviceMissing: true)
        }
        let servicePort: ServicePort?
        switch ref.port {
        case .number(let number): servicePort = service.ports.first { $0.port == number }
        case .name(let name): servicePort = service.ports.first { $0.name == name }
        }
        if service.type == .externalName, let name = service.externalName {
            // ingress-nginx: one endpoint externalName:targetPort (the Ingress port when the
            // Service lists none). Resolved later, off the request path.
            var port: Int?
            switch ref.port {
            case .number(let number):
                let servicePort = service.ports.first { $0.port == number }
                if case .int(let target)? = servicePort?.targetPort { port = target } else { port = number }
            case .name(let portName):
                if case .int(let target)? = service.ports.first(where: { $0.name == portName })?.targetPort { port = target }
            }
            guard let port else {
                return Resolution(endpoints: [], problem: "ExternalName Service \(ref.namespace)/\(ref.service) has no port \(ref.port)")
            }
            return Resolution(
                endpoints: [], problem: "ExternalName \(name) not resolved yet",
                externalName: Backend.ExternalName(host: name, port: port))
        }
        guard let servicePort else {
            let known = service.ports.map { port in port.name.map { "\($0) (\(port.port))" } ?? String(port.port) }
            return Resolution(
                endpoints: [],
                problem: "Service \(ref.namespace)/\(ref.service) has no port \(ref.port) (it has \(known.joined(separator: ", ")))")
        }
        // ingress-nginx `service-upstream`: one endpoint, the cluster IP and Service port; a
        // headless Service (no cluster IP) falls back to its endpoints, as there.
        if ref.viaClusterIP, let ip = service.clusterIP, !ip.isEmpty, ip != "None" {
            return Resolution(endpoints: [Endpoint(address: ip, port: servicePort.port)], problem: nil)
        }
        let key = ref.namespace + "/" + ref.service
        var ready: [Endpoint] = []
        var notReady: [Endpoint] = []
        if let slices = self.slicesByService[key] {
            for slice in slices {
                guard let port = Self.pick(slice.ports, for: servicePort) else { continue }
                for endpoint in slice.endpoints {
                    if endpoint.ready == false {
                        notReady += endpoint.addresses.map { Endpoint(address: $0, port: port, podName: endpoint.targetName) }
                        continue
                    }
                    for address in endpoint.addresses {
                        ready.append(Endpoint(address: address, port: port, podName: endpoint.targetName))
                    }
                }
            }
        } else if let endpoints = self.endpoints[key] {
            for subset in endpoints.subsets {
                guard let port = Self.pick(subset.ports, for: servicePort) else { continue }
                notReady += subset.notReadyAddresses.map { Endpoint(address: $0.ip, port: port, podName: $0.targetName) }
                for address in subset.addresses {
                    ready.append(Endpoint(address: address.ip, port: port, podName: address.targetName))
                }
            }
        } else if let selector = service.selector, !selector.isEmpty {
            for pod in self.podsByNamespace[ref.namespace] ?? []
            where selector.allSatisfy({ pod.metadata.labels[$0.key] == $0.value }) {
                let port: Int?
                switch servicePort.targetPort {
                case .int(let number): port = number
                case .string(let name): port = pod.containerPorts.first { $0.name == name }?.containerPort
                }
                guard let ip = pod.podIP, pod.isReady else {
                    if let ip = pod.podIP, let port { notReady.append(Endpoint(address: ip, port: port, podName: pod.metadata.name)) }
                    continue
                }
                if let port { ready.append(Endpoint(address: ip, port: port, podName: pod.metadata.name)) }
            }
        }
        let unique = Array(Set(ready)).sorted()
        let waiting = Array(Set(notReady).subtracting(unique)).sorted()
        if unique.isEmpty {
            let detail = waiting.isEmpty ? "" : " (\(waiting.count) not ready)"
            return Resolution(
                endpoints: [], problem: "Service \(ref.namespace)/\(ref.service) has no ready endpoints\(detail)", notReady: waiting)
        }
        return Resolution(endpoints: unique, problem: nil, clientIPAffinity: service.clientIPAffinity, notReady: waiting)
    }

    /// The endpoint port for a Service port: same name, or the only port when the Service port
    /// is unnamed.
    static func pick(_ ports: [EndpointPort], for servicePort: ServicePort) -> Int? {
        if let name = servicePort.name, !name.isEmpty {
            if let match = ports.first(where: { $0.name == name }) { return match.port }
            if ports.count == 1, (ports[0].name ?? "").isEmpty { return ports[0].port }
        } else {
            if let match = ports.first(where: { ($0.name ?? "").isEmpty }) { return match.port }
            if ports.count == 1 { return ports[0].port }
        }
        if ports.isEmpty, case .int(let number) = servicePort.targetPort { return number }
        return nil
    }
}
