/// How a server-side handshake ended, fired up the pipeline as a user event so the
/// connection's own handler can count it (`portico_tls_handshakes_total`) without the TLS
/// layer knowing about metrics.
public enum TLSHandshakeEvent: Sendable, Equatable {
    /// `http2`: ALPN chose `h2`, so the connection speaks HTTP/2 from here on. `client`: on a
    /// host that asks for client certificates, what the client presented.
    case completed(TLSProtocolVersion, http2: Bool, client: ClientCertificate?)
    /// OpenSSL refused the client's hello or a later handshake message.
    case failed
    /// The client closed before the handshake ended (a TCP health check, a scanner).
    case abandoned
}

/// The negotiated protocol (Portico offers TLS 1.2 and 1.3 by default).
public enum TLSProtocolVersion: Int, Sendable, CaseIterable {
    case tls12, tls13, other

    /// nginx's `$ssl_protocol` spelling.
    public var name: String {
        switch self {
        case .tls12: "TLSv1.2"
        case .tls13: "TLSv1.3"
        case .other: "other"
        }
    }
}
