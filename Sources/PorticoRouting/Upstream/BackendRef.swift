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

    public init(namespace: String, service: String, port: Port) {
        self.namespace = namespace
        self.service = service
        self.port = port
    }

    /// `namespace/service:port`, the form `portico check` cases and `portico routes` use.
    public var description: String { "\(self.namespace)/\(self.service):\(self.port)" }

    public static func < (lhs: BackendRef, rhs: BackendRef) -> Bool {
        (lhs.namespace, lhs.service, lhs.port) < (rhs.namespace, rhs.service, rhs.port)
    }
}
