/// PEM bytes of a certificate chain (leaf first) and its private key, and where they came from.
public struct CertificateSource: Hashable, Sendable, CustomStringConvertible {
    /// `Secret default/nip-io`, `file certs/nip-io.crt`, …: what diagnostics name.
    public let origin: String
    public let certificatePEM: [UInt8]
    public let keyPEM: [UInt8]

    public init(origin: String, certificatePEM: [UInt8], keyPEM: [UInt8]) {
        self.origin = origin
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
    }

    public var description: String { self.origin }
}

/// A host with TLS (`spec.tls[].hosts`) and the certificate for it; nil when the Secret could
/// not be found, in which case the host still counts as TLS-configured (HTTP is redirected)
/// and gets the default certificate, as with ingress-nginx.
public struct TLSBinding: Hashable, Sendable {
    public let host: HostPattern
    public let certificate: CertificateSource?
    /// `namespace/name` of the Ingress that configured it (the oldest wins).
    public let ingress: String
    /// What configured it, for messages: `Ingress namespace/name` or `Gateway namespace/name`.
    public var owner: String { self.ingress.hasPrefix("Gateway ") ? self.ingress : "Ingress \(self.ingress)" }
    /// The host's `auth-tls-*`: its handshake asks for a client certificate.
    public let clientCertificates: ClientCertificatePolicy.Handshake?

    public init(host: HostPattern, certificate: CertificateSource?, ingress: String, clientCertificates: ClientCertificatePolicy.Handshake? = nil) {
        self.host = host
        self.certificate = certificate
        self.ingress = ingress
        self.clientCertificates = clientCertificates
    }
}
