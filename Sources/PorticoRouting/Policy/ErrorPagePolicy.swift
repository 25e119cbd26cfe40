/// `custom-http-errors` with `default-backend` (ingress-nginx `annotations/customhttperrors`,
/// `annotations/defaultbackend`; nginx.tmpl `proxy_intercept_errors on`, `error_page <code> =
/// @custom_…`): an answer with one of these statuses — the upstream's, or the proxy's own 502
/// and 504 — is replaced by the default backend's answer to `GET /` with `X-Code` and the other
/// fields its error-page images read.
public struct ErrorPagePolicy: Hashable, Sendable {
    public let codes: Set<Int>
    /// The `default-backend` Service (its first port).
    public let backend: BackendID
    /// `X-Namespace`, `X-Ingress-Name`, `X-Service-Name`, `X-Service-Port` lines of the route.
    public let fields: [UInt8]

    public init(codes: Set<Int>, backend: BackendID, namespace: String, ingress: String, service: String, servicePort: String) {
        self.codes = codes
        self.backend = backend
        self.fields = Array(
            "X-Namespace: \(namespace)\r\nX-Ingress-Name: \(ingress)\r\nX-Service-Name: \(service)\r\nX-Service-Port: \(servicePort)\r\n".utf8)
    }
}
