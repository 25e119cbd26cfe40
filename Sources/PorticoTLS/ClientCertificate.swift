/// What a client's handshake said of its certificate, on a host that asks for one
/// (`auth-tls-*`): nginx's `$ssl_client_verify`, `$ssl_client_s_dn`, `$ssl_client_i_dn` and
/// the certificate's PEM (`$ssl_client_cert`, for `ssl-client-cert`).
public struct ClientCertificate: Sendable, Equatable {
    /// `SUCCESS`, `FAILED:<reason>` (OpenSSL's verify error string) or `NONE`.
    public let verify: String
    /// RFC 2253 distinguished names (nginx ≥ 1.11.6), e.g. `CN=client,O=Example`.
    public let subject: String
    public let issuer: String
    public let pem: String

    public var presented: Bool { self.verify != "NONE" }
    public var verified: Bool { self.verify == "SUCCESS" }

    public static let none = ClientCertificate(verify: "NONE", subject: "", issuer: "", pem: "")

    public init(verify: String, subject: String, issuer: String, pem: String) {
        self.verify = verify
        self.subject = subject
        self.issuer = issuer
        self.pem = pem
    }
}
