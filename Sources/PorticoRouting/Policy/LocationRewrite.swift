/// `proxy-redirect-from` / `proxy-redirect-to` (ingress-nginx `annotations/proxy`; nginx
/// `proxy_redirect from to`): an upstream `Location` that starts with `from` reaches the client
/// with that prefix replaced by `to`. ingress-nginx's default (`off`) rewrites nothing.
public struct LocationRewrite: Hashable, Sendable {
    public let from: [UInt8]
    public let to: [UInt8]

    public init(from: String, to: String) {
        self.from = Array(from.utf8)
        self.to = Array(to.utf8)
    }
}
