import PorticoDiagnostics
import PorticoKube
import PorticoRouting
import Yams

/// `portico convert`: Ingresses (with their nginx annotations) as Gateway API manifests.
///
/// It converts the **compiled** table, not the annotations' text, so what it writes is what
/// Portico serves: regex mode as ingress-nginx puts a whole host in it, rewrites, redirects,
/// canaries, fallbacks. Each Ingress becomes one HTTPRoute per host it names (an HTTPRoute's
/// hostnames apply to all its rules); a host with TLS gets an HTTPS listener with the same
/// certificate and, as ingress-nginx's `ssl-redirect`, an HTTP route that redirects (308).
/// Every annotation without a Gateway API equivalent is named in a note.
public enum IngressConversion {
    public struct Options: Sendable {
        public var gatewayName = "portico"
        public var gatewayNamespace = "default"
        public var gatewayClass = "portico"

        public init() {}
    }

    public struct Output {
        /// Multi-document YAML.
        public var yaml: String
        public var notes: [Diagnostic]
        /// `namespace/name` of each HTTPRoute written → of the Ingress it came from.
        public var origins: [String: String] = [:]
    }

    /// Annotations the conversion carries over (others are named in a note).
    static let carried: Set<String> = [
        "rewrite-target", "use-regex", "ssl-redirect", "force-ssl-redirect", "permanent-redirect", "permanent-redirect-code",
        "temporal-redirect", "temporal-redirect-code", "upstream-vhost", "canary", "canary-weight", "canary-weight-total",
        "canary-by-header", "canary-by-header-value", "mirror-target", "mirror-host", "mirror-request-body",
    ]

