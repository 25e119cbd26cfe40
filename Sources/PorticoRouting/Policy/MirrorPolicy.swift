/// A copy of each request the route proxies, sent to another backend whose answer is ignored:
/// Gateway API `RequestMirror` (HTTPRouteFilter: "Responses from the mirrored backend are
/// ignored") and ingress-nginx's `mirror-target` (`annotations/mirror/main.go`, nginx's
/// `mirror` with a `proxy_pass` location). The copy is the request as sent upstream (its
/// forwarding fields, its path after rewrites) unless `path`/`host` say otherwise, body
/// included unless `withBody` is off, streamed beside the original; it never slows the
/// original: a copy that cannot keep up is dropped. As nginx's `mirror`, it is sent once the
/// request goes upstream: after the access checks.
public struct MirrorPolicy: Hashable, Sendable {
    /// The target the copy is sent to.
    public enum Path: Hashable, Sendable {
        /// The upstream's (after rewrites).
        case asUpstream
        /// A fixed path, with the client's query appended (nginx's `proxy_pass` URI
        /// replacing the mirror location's).
        case fixed([UInt8])
        /// `mirror-target`'s path with `$request_uri`: these pieces joined by the client's
        /// request target, as written.
        case template([[UInt8]])
    }

    public let backend: BackendID
    /// Where the copy is sent, for `explain` (`namespace/service:port`, or the URL).
    public let target: String
    public let path: Path
    /// The `Host` sent (`mirror-host`, else the URL's host); nil: the upstream's.
    public let host: [UInt8]?
    /// `mirror-request-body` (default on): the body goes too; off, the copy has none.
    public let withBody: Bool
    /// The share of requests mirrored (`RequestMirror`'s `percent` or `fraction`); nil: all.
    public let fraction: Fraction?

    /// `numerator` of every `denominator` requests, drawn per request.
    public struct Fraction: Hashable, Sendable {
        public let numerator: Int
        public let denominator: Int

        public init(numerator: Int, denominator: Int) {
            self.numerator = numerator
            self.denominator = denominator
        }

        /// Whether the request that drew `roll` (uniform over `UInt64`) is mirrored.
        @inlinable
        public func admits(roll: UInt64) -> Bool {
            self.numerator >= self.denominator || Int(roll % UInt64(self.denominator)) < self.numerator
        }
    }

    public init(
        backend: BackendID, target: String, path: Path = .asUpstream, host: [UInt8]? = nil, withBody: Bool = true, fraction: Fraction? = nil
    ) {
        self.backend = backend
        self.target = target
        self.path = path
        self.host = host
        self.withBody = withBody
        self.fraction = fraction
    }

    /// Whether the copy's head differs from the upstream's.
    public var rewritesHead: Bool { self.path != .asUpstream || self.host != nil || !self.withBody }
}
