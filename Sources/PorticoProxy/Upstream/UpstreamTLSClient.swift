import PorticoRouting
import PorticoTLS

/// A backend's TLS to its endpoints (`backend-protocol: HTTPS`): the client SSL_CTX built from
/// its `proxy-ssl-*` settings and the name verified (and sent as SNI when asked). Built with the
/// backend, shared by its endpoints and kept while the settings are, so endpoint churn builds
/// no context.
final class UpstreamTLSClient: Sendable {
    let context: TLSClientContext
    let serverName: String
    let sendsServerName: Bool

    init(_ settings: UpstreamTLS, for ref: BackendRef) throws(TLSError) {
        var pair: CertificateKeyPair?
        if let certificate = settings.clientCertificatePEM, let key = settings.clientKeyPEM {
            pair = try CertificateKeyPair(certificatePEM: certificate, keyPEM: key)
        }
        self.context = try TLSClientContext(
            trustedCertificatesPEM: settings.trustedCertificatesPEM, clientCertificate: pair, verifyPeer: settings.verify,
            verifyDepth: settings.verifyDepth, versions: settings.protocols.map { ($0.lowest, $0.highest) }, cipherList: settings.ciphers,
            offersHTTP2: settings.offersHTTP2)
        self.serverName = settings.serverName(for: ref)
        self.sendsServerName = settings.sendsServerName
    }
}
