import PorticoDiagnostics
import PorticoKube
import PorticoRouting

/// Canary Ingresses: each of their paths joins the main route with the same host, path and type
/// as an alternative of that route's backend (ingress-nginx `mergeAlternativeBackends`); every
/// route to that backend then follows the canary's policy, as ingress-nginx's balancer is per
/// upstream. The oldest canary of a backend is the one used (balancer.lua uses
/// `alternative_backends[1]`).
extension SnapshotBuilder {
    mutating func attachCanaries(
        routes: inout [HostKey: [Route]], fallbacks: inout [HostKey: Route], defaultRoute: inout Route?, regexHosts: Set<HostKey>
    ) {
        guard !self.canaries.isEmpty else { return }
        var attached: [BackendID: CanaryPolicy] = [:]
        for entry in self.canaries {
            guard let settings = entry.annotations.canary else { continue }
            func attach(primary: BackendID, _ backend: IngressBackend, field: String) {
                guard let alternative = self.backendID(for: backend, entry) else { return }
                guard alternative != primary else {
                    self.canaryWarning(entry, field: field, "its Service is the main backend of that path itself; the canary is ignored")
                    return
                }
                if let existing = attached[primary] {
                    if existing.ingress != entry.name {
                        self.canaryWarning(entry, field: field, "the main backend already has the older canary \(existing.ingress), which is the one used")
                    }
                    return
                }
                attached[primary] = CanaryPolicy(
                    backend: alternative, ingress: entry.name, header: settings.header, headerValue: settings.headerValue,
                    headerPattern: settings.headerPattern, cookie: settings.cookie, weight: settings.weight,
                    weightTotal: settings.weightTotal, upstreamName: self.backendRefs[alternative].upstreamName)
            }
            if let backend = entry.ingress.defaultBackend {
                if let primary = defaultRoute?.backend {
                    attach(primary: primary, backend, field: "spec.defaultBackend")
                } else {
                    self.canaryWarning(entry, field: "spec.defaultBackend", "there is no catch-all default backend for this canary to join; it serves nothing")
                }
            }
            for (ruleIndex, rule) in entry.ingress.rules.enumerated() {
                let key = entry.patterns[ruleIndex]
                for (pathIndex, path) in (rule.paths ?? []).enumerated() {
                    let field = "spec.rules[\(ruleIndex)].http.paths[\(pathIndex)]"
                    guard let match = self.match(for: path, regex: regexHosts.contains(key), entry, field: field) else { continue }
                    guard let main = routes[key]?.first(where: { $0.match == match }) else {
                        self.canaryWarning(
                            entry, field: field,
                            "no main Ingress has \(match) on host \(key?.description ?? "*"); a canary adds no route of its own, so it serves nothing")
                        continue
                    }
                    attach(primary: main.backend, path.backend, field: field)
                }
            }
        }
        func withCanary(_ route: Route) -> Route {
            guard let canary = attached[route.backend] else { return route }
            var policy = route.policy
            policy.canary = canary
            return route.with(policy: policy)
        }
        for key in routes.keys { routes[key] = routes[key]!.map(withCanary) }
        for key in fallbacks.keys { fallbacks[key] = withCanary(fallbacks[key]!) }
        defaultRoute = defaultRoute.map(withCanary)
    }

    private mutating func canaryWarning(_ entry: Accepted, field: String, _ message: String) {
        self.diagnostics.append(
            Diagnostic(.warning, file: entry.ingress.location.file, line: entry.ingress.location.line, object: entry.object,
                       field: field, message: message))
    }
}