    public static func convert(state: ClusterState, snapshot: RoutingSnapshot, options: Options = Options()) -> Output {
        var notes: [Diagnostic] = []
        var documents: [[String: Any]] = []
        let ingresses = Dictionary(state.ingresses.map { ("\($0.metadata.namespace)/\($0.metadata.name)", $0) }) { first, _ in first }
        for ingress in state.ingresses {
            for (key, _) in ingress.metadata.annotations.sorted(by: { $0.key < $1.key }) where key.hasPrefix("nginx.ingress.kubernetes.io/") {
                let name = String(key.dropFirst("nginx.ingress.kubernetes.io/".count))
                guard !Self.carried.contains(name) else { continue }
                notes.append(
                    Diagnostic(.warning, file: ingress.location.file, line: ingress.location.line,
                               object: "Ingress \(ingress.metadata.namespace)/\(ingress.metadata.name)", field: "metadata.annotations[\(key)]",
                               message: "no Gateway API equivalent: not converted"))
            }
        }
        // Listeners: one HTTP, one HTTPS per TLS host.
        var listeners: [[String: Any]] = [["name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": ["namespaces": ["from": "All"]]]]
        var tlsHosts: [String: String] = [:]  // host → listener name
        for (index, binding) in snapshot.tls.enumerated() {
            guard let secret = Self.secretName(binding, ingresses: ingresses) else {
                notes.append(Diagnostic(.warning, object: binding.owner, field: "tls host \(binding.host)", message: "no certificate to reference; no HTTPS listener"))
                continue
            }
            let name = "https-\(index)"
            tlsHosts[binding.host.description] = name
            var ref: [String: Any] = ["kind": "Secret", "name": secret.name]
            if secret.namespace != options.gatewayNamespace { ref["namespace"] = secret.namespace }
            listeners.append([
                "name": name, "protocol": "HTTPS", "port": 443, "hostname": binding.host.description,
                "tls": ["mode": "Terminate", "certificateRefs": [ref]], "allowedRoutes": ["namespaces": ["from": "All"]],
            ])
            if secret.namespace != options.gatewayNamespace {
                documents.append(Self.secretGrant(namespace: secret.namespace, name: secret.name, from: options.gatewayNamespace))
            }
        }
        documents.insert(
            [
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": ["name": options.gatewayClass],
                "spec": ["controllerName": CompileOptions.defaultGatewayControllerName],
            ], at: 0)
        documents.insert(
            [
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                "metadata": ["name": options.gatewayName, "namespace": options.gatewayNamespace],
                "spec": ["gatewayClassName": options.gatewayClass, "listeners": listeners],
            ], at: 1)

        // Routes, grouped by Ingress and host, in the table's order.
        var groups: [(ingress: String, host: String?, routes: [(route: Route, fallback: Bool)], tls: Bool)] = []
        func add(_ route: Route, host: String?, fallback: Bool, tls: Bool) {
            if let index = groups.firstIndex(where: { $0.ingress == route.source.ingress && $0.host == host }) {
                groups[index].routes.append((route, fallback))
            } else {
                groups.append((route.source.ingress, host, [(route, fallback)], tls))
            }
        }
        for virtualHost in snapshot.routes.listing where virtualHost.redirectTo == nil {
            let host = virtualHost.name == "*" ? nil : virtualHost.name
            for route in virtualHost.routes where route.conditions == nil { add(route, host: host, fallback: false, tls: virtualHost.hasTLS) }
            if let fallback = virtualHost.fallback { add(fallback, host: host, fallback: true, tls: virtualHost.hasTLS) }
        }
        if let route = snapshot.routes.defaultRoute, route.source.ingress.contains("/") { add(route, host: nil, fallback: true, tls: false) }
        var names = Set<String>()
        var origins: [String: String] = [:]
        for group in groups {
            guard let ingress = ingresses[group.ingress] else { continue }
            let namespace = ingress.metadata.namespace
            var name = ingress.metadata.name
            if !names.insert("\(namespace)/\(name)").inserted {
                name = "\(ingress.metadata.name)-\(Self.slug(group.host ?? "any"))"
                names.insert("\(namespace)/\(name)")
            }
            var rules: [[String: Any]] = []
            for (route, fallback) in group.routes {
                rules += Self.rules(for: route, fallback: fallback, snapshot: snapshot, state: state, ingress: ingress, notes: &notes)
            }
            let listener = group.host.flatMap { tlsHosts[$0] }
            let redirects = group.tls && listener != nil && group.routes.contains { $0.route.policy.sslRedirect }
            let object = "Ingress \(group.ingress)"
            if let host = group.host, host.hasPrefix("*.") {
                notes.append(
                    Diagnostic(.warning, file: ingress.location.file, line: ingress.location.line, object: object, field: "spec.rules[].host",
                               message: "\(host) stands for one label in the Ingress API and for any number in the Gateway API: deeper names are served after conversion"))
            }
            if redirects, group.routes.contains(where: { !$0.route.policy.preserveTrailingSlash }) {
                notes.append(
                    Diagnostic(.info, file: ingress.location.file, line: ingress.location.line, object: object, field: "spec.tls",
                               message: "ssl-redirect to HTTPS becomes a RequestRedirect (308), which keeps the trailing / ingress-nginx drops from the request URI"))
            }
            var parents: [[String: Any]] = []
            if let listener { parents.append(Self.parent(options, section: listener)) }
            if !redirects { parents.append(Self.parent(options, section: "http")) }
            documents.append(Self.route(name: name, namespace: namespace, host: group.host, parents: parents, rules: rules))
            origins["\(namespace)/\(name)"] = group.ingress
            if redirects {
                origins["\(namespace)/\(name)-https-redirect"] = group.ingress
                documents.append(
                    Self.route(
                        name: "\(name)-https-redirect", namespace: namespace, host: group.host, parents: [Self.parent(options, section: "http")],
                        rules: [["filters": [["type": "RequestRedirect", "requestRedirect": ["scheme": "https", "statusCode": 308]]]]]))
            }
        }
        let yaml = documents.compactMap { try? Yams.dump(object: $0, sortKeys: true) }.joined(separator: "---\n")
        return Output(yaml: yaml, notes: notes, origins: origins)
    }

