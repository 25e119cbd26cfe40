import PorticoDiagnostics
import PorticoKube
import PorticoRouting

/// HTTPRoutes and GRPCRoutes compiled into the same routing table as Ingresses: each match of
/// each rule becomes a route on every host it serves, with its method, header, query and
/// listener conditions, its filters as policy, and its weighted backendRefs as a split.
/// Precedence among an HTTPRoute's routes of a host is the Gateway API's
/// (`HTTPRouteRule.matches`): Exact, then RegularExpression, then longer PathPrefix; then
/// method, header and query matches; then the older route, `namespace/name`, rule order. On a
/// host Ingresses also serve, their routes come first among equals (they are older in Portico:
/// it served them before it read Gateways). GRPCRoutes' routes follow, by their own precedence
/// (`GRPCRouteRule.matches`: longer service, longer method, more headers, then the older
/// route); an HTTPRoute and a GRPCRoute never share a listener's hostname (`GRPCRouteSpec.hostnames`).
extension SnapshotBuilder {
    /// Adds every attached HTTPRoute's and GRPCRoute's routes; returns the TLS bindings of the
    /// HTTPS listeners they attach to.
    mutating func addGatewayRoutes(
        _ inputs: GatewayInputs, routes: inout [HostKey: [Route]], hostOrder: inout [HostKey], firstRedirects: inout [HostKey: Bool]
    ) -> [TLSBinding] {
        guard !inputs.httpRoutes.isEmpty || !inputs.grpcRoutes.isEmpty || !inputs.gateways.isEmpty || !inputs.state.gatewayClasses.isEmpty
        else { return [] }
        let grants = ReferenceGrants(inputs.referenceGrants)
        let listeners = GatewayListeners(
            state: inputs.state, controllerName: self.options.gatewayControllerName, certificates: self.certificates, grants: grants,
            diagnostics: &self.diagnostics)
        var bindings: [TLSBinding] = []
        var bound = Set<HostPattern>()
        var unresolved: BackendID?
        var status = listeners.status
        var attached: [String: Int] = [:]  // "namespace/name listener" → routes
        let namespaceLabels = Dictionary(inputs.state.namespaces.map { ($0.metadata.name, $0.metadata.labels) }) { first, _ in first }
        var claims: [String: [Claim]] = [:]  // "namespace/name listener" → what routes of which kind serve there
        // GRPCRoutes' routes per host, with their precedence and the order they were compiled in.
        var grpc: [HostKey: [(specificity: GatewayRouteInput.Specificity, order: Int, route: Route)]] = [:]
        defer {
            for (gateway, value) in status.gateways {
                for index in value.listeners.indices {
                    status.gateways[gateway]!.listeners[index].attachedRoutes = attached["\(gateway) \(value.listeners[index].name)"] ?? 0
                }
            }
            self.gatewayStatus = status
            for (key, list) in grpc {
                let ordered = list.sorted { $0.specificity != $1.specificity ? $0.specificity > $1.specificity : $0.order < $1.order }
                routes[key, default: []] += ordered.map(\.route)
            }
        }
        let inputList = inputs.httpRoutes.map(GatewayRouteInput.init(http:)) + inputs.grpcRoutes.map(GatewayRouteInput.init(grpc:))
        for input in GatewayOrder.sorted(inputList, by: \.route.metadata) {
            let route = input.route
            let name = "\(route.metadata.namespace)/\(route.metadata.name)"
            let object = "\(input.kind.name) \(name)"
            // An invalid hostname leaves the route out, as the API server's validation would
            // refuse it (it must never widen into "any host").
            let invalid = route.hostnames.enumerated().compactMap { index, hostname -> Diagnostic? in
                guard case .failure(let error) = GatewayHostnames.pattern(hostname) else { return nil }
                return Diagnostic(.error, file: route.location.file, line: route.location.line, object: object, field: "spec.hostnames[\(index)]",
                                  message: "\(error); the \(input.kind.name) is left out")
            }
            guard invalid.isEmpty else {
                self.diagnostics += invalid
                continue
            }
            var parents: [GatewayAPIStatus.Parent] = []
            let attachments = self.attachments(
                of: input, object: object, listeners: listeners, namespaceLabels: namespaceLabels, claims: &claims, parents: &parents)
            for listener in Set(attachments.map { "\($0.listener.gateway.metadata.namespace)/\($0.listener.gateway.metadata.name) \($0.listener.listener.name)" }) {
                attached[listener, default: 0] += 1
            }
            var refProblem: (reason: String, message: String)?
            defer {
                if !parents.isEmpty {
                    let generation = route.metadata.generation
                    let written = parents.map { parent in
                        var parent = parent
                        if parent.conditions.first?.status == true {
                            parent.conditions.append(
                                .init("ResolvedRefs", refProblem == nil, refProblem?.reason ?? "ResolvedRefs", refProblem?.message ?? "", generation: generation))
                        }
                        return parent
                    }
                    switch input.kind {
                    case .http: status.httpRoutes[name] = written
                    case .grpc: status.grpcRoutes[name] = written
                    }
                }
            }
            guard !attachments.isEmpty else { continue }
            for (ruleIndex, rule) in route.rules.enumerated() {
                guard let compiled = self.compileRule(rule, of: input, object: object, grants: grants, unresolved: &unresolved, refProblem: &refProblem)
                else { continue }
                for attachment in attachments {
                    for host in attachment.hosts {
                        // Valid: the route's hostnames and the listener's were checked above.
                        let key: HostKey = host.flatMap { try? GatewayHostnames.pattern($0).get() }
                        if routes[key] == nil {
                            hostOrder.append(key)
                            routes[key] = []
                        }
                        if firstRedirects[key] == nil { firstRedirects[key] = false }
                        if attachment.listener.isTLS, let key, let certificate = attachment.listener.certificate, bound.insert(key).inserted {
                            bindings.append(TLSBinding(host: key, certificate: certificate, ingress: attachment.listener.object))
                        }
                        for match in compiled.matches {
                            var policy = compiled.policy
                            if let redirect = compiled.redirect {
                                policy.requestRedirect = RequestRedirect(
                                    scheme: redirect.scheme, hostname: redirect.hostname, port: redirect.port, statusCode: redirect.statusCode,
                                    listenerPort: attachment.listener.listener.port)
                            }
                            let source: RouteSource.Kind
                            switch input.kind {
                            case .http: source = .httpRoute(ruleIndex: ruleIndex, matchIndex: match.index)
                            case .grpc: source = .grpcRoute(ruleIndex: ruleIndex, matchIndex: match.index)
                            }
                            let compiledRoute = Route(
                                    match: match.path, backend: compiled.backend,
                                    source: RouteSource(ingress: name, kind: source),
                                    rewrite: match.rewrite, policy: policy,
                                    metricLabels: self.labelCache.labels(
                                        namespace: route.metadata.namespace, ingress: route.metadata.name, service: compiled.service,
                                        path: rule.matches[match.index].pathValue, host: host ?? "_", port: compiled.port, upstream: compiled.upstream),
                                    conditions: RouteConditions(
                                        listener: attachment.listener.isTLS ? .tls : .plain, method: match.method, headers: match.headers,
                                        query: match.query))
                            switch input.kind {
                            case .http: routes[key]!.append(compiledRoute)
                            case .grpc:
                                grpc[key, default: []].append(
                                    (input.specificity[ruleIndex][match.index], grpc[key]?.count ?? 0, compiledRoute))
                            }
                        }
                    }
                }
            }
        }
        return bindings
    }

