import PorticoRouting

/// Server TLS settings; defaults are ingress-nginx's (config.go, nginx.tmpl).
public struct TLSOptions: Sendable, Hashable {
    /// `ssl-protocols` "TLSv1.2 TLSv1.3", as OpenSSL's lowest and highest version numbers.
    public var lowestVersion: Int32 = 0x0303
    public var highestVersion: Int32 = 0x0304
    /// `ssl-ciphers` for TLS 1.2 (TLS 1.3 suites are OpenSSL's defaults).
    public var cipherList =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384"
    /// `ssl-session-cache` (ingress-nginx default true: `shared:SSL:10m`): a server-side
    /// session cache, so returning clients skip the full handshake.
    public var sessionCache = true
    /// `ssl-session-tickets` (ingress-nginx default false): stateless tickets, whose keys would
    /// have to be shared and rotated across replicas to be safe.
    public var sessionTickets = false
    /// `ssl-session-timeout` (10m).
    public var sessionTimeoutSeconds = 600
    /// `ssl-ecdh-curve`: the key-exchange groups offered, Mozilla's "intermediate" profile.
    public var groups = "X25519:P-256:P-384"
    /// `use-http2` (default true): ALPN offers `h2` before `http/1.1`, as nginx's `http2 on`.
    public var http2 = true

    /// Either way of resuming is on (`--tls-session-resumption off` turns both off, to
    /// benchmark full handshakes).
    public var sessionResumption: Bool { self.sessionCache || self.sessionTickets }

    public init() {}

    /// These options with the controller ConfigMap's `ssl-protocols` and `ssl-ciphers`.
    public func applying(_ settings: ServerSettings) -> TLSOptions {
        var result = self
        if let range = settings.tlsProtocols {
            result.lowestVersion = Int32(range.lowest)
            result.highestVersion = Int32(range.highest)
        }
        if let ciphers = settings.tlsCiphers { result.cipherList = ciphers }
        if let http2 = settings.http2.enabled { result.http2 = http2 }
        return result
    }
}