    /// The HTTPRoute rules of one compiled route: its path, rewrite, redirect and backends
    /// (with the canary's weight); a canary by header value gets a rule of its own, first.
    static func rules(
        for route: Route, fallback: Bool, snapshot: RoutingSnapshot, state: ClusterState, ingress: Ingress, notes: inout [Diagnostic]
    ) -> [[String: Any]] {
        let object = "Ingress \(ingress.metadata.namespace)/\(ingress.metadata.name)"
        func note(_ field: String, _ message: String) {
            notes.append(Diagnostic(.warning, file: ingress.location.file, line: ingress.location.line, object: object, field: field, message: message))
        }
        var match: [String: Any]
        switch route.match {
        case .exact(let bytes): match = ["path": ["type": "Exact", "value": String(decoding: bytes, as: UTF8.self)]]
        case .prefix(let bytes): match = ["path": ["type": "PathPrefix", "value": String(decoding: bytes, as: UTF8.self)]]
        case .regex(let regex):
            // ingress-nginx's `location ~* "^path"`: case-insensitive, anchored at the start only.
            match = ["path": ["type": "RegularExpression", "value": "(?i)(?:\(regex.text)).*"]]
        }
        if fallback { match = ["path": ["type": "PathPrefix", "value": "/"]] }
        var filters: [[String: Any]] = []
        if let rewrite = route.rewrite {
            if rewrite.highestCapture == 0 {
                filters.append(["type": "URLRewrite", "urlRewrite": ["path": ["type": "ReplaceFullPath", "replaceFullPath": rewrite.text]]])
            } else {
                note("metadata.annotations[nginx.ingress.kubernetes.io/rewrite-target]",
                     "\(rewrite.text) uses regex captures, which URLRewrite cannot express: \(route.match.pathText) is converted without its rewrite")
            }
        }
        if let host = route.policy.upstreamHost {
            if host.description.contains("$") {
                note("metadata.annotations[nginx.ingress.kubernetes.io/upstream-vhost]", "\(host) uses nginx variables: not converted")
            } else if let index = filters.firstIndex(where: { $0["type"] as? String == "URLRewrite" }) {
                var rewrite = filters[index]["urlRewrite"] as? [String: Any] ?? [:]
                rewrite["hostname"] = host.description
                filters[index]["urlRewrite"] = rewrite
            } else {
                filters.append(["type": "URLRewrite", "urlRewrite": ["hostname": host.description]])
            }
        }
        for mirror in route.policy.mirrors {
            let ref = snapshot.backends[mirror.backend].ref
            let field = "metadata.annotations[nginx.ingress.kubernetes.io/mirror-target]"
            if ref.isHost || ref.namespace != ingress.metadata.namespace || !mirror.withBody
                || (mirror.path != .asUpstream && mirror.path != .template([[], []]))
            {
                note(field, "\(mirror.target): a RequestMirror copies the request, body included, to a Service of the route's namespace, so only such a Service's URL with $request_uri (or no path) converts: not converted")
            } else if let port = Self.port(of: ref, in: state) {
                filters.append(["type": "RequestMirror", "requestMirror": ["backendRef": ["name": ref.service, "port": port]]])
                notes.append(
                    Diagnostic(.info, file: ingress.location.file, line: ingress.location.line, object: object, field: field,
                               message: "the RequestMirror's copy keeps the request's Host (ingress-nginx's sends \(String(decoding: mirror.host ?? [], as: UTF8.self)))\(route.rewrite == nil ? "" : " and asks for the rewritten path (ingress-nginx's for $request_uri)")"))
            }
        }
        if let redirect = route.policy.redirect {
            guard let filter = Self.redirectFilter(redirect) else {
                note("metadata.annotations[nginx.ingress.kubernetes.io/\(redirect.annotation)]",
                     "\(String(decoding: redirect.location, as: UTF8.self)) (\(redirect.code)) is no URL a RequestRedirect can write: \(route.match.pathText) is not converted")
                return []
            }
            note("metadata.annotations[nginx.ingress.kubernetes.io/\(redirect.annotation)]",
                 "\(redirect.annotation) answers without the request's query; the RequestRedirect it becomes keeps it")
            return [["matches": [match], "filters": [filter]]]
        }
        let backend = snapshot.backends[route.backend].ref
        guard let port = Self.port(of: backend, in: state) else {
            note("spec", "Service \(backend.namespace)/\(backend.service) has no port \(backend.port) to name by number: \(route.match.pathText) is not converted")
            return []
        }
        var refs: [[String: Any]] = [["name": backend.service, "port": port]]
        var rules: [[String: Any]] = []
        if let canary = route.policy.canary {
            let canaryRef = snapshot.backends[canary.backend].ref
            if let canaryPort = Self.port(of: canaryRef, in: state) {
                let canaryBackend: [String: Any] = ["name": canaryRef.service, "port": canaryPort]
                if let header = canary.header, let value = canary.headerValue {
                    var headerMatch = match
                    headerMatch["headers"] = [["name": String(decoding: header, as: UTF8.self), "value": String(decoding: value, as: UTF8.self)]]
                    rules.append(["matches": [headerMatch], "backendRefs": [canaryBackend]] as [String: Any])
                } else if canary.header != nil || canary.cookie != nil {
                    note("metadata.annotations", "canary \(canary.ingress): only canary-by-header with a value and canary-weight convert; its other rules are not converted")
                }
                if canary.weight > 0 {
                    refs = [["name": backend.service, "port": port, "weight": canary.weightTotal - canary.weight],
                            canaryBackend.merging(["weight": canary.weight]) { $1 }]
                }
            }
        }
        var rule: [String: Any] = ["matches": [match], "backendRefs": refs]
        if !filters.isEmpty { rule["filters"] = filters }
        rules.append(rule)
        return rules
    }

    /// `permanent-redirect`/`temporal-redirect`'s URL as a RequestRedirect: scheme, host, port
    /// and path; nil when the URL does not split so (a query cannot be expressed).
    static func redirectFilter(_ redirect: FixedRedirect) -> [String: Any]? {
        let url = String(decoding: redirect.location, as: UTF8.self)
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let scheme = String(url[..<schemeEnd.lowerBound])
        let rest = url[schemeEnd.upperBound...]
        let pathStart = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<pathStart]
        let path = String(rest[pathStart...])
        guard !path.contains("?"), [301, 302, 303, 307, 308].contains(redirect.code) else { return nil }
        let parts = authority.split(separator: ":")
        var value: [String: Any] = ["scheme": scheme, "hostname": String(parts.first ?? ""), "statusCode": redirect.code]
        if parts.count == 2, let port = Int(parts[1]) { value["port"] = port }
        value["path"] = ["type": "ReplaceFullPath", "replaceFullPath": path.isEmpty ? "/" : path]
        return ["type": "RequestRedirect", "requestRedirect": value]
    }

    static func port(of ref: BackendRef, in state: ClusterState) -> Int? {
        switch ref.port {
        case .number(let number): return number
        case .name(let name):
            return state.services.first { $0.metadata.namespace == ref.namespace && $0.metadata.name == ref.service }?
                .ports.first { $0.name == name }?.port
        }
    }

    /// The Secret the Ingress's `tls` entry names for this binding's host.
    static func secretName(_ binding: TLSBinding, ingresses: [String: Ingress]) -> (namespace: String, name: String)? {
        guard let ingress = ingresses[binding.ingress] else { return nil }
        for tls in ingress.tls {
            guard let secret = tls.secretName, !secret.isEmpty else { continue }
            let hosts = tls.hosts.compactMap { try? HostPattern.parse($0).get() }
            if hosts.isEmpty || hosts.contains(where: { $0.covers(binding.host) }) { return (ingress.metadata.namespace, secret) }
        }
        return nil
    }

    static func parent(_ options: Options, section: String) -> [String: Any] {
        ["name": options.gatewayName, "namespace": options.gatewayNamespace, "sectionName": section]
    }

    static func route(name: String, namespace: String, host: String?, parents: [[String: Any]], rules: [[String: Any]]) -> [String: Any] {
        var spec: [String: Any] = ["parentRefs": parents, "rules": rules]
        if let host { spec["hostnames"] = [host] }
        return ["apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": ["name": name, "namespace": namespace], "spec": spec]
    }

    static func secretGrant(namespace: String, name: String, from: String) -> [String: Any] {
        [
            "apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
            "metadata": ["name": "portico-gateway-\(Self.slug(name))", "namespace": namespace],
            "spec": ["from": [["group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": from]], "to": [["group": "", "kind": "Secret", "name": name]]],
        ]
    }

    static func slug(_ text: String) -> String {
        String(text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }).trimmingCharacters(in: ["-"])
    }
}
