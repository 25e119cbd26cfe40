import PorticoDiagnostics
import PorticoRouting

/// The backends a compiled snapshot references, in `BackendID` order, with where each was
/// first referenced: the one part of compilation that depends on Services, Endpoints,
/// EndpointSlices and Pods. An endpoint change re-resolves only this table against the new
/// state and keeps the routes (ingress-nginx applies such changes without a reload,
/// `IsDynamicConfigurationEnough` in `internal/ingress/controller/nginx.go`).
public struct BackendTable: Sendable, Equatable {
    public let refs: [BackendRef]
    /// Indexed like `refs`.
    let sites: [Site]

    struct Site: Sendable, Equatable {
        var file: String
        var line: Int?
        var object: String
        var field: String
    }

    init(refs: [BackendRef], sites: [Site]) {
        precondition(refs.count == sites.count)
        self.refs = refs
        self.sites = sites
    }

    /// Backends in `BackendID` order, each with its warning when it has no ready endpoint.
    public struct Resolved: Sendable, Equatable {
        public var backends: [Backend]
        var problems: [Diagnostic?]

        public var diagnostics: [Diagnostic] { self.problems.compactMap { $0 } }
    }

    /// Every backend resolved to its ready endpoints.
    func resolve(with resolver: EndpointResolver) -> Resolved {
        var resolved = Resolved(backends: [], problems: [])
        resolved.backends.reserveCapacity(self.refs.count)
        resolved.problems.reserveCapacity(self.refs.count)
        for index in self.refs.indices {
            let (backend, problem) = self.resolve(index, with: resolver)
            resolved.backends.append(backend)
            resolved.problems.append(problem)
        }
        return resolved
    }

    /// `previous` with the backends of `services` resolved again (the rest are kept as they
    /// are: nothing they resolve through changed).
    func resolve(_ services: Set<ClusterState.ServiceName>, in state: ClusterState, keeping previous: Resolved) -> Resolved {
        let resolver = EndpointResolver(state: state, only: services)
        var resolved = previous
        for (index, ref) in self.refs.enumerated()
        where services.contains(ClusterState.ServiceName(namespace: ref.namespace, name: ref.service)) {
            (resolved.backends[index], resolved.problems[index]) = self.resolve(index, with: resolver)
        }
        return resolved
    }

    private func resolve(_ index: Int, with resolver: EndpointResolver) -> (Backend, Diagnostic?) {
        let ref = self.refs[index]
        let site = self.sites[index]
        if ref.isUnresolved { return (Backend(ref: ref, endpoints: [], unavailableReason: "no backendRef resolves: 500"), nil) }
        let resolution = resolver.resolve(ref)
        var problem: Diagnostic?
        if let reason = resolution.problem, resolution.externalName == nil {
            problem = Diagnostic(.warning, file: site.file, line: site.line, object: site.object, field: site.field,
                                 message: "\(reason); requests routed here get 503")
        }
        let backend = Backend(
            ref: ref, endpoints: resolution.endpoints, unavailableReason: resolution.problem,
            clientIPAffinity: resolution.clientIPAffinity, externalName: resolution.externalName, serviceMissing: resolution.serviceMissing,
            notReady: resolution.notReady)
        return (backend, problem)
    }
}
