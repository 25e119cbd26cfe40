/// An Ingress backend as written: `service.name` plus `service.port.number` or `.name`, in the
/// Ingress's namespace (networking.k8s.io/v1 `IngressServiceBackend`).
public struct BackendRef: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Port: Hashable, Sendable, Comparable, CustomStringConvertible {
        case number(Int)
        case name(String)

        public var description: String {
            switch self {
            case .number(let number): String(number)
            case .name(let name): name
            }
        }
    }

    public let namespace: String
    public let service: String
    public let port: Port
    /// Not a Service: a host an annotation's URL names (`auth-url`), reached at `port` on the
    /// addresses its DNS name resolves to (like an ExternalName Service's); `service` is the host.
    public let isHost: Bool
    /// `service-upstream`: the Service's cluster IP and port as the one endpoint, so kube-proxy
    /// (or a mesh such as Linkerd) balances, instead of the Pods' addresses.
    public let viaClusterIP: Bool
    /// `backend-protocol: HTTPS` or `GRPCS`: connections to the endpoints speak TLS.
    public let tls: UpstreamTLS?
    /// `backend-protocol: GRPC` or `GRPCS`: connections to the endpoints speak HTTP/2.
    public let http2: Bool

    public init(namespace: String, service: String, port: Port, viaClusterIP: Bool = false, tls: UpstreamTLS? = nil, http2: Bool = false) {
        self.namespace = namespace
        self.service = service
        self.port = port
        self.isHost = false
        self.viaClusterIP = viaClusterIP
        self.tls = tls
        self.http2 = http2
    }

    /// A host and port named by a URL.
    public init(host: String, port: Int) {
        self.namespace = ""
        self.service = host
        self.port = .number(port)
        self.isHost = true
        self.viaClusterIP = false
        self.tls = nil
        self.http2 = false
    }

    /// The backend of a route none of whose Gateway API backendRefs resolved: no Service, no
    /// endpoints, never a warning of its own; the route's split answers its requests with 500.
    public static let unresolved = BackendRef(namespace: "", service: "", port: .number(0))

    public var isUnresolved: Bool { self.service.isEmpty && !self.isHost }

    /// ingress-nginx's upstream name (`upstreamName`: `namespace-service-port`), which its
    /// access log and the metrics' `canary` label use.
    public var upstreamName: String { "\(self.namespace)-\(self.service)-\(self.port)" }

    /// `namespace/service:port`, the form `portico check` cases and `portico routes` use; a
    /// URL's host is `host:port`.
    public var description: String { self.isUnresolved ? "(no backend)" : self.isHost ? "\(self.service):\(self.port)" : "\(self.namespace)/\(self.service):\(self.port)" }

    public static func < (lhs: BackendRef, rhs: BackendRef) -> Bool {
        (lhs.namespace, lhs.service, lhs.port, lhs.flags, lhs.tls?.hashValue ?? 0)
            < (rhs.namespace, rhs.service, rhs.port, rhs.flags, rhs.tls?.hashValue ?? 0)
    }

    private var flags: Int { (self.isHost ? 1 : 0) + (self.viaClusterIP ? 2 : 0) + (self.tls != nil ? 4 : 0) + (self.http2 ? 8 : 0) }
}
