/// TLS to the upstream: `backend-protocol: HTTPS` with ingress-nginx's `proxy-ssl-*`
/// annotations (`annotations/proxyssl/main.go`, nginx's `proxy_ssl_*`). Part of the backend's
/// identity: routes that reach one Service over TLS and over plain HTTP (or with other
/// certificates) get separate backends, so their pooled connections never mix.
public struct UpstreamTLS: Hashable, Sendable {
    /// `proxy-ssl-verify` (default off, as nginx's `proxy_ssl_verify`).
    public var verify = false
    /// `proxy-ssl-verify-depth` (default 1).
    public var verifyDepth = 1
    /// `proxy-ssl-secret`'s `ca.crt`: the CAs the upstream's chain must lead to.
    public var trustedCertificatesPEM: [UInt8]?
    /// `proxy-ssl-secret`'s `tls.crt` and `tls.key`: the certificate Portico presents.
    public var clientCertificatePEM: [UInt8]?
    public var clientKeyPEM: [UInt8]?
    /// The Secret, `namespace/name`, for errors.
    public var secret: String?
    /// `proxy-ssl-name`: the name the certificate must cover (and the SNI sent); nil: the
    /// Service's DNS name `service.namespace.svc`.
    public var name: String?
    /// `proxy-ssl-server-name` (default off): send the name as SNI.
    public var sendsServerName = false
    /// `proxy-ssl-protocols`: the lowest and highest version listed; nil: TLS 1.2 to 1.3.
    public var protocols: ServerSettings.TLSProtocolRange?
    /// `proxy-ssl-ciphers`: an OpenSSL cipher list; nil: OpenSSL's default.
    public var ciphers: String?
    /// `backend-protocol: GRPCS`: ALPN offers `h2`.
    public var offersHTTP2 = false

    public init() {}

    /// The name verified (and sent as SNI) for a backend.
    public func serverName(for ref: BackendRef) -> String {
        self.name ?? (ref.isHost ? ref.service : "\(ref.service).\(ref.namespace).svc")
    }
}
