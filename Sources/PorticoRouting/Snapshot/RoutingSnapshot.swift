/// The immutable result of compiling the whole cluster state: routes plus resolved backends.
///
/// Built once per configuration change, then swapped in atomically; a request reads one
/// snapshot from start to end. Equatable, so a reload that compiles to the serving snapshot
/// installs nothing.
public struct RoutingSnapshot: Sendable, Equatable {
    public let routes: RouteTable
    /// Indexed by `BackendID`.
    public let backends: [Backend]
    /// Hosts with TLS and their certificates, oldest Ingress first.
    public let tls: [TLSBinding]
    /// The certificate for SNI names no binding covers (`--default-ssl-certificate`,
    /// `certs/default.*`); nil means a self-signed one is generated at start.
    public let defaultCertificate: CertificateSource?
    /// The controller ConfigMap's data-plane settings.
    public let settings: ServerSettings
    /// `ssl-passthrough` hosts (lower-case, exact names as ingress-nginx's TCP proxy compares
    /// them) and the backend of their `/` path: their TLS is not terminated but spliced.
    public let passthrough: [String: BackendID]

    public init(
        routes: RouteTable, backends: [Backend], tls: [TLSBinding] = [], defaultCertificate: CertificateSource? = nil,
        settings: ServerSettings = .defaults, passthrough: [String: BackendID] = [:]
    ) {
        self.routes = routes
        self.backends = backends
        self.tls = tls
        self.defaultCertificate = defaultCertificate
        self.settings = settings
        self.passthrough = passthrough
    }

    /// The same routes with other backends (endpoint-only changes: no route is rebuilt).
    public func replacingBackends(_ backends: [Backend]) -> RoutingSnapshot {
        RoutingSnapshot(
            routes: self.routes, backends: backends, tls: self.tls, defaultCertificate: self.defaultCertificate, settings: self.settings,
            passthrough: self.passthrough)
    }

    public static let empty = RoutingSnapshot(
        routes: RouteTable(hosts: [], anyHost: nil, defaultRoute: nil),
        backends: []
    )
}
