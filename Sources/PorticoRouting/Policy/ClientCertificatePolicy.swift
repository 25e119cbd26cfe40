import PorticoRegex

/// Client certificates (ingress-nginx's `auth-tls-*`, `annotations/authtls/main.go`): a
/// property of the host, as in nginx.tmpl, where they are `ssl_client_certificate`,
/// `ssl_verify_client` and `ssl_verify_depth` in the host's `server` block. The oldest Ingress
/// of a host that sets `auth-tls-secret` decides for every path of that host.
///
/// The handshake asks for a certificate (the CA's names in the request) and records what it
/// got; the request phase then answers as nginx does: `on` without a certificate, or `on` /
/// `optional` with one that does not verify, 400 (or a 302 to `auth-tls-error-page`, nginx's
/// `error_page 495 496`); a subject not matching `auth-tls-match-cn` 403; otherwise the
/// request goes upstream with `ssl-client-verify`, `ssl-client-subject-dn`,
/// `ssl-client-issuer-dn` (and `ssl-client-cert`, the PEM URL-encoded, with
/// `auth-tls-pass-certificate-to-upstream`).
public struct ClientCertificatePolicy: Hashable, Sendable {
    public enum Verify: String, Hashable, Sendable {
        case on, off, optional
        case optionalNoCA = "optional_no_ca"
    }

    /// What the TLS handshake needs: the CAs (and CRL) a client certificate must chain to.
    public struct Handshake: Hashable, Sendable {
        /// `auth-tls-secret`'s `ca.crt`.
        public var caPEM: [UInt8]
        /// Its `ca.crl`, if any (nginx's `ssl_crl`).
        public var crlPEM: [UInt8]?
        public var verify: Verify
        /// `auth-tls-verify-depth` (1).
        public var depth: Int
        /// `namespace/name` of the Secret, for errors.
        public var secret: String

        public init(caPEM: [UInt8], crlPEM: [UInt8]?, verify: Verify, depth: Int, secret: String) {
            self.caPEM = caPEM
            self.crlPEM = crlPEM
            self.verify = verify
            self.depth = depth
            self.secret = secret
        }
    }

    public var handshake: Handshake
    /// `auth-tls-error-page`: where a refused client is redirected (302) instead of the 400.
    public var errorPage: String?
    /// `auth-tls-pass-certificate-to-upstream`.
    public var passCertificate = false
    /// `auth-tls-match-cn`: a PCRE the subject DN must match (nginx `$ssl_client_s_dn !~`).
    public var matchCN: CompiledRegex?
    /// The secret could not be used: every request of the host is 403, as nginx.tmpl's
    /// `AuthTLSError` branch (`return 403`).
    public var broken: String?

    public init(handshake: Handshake) {
        self.handshake = handshake
    }
}

extension ClientCertificatePolicy {
    /// Equal when configured alike (the regex by its pattern), so an unchanged host compiles to
    /// an equal snapshot.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.handshake == rhs.handshake && lhs.errorPage == rhs.errorPage && lhs.passCertificate == rhs.passCertificate
            && lhs.matchCN?.pattern == rhs.matchCN?.pattern && lhs.broken == rhs.broken
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.handshake)
        hasher.combine(self.matchCN?.pattern)
    }
}
