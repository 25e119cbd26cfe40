/// Gateway API `RequestMirror` (HTTPRouteFilter): a copy of each request the route proxies
/// goes to another backend, and its answer is ignored ("Responses from the mirrored backend
/// are ignored"). The copy is the request as sent upstream (its path after rewrites, its
/// forwarding fields), body included, streamed beside the original; it never slows the
/// original: a copy that cannot keep up is dropped. As nginx's `mirror` (which ingress-nginx's
/// `mirror-target` uses), it is sent once the request goes upstream: after the access checks.
public struct MirrorPolicy: Hashable, Sendable {
    public let backend: BackendID
    /// Where the copy is sent, for `explain` (`namespace/service:port`).
    public let target: String

    public init(backend: BackendID, target: String) {
        self.backend = backend
        self.target = target
    }
}
