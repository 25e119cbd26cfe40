import PorticoDiagnostics
import PorticoKube
import PorticoRegex
import PorticoRouting

/// The mutable side of compilation. Ingresses are added oldest first and validated; `build()`
/// then decides which hosts are in regex mode, renders every path, and freezes the result into a
/// `RoutingSnapshot`.
struct SnapshotBuilder {
    let resolver: EndpointResolver
    let certificates: CertificateResolver
    let regexCache: RegexCache
    let labelCache: MetricLabelsCache
    let options: CompileOptions
    /// The controller ConfigMap's settings: every Ingress's policy starts from its defaults.
    let settings: ControllerSettings
    /// Every ConfigMap by `namespace/name` (`custom-headers`).
    let configMaps: [String: ConfigMap]
    var diagnostics: [Diagnostic] = []

    /// An Ingress that passed validation, with what was derived from it.
    struct Accepted {
        var ingress: Ingress
        var name: String
        var object: String
        /// One per rule; nil for a rule without host.
        var patterns: [HostPattern?]
        var annotations: IngressAnnotations
        var forcesRegex: Bool
    }

    private(set) var accepted: [Accepted] = []
    /// Canary Ingresses (`canary: "true"`), validated like the others, oldest first.
    private(set) var canaries: [Accepted] = []
    private var backendIDs: [BackendRef: BackendID] = [:]
    var backendRefs: [BackendRef] = []
    /// Ingresses already warned about a missing `default-backend` Service (once, not per path).
    private var warnedDefaultBackends = Set<String>()
    /// Where each backend was first referenced, to locate its warnings.
    private var backendSites: [BackendTable.Site] = []
    /// `--default-backend-service`'s backend, registered first thing in `build()`.
    private var controllerDefaultBackend: BackendID?
    /// Each host's `auth-tls-*` (the oldest Ingress of the host that sets it), for its routes
    /// and its TLS binding.
    private var clientCertificates: [HostPattern: ClientCertificatePolicy] = [:]
    /// The Gateway API objects, compiled into the same table after the Ingresses.
    let gatewayInputs: GatewayInputs
    /// What their status should say, once compiled.
    var gatewayStatus = GatewayAPIStatus()

    /// The key of a virtual host: its pattern, or nil for the rules without host.
    typealias HostKey = HostPattern?

    init(
        state: ClusterState, options: CompileOptions, regexCache: RegexCache, labelCache: MetricLabelsCache = MetricLabelsCache(),
        settings: ControllerSettings = ControllerSettings()
    ) {
        self.labelCache = labelCache
        self.settings = settings
        self.configMaps = state.configMapsByName
        self.resolver = EndpointResolver(state: state)
        self.gatewayInputs = GatewayInputs(state: state)
        self.certificates = CertificateResolver(state: state)
        self.options = options
        self.regexCache = regexCache
    }

