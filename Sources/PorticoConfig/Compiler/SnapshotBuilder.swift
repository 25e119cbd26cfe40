import PorticoKube
import PorticoDiagnostics
import PorticoRouting

/// The mutable side of compilation: Ingresses are added oldest first, then `build()` freezes the
/// result into a `RoutingSnapshot`.
struct SnapshotBuilder {
    let resolver: EndpointResolver
    var diagnostics: [Diagnostic] = []

    private var backendIDs: [BackendRef: BackendID] = [:]
    private var backendRefs: [BackendRef] = []
    /// Where each backend was first referenced, to locate its warnings.
    private var backendSites: [BackendRef: Site] = [:]

    private var hostOrder: [HostPattern] = []
    private var hostRoutes: [HostPattern: [Route]] = [:]
    private var hostFallbacks: [HostPattern: Route] = [:]
    private var anyHostRoutes: [Route]?
    private var anyHostFallback: Route?
    private var defaultRoute: Route?

    struct Site {
        var file: String
        var line: Int?
        var object: String
        var field: String
    }

    init(resolver: EndpointResolver) {
        self.resolver = resolver
    }

    mutating func add(_ ingress: Ingress) {
        let name = "\(ingress.metadata.namespace)/\(ingress.metadata.name)"
        let object = "Ingress \(name)"
        AnnotationCheck.check(ingress, object: object, into: &self.diagnostics)

        // Validate every host first: an invalid host makes the whole Ingress invalid, as the
        // API server would refuse it.
        var patterns: [HostPattern?] = []
        for (index, rule) in ingress.rules.enumerated() {
            guard let host = rule.host else {
                patterns.append(nil)
                continue
            }
            switch HostPattern.parse(host) {
            case .success(let pattern):
                patterns.append(pattern)
            case .failure(let error):
                self.diagnostics.append(
                    Diagnostic(.error, file: ingress.location.file, line: rule.line ?? ingress.location.line,
                               object: object, field: "spec.rules[\(index)].host",
                               message: "\(error); the Ingress is left out"))
                return
            }
        }

        var fallback: Route?
        if let backend = ingress.defaultBackend,
            let id = self.backendID(for: backend, ingress: ingress, object: object)
        {
            fallback = Route(match: .prefix("/"), backend: id, source: RouteSource(ingress: name, kind: .defaultBackend))
            if self.defaultRoute == nil { self.defaultRoute = fallback }
        }

        for (ruleIndex, rule) in ingress.rules.enumerated() {
            let pattern = patterns[ruleIndex]
            var routes = self.routes(for: pattern)
            if let fallback {
                if let pattern {
                    if self.hostFallbacks[pattern] == nil { self.hostFallbacks[pattern] = fallback }
                } else if self.anyHostFallback == nil {
                    self.anyHostFallback = fallback
                }
            }
            for (pathIndex, path) in (rule.paths ?? []).enumerated() {
                guard let id = self.backendID(for: path.backend, ingress: ingress, object: object) else { continue }
                let match: PathMatch =
                    switch path.pathType {
                    case .exact: .exact(path.path)
                    case .prefix, .implementationSpecific: .prefix(path.path)
                    }
                if let existing = routes.first(where: { $0.match == match }) {
                    self.diagnostics.append(
                        Diagnostic(.warning, file: ingress.location.file, line: path.line, object: object,
                                   field: "spec.rules[\(ruleIndex)].http.paths[\(pathIndex)]",
                                   message: "\(match) on host \(pattern?.description ?? "*") is already defined by the older Ingress \(existing.source.ingress), which wins"))
                    continue
                }
                routes.append(
                    Route(match: match, backend: id,
                          source: RouteSource(ingress: name, kind: .rule(ruleIndex: ruleIndex, pathIndex: pathIndex))))
            }
            self.setRoutes(routes, for: pattern)
        }
    }

    private func routes(for pattern: HostPattern?) -> [Route] {
        guard let pattern else { return self.anyHostRoutes ?? [] }
        return self.hostRoutes[pattern] ?? []
    }

    private mutating func setRoutes(_ routes: [Route], for pattern: HostPattern?) {
        guard let pattern else {
            self.anyHostRoutes = routes
            return
        }
        if self.hostRoutes[pattern] == nil { self.hostOrder.append(pattern) }
        self.hostRoutes[pattern] = routes
    }

    private mutating func backendID(for backend: IngressBackend, ingress: Ingress, object: String) -> BackendID? {
        switch backend.target {
        case .resource(let kind, let name):
            self.diagnostics.append(
                Diagnostic(.warning, file: ingress.location.file, line: backend.line, object: object, field: backend.field,
                           message: "resource backends (\(kind) \(name)) are not supported; this path is left out"))
            return nil
        case .service(let service, let port):
            let ref = BackendRef(
                namespace: ingress.metadata.namespace, service: service,
                port: {
                    switch port {
                    case .number(let number): .number(number)
                    case .name(let name): .name(name)
                    }
                }())
            if let id = self.backendIDs[ref] { return id }
            let id = self.backendRefs.count
            self.backendRefs.append(ref)
            self.backendIDs[ref] = id
            self.backendSites[ref] = Site(
                file: ingress.location.file, line: backend.line, object: object, field: backend.field + ".service")
            return id
        }
    }

    /// Freezes the routes and resolves every backend to its ready endpoints.
    mutating func build() -> IngressCompiler.Output {
        var backends: [Backend] = []
        for ref in self.backendRefs {
            let resolution = self.resolver.resolve(ref)
            if let problem = resolution.problem, let site = self.backendSites[ref] {
                self.diagnostics.append(
                    Diagnostic(.warning, file: site.file, line: site.line, object: site.object, field: site.field,
                               message: "\(problem); requests routed here get 503"))
            }
            backends.append(Backend(ref: ref, endpoints: resolution.endpoints, unavailableReason: resolution.problem))
        }
        let hosts = self.hostOrder.sorted { $0.description < $1.description }.map { pattern in
            (pattern, VirtualHost(name: pattern.description, routes: Self.ordered(self.hostRoutes[pattern] ?? []),
                                  fallback: self.hostFallbacks[pattern]))
        }
        let anyHost = self.anyHostRoutes.map {
            VirtualHost(name: "*", routes: Self.ordered($0), fallback: self.anyHostFallback)
        }
        let table = RouteTable(hosts: hosts, anyHost: anyHost, defaultRoute: self.defaultRoute)
        return IngressCompiler.Output(
            snapshot: RoutingSnapshot(routes: table, backends: backends), diagnostics: self.diagnostics)
    }

    /// Exact before Prefix; longer Prefix first (Ingress API: "the longest matching path wins;
    /// if two paths are still equally matched, Exact takes precedence over Prefix").
    static func ordered(_ routes: [Route]) -> [Route] {
        let exact = routes.filter { if case .exact = $0.match { true } else { false } }
        let prefix = routes.enumerated().filter { if case .prefix = $0.element.match { true } else { false } }
            .sorted { lhs, rhs in
                let l = lhs.element.match.pathText.utf8.count
                let r = rhs.element.match.pathText.utf8.count
                return l != r ? l > r : lhs.offset < rhs.offset
            }
            .map(\.element)
        return exact + prefix
    }
}
