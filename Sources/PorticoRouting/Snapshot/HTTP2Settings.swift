/// HTTP/2 on the client side, from the controller ConfigMap's keys (ingress-nginx's
/// `use-http2`, `http2-max-concurrent-streams`, `http2-max-header-size`; nginx.tmpl writes
/// `http2 on` in every server, so it holds on the plain port too, by prior knowledge). Nil: the
/// key is not set and the default (ingress-nginx's) stands.
public struct HTTP2Settings: Hashable, Sendable {
    /// `use-http2` (true): ALPN offers `h2`, and the plain port takes the connection preface.
    public var enabled: Bool?
    /// `http2-max-concurrent-streams` (128): SETTINGS_MAX_CONCURRENT_STREAMS; a stream past it
    /// is refused (REFUSED_STREAM, RFC 9113 §5.1.2).
    public var maxConcurrentStreams: Int?
    /// `http2-max-header-size`: SETTINGS_MAX_HEADER_LIST_SIZE, the decoded header list's
    /// size. Unset: `large-client-header-buffers`' count × size (32 KiB), as nginx ≥ 1.19.7
    /// bounds HTTP/2 headers by those buffers.
    public var maxHeaderListSize: Int?

    public init() {}

    public static let defaultMaxConcurrentStreams = 128
}
