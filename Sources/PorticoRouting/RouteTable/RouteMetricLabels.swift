/// The request labels ingress-nginx's metrics give a route (`internal/ingress/metric/
/// collectors/socket.go` `requestTags`: namespace, ingress, service, path — the Ingress path,
/// never the request's — and host), rendered once at compile time. The compiler hands out one
/// object per distinct label set and keeps it across compilations, so an event loop can count
/// by the object's identity (no label string hashed per request) and a reload does not split a
/// route's series.
public final class RouteMetricLabels: Sendable {
    public let namespace: String
    public let ingress: String
    public let service: String
    public let path: String
    public let host: String
    /// The backend's Service port and ingress-nginx's upstream name (`namespace-service-port`),
    /// for the access log's `$service_port` and `$proxy_upstream_name`.
    public let servicePort: String
    public let upstream: String
    /// `host="…",ingress="…",namespace="…",path="…",service="…"`, escaped for the exposition.
    public let text: String

    public init(namespace: String, ingress: String, service: String, path: String, host: String, servicePort: String = "", upstream: String = "") {
        self.servicePort = servicePort
        self.upstream = upstream
        self.namespace = namespace
        self.ingress = ingress
        self.service = service
        self.path = path
        self.host = host
        let escaped = Self.escaped
        self.text = "host=\"\(escaped(host))\",ingress=\"\(escaped(ingress))\",namespace=\"\(escaped(namespace))\",path=\"\(escaped(path))\",service=\"\(escaped(service))\""
    }

    /// A label value as the Prometheus text format wants it (backslash, quote, newline escaped).
    public static func escaped(_ value: String) -> String {
        value.escaping { character in
            switch character {
            case "\\": "\\\\"
            case "\"": "\\\""
            case "\n": "\\n"
            default: nil
            }
        }
    }
}
