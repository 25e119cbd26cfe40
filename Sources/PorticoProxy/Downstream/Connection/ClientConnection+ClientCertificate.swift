import NIOCore
import PorticoRouting
import PorticoTLS

/// Phase: client certificate (`auth-tls-*`), right after routing: nginx answers 495/496 as it
/// starts processing the request, before any location, and `auth-tls-match-cn` is the
/// server's first `if`.
extension ClientConnection {
    enum ClientCertificateVerdict: Equatable {
        case status(Int)
        case redirect([UInt8])
    }

    /// What the request gets on a host with `auth-tls-*`; nil: it goes on (with the
    /// `ssl-client-*` fields upstream).
    func clientCertificatePhase(_ policy: ClientCertificatePolicy) -> ClientCertificateVerdict? {
        if policy.broken != nil { return .status(403) }
        // Plain HTTP has no handshake: nginx checks certificates on TLS connections only.
        guard self.isTLS else { return nil }
        let certificate = self.clientCertificate ?? .none
        let refused: Bool
        switch policy.handshake.verify {
        case .on: refused = !certificate.verified  // 496 without one, 495 when it does not verify
        case .optional: refused = certificate.presented && !certificate.verified
        case .optionalNoCA, .off: refused = false
        }
        if refused {
            // nginx answers both with 400 (`ngx_http_process_request`), unless `error_page 495 496`.
            return policy.errorPage.map { .redirect(Array($0.utf8)) } ?? .status(400)
        }
        if let match = policy.matchCN, match.matches(certificate.subject, using: self.loop.routing.regex) != .match { return .status(403) }
        return nil
    }

    /// nginx.tmpl's `proxy_set_header ssl-client-*` lines for this request (a field with an
    /// empty value is not sent, as nginx leaves it out).
    func clientCertificateFields(_ policy: ClientCertificatePolicy) -> [UInt8] {
        guard self.isTLS else { return [] }
        let certificate = self.clientCertificate ?? .none
        var lines = "ssl-client-verify: \(certificate.verify)\r\n"
        if !certificate.subject.isEmpty { lines += "ssl-client-subject-dn: \(certificate.subject)\r\n" }
        if !certificate.issuer.isEmpty { lines += "ssl-client-issuer-dn: \(certificate.issuer)\r\n" }
        if policy.passCertificate, !certificate.pem.isEmpty { lines += "ssl-client-cert: \(Self.escapedCertificate(certificate.pem))\r\n" }
        return Array(lines.utf8)
    }

    /// The client's own `ssl-client-*` fields are never forwarded on such a host: only the
    /// proxy's say what the handshake verified.
    static let clientCertificateFieldNames: [[UInt8]] = ["ssl-client-verify", "ssl-client-subject-dn", "ssl-client-issuer-dn", "ssl-client-cert"].map { Array($0.utf8) }

    /// nginx's `$ssl_client_escaped_cert`: the PEM percent-encoded as a URI component.
    static func escapedCertificate(_ pem: String) -> String {
        PercentEncoding.encode(pem, keeping: PercentEncoding.isUnreserved)
    }
}
