import PorticoDiagnostics
import PorticoKube
import PorticoRouting

/// One group of annotations that ingress-nginx parses together
/// (`internal/ingress/annotations/<group>/main.go`).
protocol AnnotationGroup {
    /// The annotation names, without prefix, this group acts on.
    static var names: [String] { get }
    static func parse(_ reader: inout AnnotationReader, into annotations: inout IngressAnnotations)
}

/// Everything an Ingress's annotations say: the policy each of its routes carries, plus what the
/// compiler itself needs (regex mode, the rewrite template, app-root).
struct IngressAnnotations {
    var policy = RoutePolicy()
    var useRegex = false
    var rewriteTarget: RewriteTemplate?
    var appRoot: String?
    /// No `session-cookie-path`: the cookie's path is each route's Ingress path (sticky.lua's
    /// `ngx.var.location_path`).
    var cookiePathIsRoutePath = false
    /// `upstream-vhost` before its per-route variables are filled in.
    var upstreamHost: UpstreamHostTemplate?
    /// `server-alias`: more names for the rule hosts.
    var aliases: [String] = []
    /// `from-to-www-redirect`: the `www.` twin of each rule host redirects to it (or back).
    var fromToWWW = false
    /// `service-upstream`: its Services are reached at their cluster IP.
    var serviceUpstream = false
    /// `backend-protocol: HTTPS` with its `proxy-ssl-*` settings.
    var upstreamTLS: UpstreamTLS?
    /// `backend-protocol: GRPC`/`GRPCS`: HTTP/2 to the endpoints.
    var upstreamHTTP2 = false
    /// `auth-tls-*`: client certificates for the Ingress's hosts (the oldest such Ingress of a
    /// host decides for all its paths).
    var clientCertificate: ClientCertificatePolicy?
    /// `ssl-passthrough: "true"` (with `--enable-ssl-passthrough`).
    var sslPassthrough = false
    /// `default-backend`: a Service of the Ingress's namespace, by name.
    var defaultBackendService: String?
    /// `custom-http-errors` (only with `default-backend`); the ConfigMap's until the annotation
    /// sets its own (`customErrorsFromAnnotation`).
    var customErrors: [Int] = []
    var customErrorsFromAnnotation = false
    /// `auth-url`: the auth service as written; the compiler gives it a backend.
    var externalAuth: ExternalAuthAnnotations.Settings?
    /// `mirror-target`: where copies go, as written; the compiler gives it a backend.
    var mirror: MirrorAnnotations.Settings?
    /// `canary: "true"`: the Ingress adds no routes; its backends join the main Ingresses'.
    var canary: CanaryAnnotations.Settings?
    /// The controller's `global-allowed-response-headers` (lower-case), for `custom-headers`.
    var allowedResponseHeaders: Set<String> = []

    /// The registry: adding an annotation is a group here (or a name in one), a `RoutePolicy`
    /// field, and the phase that reads it. Like ingress-nginx's `annotations.Extractor`.
    static let groups: [any AnnotationGroup.Type] = [
        RewriteAnnotations.self, RedirectAnnotations.self, ProxyAnnotations.self, UpstreamAnnotations.self,
        AccessAnnotations.self, DenyAnnotations.self, AffinityAnnotations.self, AliasAnnotations.self, CORSAnnotations.self, AuthAnnotations.self, CanaryAnnotations.self, RateLimitAnnotations.self, ExternalAuthAnnotations.self, MirrorAnnotations.self, ErrorPageAnnotations.self, CustomHeadersAnnotations.self, TracingAnnotations.self, BackendProtocolAnnotations.self, ClientCertificateAnnotations.self, PassthroughAnnotations.self, SnippetAnnotations.self,
    ]

    static let supportedNames: Set<String> = Set(Self.groups.flatMap { $0.names })

    /// Nil when a value makes ingress-nginx drop the Ingress; the reasons are in `diagnostics`.
    /// `defaults`: the controller ConfigMap's; an annotation that is absent (or falls back)
    /// leaves its value.
    static func parse(
        _ ingress: Ingress, object: String, defaults: ControllerSettings = ControllerSettings(), secrets: [String: Secret] = [:],
        configMaps: [String: ConfigMap] = [:], diagnostics: inout [Diagnostic]
    ) -> IngressAnnotations? {
        var reader = AnnotationReader(ingress: ingress, object: object, secrets: secrets, configMaps: configMaps)
        var result = IngressAnnotations()
        result.policy = defaults.location
        result.policy.headers = defaults.headers
        result.allowedResponseHeaders = defaults.allowedResponseHeaders
        result.customErrors = defaults.customErrors
        for group in Self.groups { group.parse(&reader, into: &result) }
        diagnostics += reader.diagnostics
        return reader.dropped ? nil : result
    }

    /// ingress-nginx's `needsRewrite`: a target that differs from the path.
    func rewrite(for path: String) -> RewriteTemplate? {
        guard let target = self.rewriteTarget, target.text != path else { return nil }
        return target
    }

    /// Whether this Ingress puts its hosts in regex mode (template.go `enforceRegexModifier`).
    func forcesRegex(paths: [String]) -> Bool {
        self.useRegex || paths.contains { self.rewrite(for: $0) != nil }
    }

    /// The policy of one route of this Ingress: what depends on the location — the
    /// `upstream-vhost` variables that name its Service, the affinity cookie's default path —
    /// is filled in here. `path`: the Ingress path (`/` for a default backend).
    func policy(namespace: String, ingressName: String, backend: BackendRef, path: String) -> RoutePolicy {
        var policy = self.policy
        if self.cookiePathIsRoutePath { policy.cookieAffinity?.path = path }
        if let template = self.upstreamHost {
            policy.upstreamHost = template.resolved(
                namespace: namespace, ingressName: ingressName, serviceName: backend.service, servicePort: backend.port.description)
        }
        return policy
    }
}