    /// A listener a route attaches to, with the hostnames it serves there (nil: any host).
    struct Attachment {
        var listener: GatewayListeners.Listener
        var hosts: [String?]
    }

    /// A route attached to a listener: its kind, object and the hostnames it serves there.
    struct Claim {
        var kind: GatewayRouteInput.Kind
        var object: String
        var hosts: [String?]
    }

    /// The listeners of our Gateways `input`'s parentRefs name and admit it: the listener's
    /// `allowedRoutes` (namespaces and kinds) and a hostname both admit, and no route of the
    /// other kind (HTTPRoute, GRPCRoute) attached before it serves an intersecting hostname
    /// there (`GRPCRouteSpec.hostnames`: exactly one is accepted, the older, then by
    /// `namespace/name`, the order routes are compiled in). Each listener kind (plain, TLS)
    /// and host once.
    private mutating func attachments(
        of input: GatewayRouteInput, object: String, listeners: GatewayListeners, namespaceLabels: [String: [String: String]],
        claims: inout [String: [Claim]], parents: inout [GatewayAPIStatus.Parent]
    ) -> [Attachment] {
        let route = input.route
        let labels = Namespace.labels(of: route.metadata.namespace, declared: namespaceLabels[route.metadata.namespace] ?? [:])
        var result: [Attachment] = []
        var seen = Set<String>()
        let namespace = route.metadata.namespace
        func report(_ severity: Diagnostic.Severity, _ ref: ParentReference, _ message: String) {
            self.diagnostics.append(
                Diagnostic(severity, file: route.location.file, line: ref.line ?? route.location.line, object: object, field: ref.field, message: message))
        }
        for ref in route.parentRefs {
            guard let candidates = listeners.listeners(for: ref, routeNamespace: namespace) else {
                report(.info, ref, "ignored: \(ref.kind) \(ref.namespace ?? namespace)/\(ref.name) is not a Gateway of ours")
                continue
            }
            let generation = route.metadata.generation
            guard !candidates.isEmpty else {
                let message = "Gateway \(ref.namespace ?? namespace)/\(ref.name) has no listener \(ref.sectionName.map { "named \($0)" } ?? "")\(ref.port.map { " on port \($0)" } ?? "") that Portico serves"
                report(.error, ref, message + ": NoMatchingParent")
                parents.append(GatewayAPIStatus.Parent(ref: ref, conditions: [.init("Accepted", false, "NoMatchingParent", message, generation: generation)]))
                continue
            }
            // A parentRef attaches where it can; why it attaches nowhere is said only then.
            var refusals: [String] = []
            var reason: String?
            var attachedHere = false
            for candidate in candidates {
                let allowed = candidate.listener.allowedRoutes
                let gatewayNamespace = candidate.gateway.metadata.namespace
                switch allowed.namespacesFrom {
                case "All": break
                case "Same" where namespace == gatewayNamespace: break
                case "Selector" where allowed.namespaceSelector.matches(labels): break
                case "Selector":
                    reason = reason ?? "NotAllowedByListeners"
                    refusals.append("listener \(candidate.listener.name) of \(candidate.object) selects namespaces by label, and namespace \(route.metadata.namespace)'s do not match: NotAllowedByListeners")
                    continue
                default:
                    reason = reason ?? "NotAllowedByListeners"
                    refusals.append("listener \(candidate.listener.name) of \(candidate.object) admits routes of namespace \(gatewayNamespace) only: NotAllowedByListeners")
                    continue
                }
                if !allowed.kinds.isEmpty, !allowed.kinds.contains(input.kind.groupKind) {
                    reason = reason ?? "NotAllowedByListeners"
                    refusals.append("listener \(candidate.listener.name) of \(candidate.object) admits \(allowed.kinds.map(\.description).joined(separator: ", ")), not \(input.kind.name): NotAllowedByListeners")
                    continue
                }
                let hosts = GatewayHostnames.intersect(listener: candidate.listener.hostname, route: route.hostnames)
                guard !hosts.isEmpty else {
                    reason = reason ?? "NoMatchingListenerHostname"
                    refusals.append("no hostname of the route is one listener \(candidate.listener.name) (\(candidate.listener.hostname ?? "any")) of \(candidate.object) serves: NoMatchingListenerHostname")
                    continue
                }
                let listenerKey = "\(gatewayNamespace)/\(candidate.gateway.metadata.name) \(candidate.listener.name)"
                if let rival = claims[listenerKey]?.first(where: { $0.kind != input.kind && GatewayHostnames.overlap($0.hosts, hosts) }) {
                    reason = reason ?? "NotAllowedByListeners"
                    refusals.append("listener \(candidate.listener.name) of \(candidate.object) already serves \(rival.object) on an intersecting hostname, and an HTTPRoute and a GRPCRoute may not share one (the older is accepted): NotAllowedByListeners")
                    continue
                }
                claims[listenerKey, default: []].append(Claim(kind: input.kind, object: object, hosts: hosts))
                attachedHere = true
                let fresh = hosts.filter { seen.insert("\(candidate.isTLS) \($0 ?? "")").inserted }
                if !fresh.isEmpty { result.append(Attachment(listener: candidate, hosts: fresh)) }
            }
            if attachedHere {
                parents.append(GatewayAPIStatus.Parent(ref: ref, conditions: [.init("Accepted", true, "Accepted", generation: generation)]))
            } else {
                report(.error, ref, "attached to no listener: " + refusals.joined(separator: "; "))
                parents.append(
                    GatewayAPIStatus.Parent(
                        ref: ref, conditions: [.init("Accepted", false, reason ?? "NotAllowedByListeners", refusals.joined(separator: "; "), generation: generation)]))
            }
        }
        return result
    }
}

/// The Gateway API objects of a state, for the builder.
struct GatewayInputs {
    let state: ClusterState
    var gateways: [Gateway] { self.state.gateways }
    var httpRoutes: [HTTPRoute] { self.state.httpRoutes }
    var grpcRoutes: [GRPCRoute] { self.state.grpcRoutes }
    var referenceGrants: [ReferenceGrant] { self.state.referenceGrants }
}