    mutating func add(_ ingress: Ingress) {
        let name = "\(ingress.metadata.namespace)/\(ingress.metadata.name)"
        let object = "Ingress \(name)"
        AnnotationCheck.check(ingress, object: object, into: &self.diagnostics)
        guard
            let annotations = IngressAnnotations.parse(
                ingress, object: object, defaults: self.settings, secrets: self.certificates.secrets, configMaps: self.configMaps,
                diagnostics: &self.diagnostics)
        else {
            return
        }
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
                self.error(ingress, object, line: rule.line, field: "spec.rules[\(index)].host", "\(error); the Ingress is left out")
                return
            }
        }
        let paths = ingress.rules.flatMap { $0.paths ?? [] }.map(\.path)
        let forcesRegex = annotations.forcesRegex(paths: paths)
        if forcesRegex {
            // Its own paths are regexes: one that does not compile leaves the whole Ingress out,
            // as nginx would refuse the configuration.
            for (ruleIndex, rule) in ingress.rules.enumerated() {
                for (pathIndex, path) in (rule.paths ?? []).enumerated() {
                    do {
                        _ = try self.regexCache.regex(for: path.path)
                    } catch {
                        self.error(ingress, object, line: path.line, field: "spec.rules[\(ruleIndex)].http.paths[\(pathIndex)].path",
                                   "\(error); the Ingress is left out")
                        return
                    }
                }
            }
        }
        let entry = Accepted(
            ingress: ingress, name: name, object: object, patterns: patterns, annotations: annotations,
            forcesRegex: annotations.canary == nil && forcesRegex)
        if annotations.canary != nil {
            self.canaries.append(entry)
        } else {
            self.accepted.append(entry)
        }
    }

    private mutating func error(_ ingress: Ingress, _ object: String, line: Int?, field: String, _ message: String) {
        self.diagnostics.append(
            Diagnostic(.error, file: ingress.location.file, line: line ?? ingress.location.line, object: object,
                       field: field, message: message))
    }

    /// Freezes the routes and resolves every backend to its ready endpoints.
    mutating func build() -> IngressCompiler.Output {
        // Regex mode is a property of the host: one Ingress with use-regex or a rewrite puts
        // every path of every Ingress on that host in it (ingress-nginx `enforceRegexModifier`).
        var regexHosts = Set<HostKey>()
        for entry in self.accepted where entry.forcesRegex { regexHosts.formUnion(entry.patterns) }

        self.registerControllerDefaultBackend()
        // auth-tls is the host's (nginx.tmpl's server block): the oldest Ingress setting it.
        var clientCertificates: [HostPattern: ClientCertificatePolicy] = [:]
        for entry in self.accepted {
            guard let policy = entry.annotations.clientCertificate else { continue }
            for key in entry.patterns.compactMap({ $0 }) where clientCertificates[key] == nil { clientCertificates[key] = policy }
        }
        self.clientCertificates = clientCertificates
        var hostOrder: [HostKey] = []
        var routes: [HostKey: [Route]] = [:]
        var fallbacks: [HostKey: Route] = [:]
        var appRoots: [HostKey: String] = [:]
        var firstRedirects: [HostKey: Bool] = [:]
        var defaultRoute: Route?

        for entry in self.accepted {
            let ingress = entry.ingress
            var fallback: Route?
            if let backend = ingress.defaultBackend, let id = self.backendID(for: backend, entry) {
                let route = Route(
                    match: .prefix("/"), backend: id, source: RouteSource(ingress: entry.name, kind: .defaultBackend),
                    policy: self.policy(entry, id), metricLabels: self.metricLabels(entry, id, path: "/", host: ingress.rules.isEmpty ? "_" : nil))
                if !ingress.rules.isEmpty {
                    // With rules, it answers the unmatched paths of this Ingress's own hosts
                    // only (ingress-nginx createServers; e2e ingress/without_host.go).
                    fallback = route
                } else if let owner = defaultRoute {
                    self.diagnostics.append(
                        Diagnostic(.warning, file: ingress.location.file, line: backend.line, object: entry.object,
                                   field: "spec.defaultBackend",
                                   message: "the older Ingress \(owner.source.ingress) is already the catch-all default backend, which wins; this one answers nothing"))
                } else {
                    // No rules: the catch-all for hosts no rule names; the oldest wins.
                    defaultRoute = route
                }
            }
            for (ruleIndex, rule) in ingress.rules.enumerated() {
                let key = entry.patterns[ruleIndex]
                if routes[key] == nil {
                    hostOrder.append(key)
                    routes[key] = []
                }
                if let fallback, fallbacks[key] == nil { fallbacks[key] = fallback }
                if let appRoot = entry.annotations.appRoot, appRoots[key] == nil { appRoots[key] = appRoot }
                if firstRedirects[key] == nil { firstRedirects[key] = entry.annotations.policy.sslRedirect }
                for (pathIndex, path) in (rule.paths ?? []).enumerated() {
                    let field = "spec.rules[\(ruleIndex)].http.paths[\(pathIndex)]"
                    guard let id = self.backendID(for: path.backend, entry) else { continue }
                    guard let match = self.match(for: path, regex: regexHosts.contains(key), entry, field: field) else {
                        continue
                    }
                    if let existing = routes[key]!.first(where: { $0.match == match }) {
                        self.diagnostics.append(
                            Diagnostic(.warning, file: ingress.location.file, line: path.line, object: entry.object, field: field,
                                       message: "\(match) on host \(key?.description ?? "*") is already defined by the older Ingress \(existing.source.ingress), which wins"))
                        continue
                    }
                    var policy = self.policy(entry, id, path: path.path)
                    policy.clientCertificate = key.flatMap { clientCertificates[$0] }
                    routes[key]!.append(
                        Route(match: match, backend: id,
                              source: RouteSource(ingress: entry.name, kind: .rule(ruleIndex: ruleIndex, pathIndex: pathIndex)),
                              rewrite: entry.annotations.rewrite(for: path.path), policy: policy,
                              metricLabels: self.metricLabels(entry, id, path: path.path, host: key?.description ?? "_")))
                }
            }
        }
        if defaultRoute == nil, let id = self.controllerDefaultBackend {
            // ingress-nginx's default server: what no rule and no spec.defaultBackend answers.
            var policy = self.settings.location
            policy.headers = self.settings.headers
            let ref = self.backendRefs[id]
            defaultRoute = Route(
                match: .prefix("/"), backend: id, source: RouteSource(ingress: "--default-backend-service", kind: .defaultBackend),
                policy: policy,
                metricLabels: self.labelCache.labels(
                    namespace: ref.namespace, ingress: "", service: ref.service, path: "/", host: "_", port: ref.port.description,
                    upstream: ref.upstreamName))
        }
        self.attachCanaries(routes: &routes, fallbacks: &fallbacks, defaultRoute: &defaultRoute, regexHosts: regexHosts)
        let gatewayTLS = self.addGatewayRoutes(self.gatewayInputs, routes: &routes, hostOrder: &hostOrder, firstRedirects: &firstRedirects)
        self.regexCache.endCompilation()
        self.labelCache.endCompilation()
        let ruleHosts = Set(hostOrder.compactMap { $0 })
        let aliases = self.aliases(ruleHosts: ruleHosts)
        let twins = self.wwwTwins(ruleHosts: ruleHosts)
        var tls = self.tlsBindings()
        tls += Self.bindings(for: aliases, twins: twins, from: tls)
        // Ingress TLS redirects plain HTTP; a Gateway's HTTPS listener does not (its HTTP
        // listener serves what is attached to it).
        let tlsHosts = Set(tls.map(\.host))
        tls += gatewayTLS
        let defaultCertificate = self.certificates.defaultCertificate(self.options.defaultSSLCertificate, diagnostics: &self.diagnostics)

        let passthrough = self.passthroughHosts(routes: routes)
        let backendTable = BackendTable(refs: self.backendRefs, sites: self.backendSites)
        let routeDiagnostics = self.diagnostics
        let resolved = backendTable.resolve(with: self.resolver)
        func virtualHost(_ key: HostKey) -> VirtualHost {
            let usesRegex = regexHosts.contains(key)
            let list = routes[key] ?? []
            return VirtualHost(
                name: key?.description ?? "*", routes: usesRegex ? Self.regexOrdered(list) : Self.ordered(list),
                fallback: fallbacks[key], appRoot: appRoots[key], usesRegex: usesRegex,
                hasTLS: key.map { tlsHosts.contains($0) } ?? false, redirectsUnmatched: firstRedirects[key] ?? true,
                aliases: key.flatMap { aliases[$0] } ?? [])
        }
        let named = hostOrder.compactMap { $0 }.sorted { $0.description < $1.description }
        let redirectHosts = twins.sorted { $0.from.description < $1.from.description }.map {
            ($0.from, VirtualHost(name: $0.from.description, routes: [], fallback: nil, redirectTo: $0.to.description))
        }
        let table = RouteTable(
            hosts: named.map { ($0, virtualHost($0)) } + redirectHosts,
            anyHost: hostOrder.contains(nil) ? virtualHost(nil) : nil,
            defaultRoute: defaultRoute)
        return IngressCompiler.Output(
            snapshot: RoutingSnapshot(
                routes: table, backends: resolved.backends, tls: tls, defaultCertificate: defaultCertificate, settings: self.settings.server,
                passthrough: passthrough),
            routeDiagnostics: routeDiagnostics, backendTable: backendTable, resolved: resolved, gatewayStatus: self.gatewayStatus)
    }

    /// `ssl-passthrough` hosts and the backend of their `/` path (ingress-nginx's
    /// `PassthroughBackends`: exact host names, the root location only).
    private mutating func passthroughHosts(routes: [HostKey: [Route]]) -> [String: BackendID] {
        var result: [String: BackendID] = [:]
        for entry in self.accepted where entry.annotations.sslPassthrough {
            let field = "metadata.annotations[nginx.ingress.kubernetes.io/ssl-passthrough]"
            guard self.options.enableSSLPassthrough else {
                self.diagnostics.append(
                    Diagnostic(.warning, file: entry.ingress.location.file, line: entry.ingress.location.line, object: entry.object, field: field,
                               message: "ignored without --enable-ssl-passthrough, as ingress-nginx; the hosts are terminated as usual").differing())
                continue
            }
            for key in entry.patterns {
                guard case .exact(let name)? = key else {
                    self.diagnostics.append(
                        Diagnostic(.warning, file: entry.ingress.location.file, line: entry.ingress.location.line, object: entry.object, field: field,
                                   message: "\(key?.description ?? "a rule without host") is no exact host name, which ingress-nginx's TCP proxy compares with the SNI name; not passed through"))
                    continue
                }
                guard result[name] == nil else { continue }
                guard let root = routes[key]?.first(where: { $0.match == .prefix(Array("/".utf8)) }) else {
                    self.diagnostics.append(
                        Diagnostic(.warning, file: entry.ingress.location.file, line: entry.ingress.location.line, object: entry.object, field: field,
                                   message: "\(name) has no / path, whose backend would receive the connections; not passed through"))
                    continue
                }
                result[name] = root.backend
            }
        }
        return result
    }

    /// `spec.tls` entries → one binding per host, the oldest Ingress first. A TLS host must
    /// be one of the same Ingress's rule hosts (ingress-nginx applies it only there); an empty
    /// `hosts` list means all of them.
    private mutating func tlsBindings() -> [TLSBinding] {
        var bindings: [TLSBinding] = []
        var bound = Set<HostPattern>()
        for entry in self.accepted {
            let ruleHosts = entry.patterns.compactMap { $0 }
            for (index, tls) in entry.ingress.tls.enumerated() {
                let field = "spec.tls[\(index)]"
                var source: CertificateSource?
                if let secretName = tls.secretName, !secretName.isEmpty {
                    switch self.certificates.resolve(namespace: entry.ingress.metadata.namespace, name: secretName) {
                    case .success(let found): source = found
                    case .failure(let error):
                        self.diagnostics.append(
                            Diagnostic(.error, file: entry.ingress.location.file, line: tls.line, object: entry.object,
                                       field: field + ".secretName", message: "\(error); its hosts get the default certificate"))
                    }
                } else {
                    self.diagnostics.append(
                        Diagnostic(.warning, file: entry.ingress.location.file, line: tls.line, object: entry.object,
                                   field: field + ".secretName", message: "no secretName; its hosts get the default certificate"))
                }
                let tlsHosts = tls.hosts.isEmpty ? ruleHosts : tls.hosts.compactMap { try? HostPattern.parse($0).get() }
                for tlsHost in tlsHosts {
                    // A wildcard entry (`*.example.com`) serves every rule host it covers
                    // (`kiada.example.com`), as ingress-nginx finds the certificate by its names.
                    let covered = ruleHosts.filter { tlsHost.covers($0) }
                    guard !covered.isEmpty else {
                        self.diagnostics.append(
                            Diagnostic(.warning, file: entry.ingress.location.file, line: tls.line, object: entry.object,
                                       field: field + ".hosts", message: "\(tlsHost) is not a host of this Ingress's rules; ignored"))
                        continue
                    }
                    for host in covered where bound.insert(host).inserted {
                        bindings.append(
                            TLSBinding(host: host, certificate: source, ingress: entry.name, clientCertificates: self.clientCertificates[host].flatMap { $0.broken == nil ? $0.handshake : nil }))
                    }
                }
            }
        }
        return bindings
    }

    /// How a path matches: Exact/Prefix as the Ingress API says, or, on a regex host, the path
    /// text as a case-insensitive, start-anchored regex whatever its type.
    mutating func match(for path: HTTPIngressPath, regex: Bool, _ entry: Accepted, field: String) -> PathMatch? {
        guard regex else {
            switch path.pathType {
            case .exact: return .exact(path.path)
            case .prefix, .implementationSpecific: return .prefix(path.path)
            }
        }
        do {
            let compiled = try self.regexCache.regex(for: path.path)
            return .regex(RegexPath(regex: compiled, text: path.path, pathType: path.pathType.rawValue))
        } catch {
            self.error(entry.ingress, entry.object, line: path.line, field: field + ".path",
                       "\(error) (another Ingress puts this host in regex mode); this path is left out")
            return nil
        }
    }

    /// The route policy of one of the entry's paths, sending to `backend`.
    /// - Parameter path: the Ingress path of the route (`/` for a default backend).
    private mutating func policy(_ entry: Accepted, _ backend: BackendID, path: String = "/") -> RoutePolicy {
        var policy = entry.annotations.policy(
            namespace: entry.ingress.metadata.namespace, ingressName: entry.ingress.metadata.name,
            backend: self.backendRefs[backend], path: path)
        if let name = entry.annotations.defaultBackendService {
            let namespace = entry.ingress.metadata.namespace
            if let port = self.resolver.services[namespace + "/" + name]?.ports.first?.port {
                // ingress-nginx uses the Service's first port, and the location's proxy_pass
                // (its `backend-protocol`) reaches it.
                let id = self.backendID(
                    for: BackendRef(namespace: namespace, service: name, port: .number(port), tls: entry.annotations.upstreamTLS, http2: entry.annotations.upstreamHTTP2),
                    entry, field: "default-backend")
                policy.defaultBackend = id
                // The ConfigMap's codes go to --default-backend-service when there is one (the
                // server-level error_page a location without its own inherits).
                if !entry.annotations.customErrors.isEmpty, entry.annotations.customErrorsFromAnnotation || self.controllerDefaultBackend == nil {
                    let ref = self.backendRefs[backend]
                    policy.errorPages = ErrorPagePolicy(
                        codes: Set(entry.annotations.customErrors), backend: id, namespace: namespace, ingress: entry.ingress.metadata.name,
                        service: ref.service, servicePort: ref.port.description)
                }
            } else if !self.warnedDefaultBackends.contains(entry.name) {
                self.warnedDefaultBackends.insert(entry.name)
                self.diagnostics.append(
                    Diagnostic(.warning, file: entry.ingress.location.file, line: entry.ingress.location.line, object: entry.object,
                               field: "metadata.annotations[nginx.ingress.kubernetes.io/default-backend]",
                               message: "Service \(namespace)/\(name) not found or without ports; ingress-nginx ignores the annotation, and so does Portico"))
            }
        }
        if policy.errorPages == nil, !entry.annotations.customErrorsFromAnnotation, !self.settings.customErrors.isEmpty,
            let id = self.controllerDefaultBackend
        {
            let ref = self.backendRefs[backend]
            policy.errorPages = ErrorPagePolicy(
                codes: Set(self.settings.customErrors), backend: id, namespace: entry.ingress.metadata.namespace, ingress: entry.ingress.metadata.name,
                service: ref.service, servicePort: ref.port.description)
        }
        if let auth = entry.annotations.externalAuth {
            let target: ExternalAuthPolicy.Target
            switch auth.host {
            case .sameHost: target = .sameHost
            case .named(let host): target = .backend(self.backendID(for: host.backendRef, entry, field: "auth-url"), host: Array(auth.hostHeader.utf8))
            }
            policy.externalAuth = ExternalAuthPolicy(
                target: target, path: auth.path, method: auth.method, responseHeaders: auth.responseHeaders, signin: auth.signin,
                requestRedirect: auth.requestRedirect, alwaysSetCookie: auth.alwaysSetCookie, url: auth.url,
                proxySetFields: auth.proxySetFields,
                cache: auth.cacheKey.map {
                    // nginx's key: the server name, the auth location, then the annotation's.
                    AuthCachePolicy(
                        key: $0, durations: auth.cacheDurations.durations, anyStatus: auth.cacheDurations.anyStatus,
                        zone: "\(entry.name) \(auth.url) ")
                })
        }
        if let mirror = entry.annotations.mirror {
            policy.mirrors = [MirrorPolicy(
                backend: self.backendID(for: mirror.host.backendRef, entry, field: "mirror-target"), target: mirror.url, path: mirror.path,
                host: Array(mirror.hostHeader.utf8), withBody: mirror.withBody)]
        }
        return policy
    }

    /// A route's metric labels. `host`: nil for a default backend answering its Ingress's own
    /// hosts (its first rule's host names it, as ingress-nginx's server of that host).
    private func metricLabels(_ entry: Accepted, _ backend: BackendID, path: String, host: String?) -> RouteMetricLabels {
        let ref = self.backendRefs[backend]
        return self.labelCache.labels(
            namespace: entry.ingress.metadata.namespace, ingress: entry.ingress.metadata.name, service: ref.service, path: path,
            host: host ?? entry.patterns.first.flatMap { $0?.description } ?? "_", port: ref.port.description, upstream: ref.upstreamName)
    }

    /// `--default-backend-service`: the Service's first port, as ingress-nginx uses it. A Service
    /// that does not exist is a warning: unmatched requests get 404 until it does.
    private mutating func registerControllerDefaultBackend() {
        guard let name = self.options.defaultBackendService else { return }
        let parts = name.split(separator: "/").map(String.init)
        guard parts.count == 2, let port = self.resolver.services[name]?.ports.first?.port else {
            self.diagnostics.append(
                Diagnostic(.warning, object: "Service \(name)",
                           message: "not found or without ports (--default-backend-service): requests no rule matches get 404, the ConfigMap's custom-http-errors pass the upstream's answer"))
            return
        }
        self.controllerDefaultBackend = self.register(
            BackendRef(namespace: parts[0], service: parts[1], port: .number(port)),
            at: BackendTable.Site(file: "--default-backend-service", line: nil, object: "Service \(name)", field: "spec.ports[0]"))
    }

    /// The backend of a reference an annotation makes (`auth-url`'s host, `default-backend`).
    mutating func backendID(for ref: BackendRef, _ entry: Accepted, field annotation: String) -> BackendID {
        self.register(
            ref,
            at: BackendTable.Site(
                file: entry.ingress.location.file, line: entry.ingress.location.line, object: entry.object,
                field: "metadata.annotations[nginx.ingress.kubernetes.io/\(annotation)]"))
    }

    /// The ID of `ref`, registered with where it was first referenced.
    mutating func register(_ ref: BackendRef, at site: BackendTable.Site) -> BackendID {
        if let id = self.backendIDs[ref] { return id }
        let id = self.backendRefs.count
        self.backendRefs.append(ref)
        self.backendIDs[ref] = id
        self.backendSites.append(site)
        return id
    }

    mutating func backendID(for backend: IngressBackend, _ entry: Accepted) -> BackendID? {
        switch backend.target {
        case .resource(let kind, let name):
            self.diagnostics.append(
                Diagnostic(.warning, file: entry.ingress.location.file, line: backend.line, object: entry.object,
                           field: backend.field, message: "resource backends (\(kind) \(name)) are not supported; this path is left out").differing())
            return nil
        case .service(let service, let port):
            let ref = BackendRef(
                namespace: entry.ingress.metadata.namespace, service: service,
                port: {
                    switch port {
                    case .number(let number): .number(number)
                    case .name(let name): .name(name)
                    }
                }(), viaClusterIP: entry.annotations.serviceUpstream, tls: entry.annotations.upstreamTLS,
                http2: entry.annotations.upstreamHTTP2)
            return self.register(
                ref,
                at: BackendTable.Site(
                    file: entry.ingress.location.file, line: backend.line, object: entry.object, field: backend.field + ".service"))
        }
    }

    /// Exact before Prefix; longer Prefix first (Ingress API: "the longest matching path wins;
    /// if two paths are still equally matched, Exact takes precedence over Prefix"). An
    /// HTTPRoute's RegularExpression paths come between, longer text first; among equal paths,
    /// more conditions first (a method, then more header, then more query matches:
    /// `HTTPRouteRule.matches`); then the order they were added in. GRPCRoutes' routes come
    /// last, in the order the compiler gave them (`GRPCRouteRule.matches` precedence).
    static func ordered(_ routes: [Route]) -> [Route] {
        func rank(_ route: Route) -> (Int, Int) {
            if route.source.isGRPCRoute { return (3, 0) }
            switch route.match {
            case .exact: return (0, 0)
            case .regex(let regex): return (1, -regex.text.utf8.count)
            case .prefix(let bytes): return (2, -bytes.count)
            }
        }
        return routes.enumerated().sorted { lhs, rhs in
            let (l, r) = (rank(lhs.element), rank(rhs.element))
            if l != r { return l < r }
            if !lhs.element.source.isGRPCRoute {
                let lp = lhs.element.conditions?.precedence ?? (0, 0, 0)
                let rp = rhs.element.conditions?.precedence ?? (0, 0, 0)
                if lp != rp { return lp > rp }
            }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }

    /// ingress-nginx's location order on a regex host (controller.go `getBackendServers`): a
    /// stable sort by path text descending, then a stable sort by length descending; so longer
    /// text first, equal lengths in reverse lexicographic order, equal text oldest first. Not by
    /// specificity: `/foo/bar/[a-z]{3}` is tried before `/foo/bar/bar`. GRPCRoutes' routes
    /// come last, in the compiler's order, as in `ordered`.
    static func regexOrdered(_ routes: [Route]) -> [Route] {
        routes.enumerated().sorted { lhs, rhs in
            let (lg, rg) = (lhs.element.source.isGRPCRoute, rhs.element.source.isGRPCRoute)
            if lg || rg { return lg == rg ? lhs.offset < rhs.offset : rg }
            let l = Array(lhs.element.match.pathText.utf8)
            let r = Array(rhs.element.match.pathText.utf8)
            if l.count != r.count { return l.count > r.count }
            if l != r { return l.lexicographicallyPrecedes(r) == false }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}
