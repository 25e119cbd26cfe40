/// Server TLS settings; defaults are ingress-nginx's (config.go, nginx.tmpl).
public struct TLSOptions: Sendable, Hashable {
    /// `ssl-ciphers` for TLS 1.2 (TLS 1.3 suites are OpenSSL's defaults).
    public var cipherList =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384"
    /// Session tickets and the session cache, so returning clients skip the full handshake.
    /// `--tls-session-resumption off` turns both off (to benchmark full handshakes).
    public var sessionResumption = true

    public init() {}
}
