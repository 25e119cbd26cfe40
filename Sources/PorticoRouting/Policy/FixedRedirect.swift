/// `permanent-redirect` / `temporal-redirect` (ingress-nginx `annotations/redirect/redirect.go`):
/// every request of the route is answered `return <code> <url>;` (nginx.tmpl), in the rewrite
/// phase — before the access checks and before the HTTPS redirect, so a redirect wins over
/// `auth-type` and `ssl-redirect` as it does in ingress-nginx.
public struct FixedRedirect: Hashable, Sendable {
    /// 301 (or `permanent-redirect-code`, 300–308) / 302 (or `temporal-redirect-code`, 300–307).
    public let code: Int
    /// The annotation's URL, sent as written (its validator admits no nginx variables).
    public let location: [UInt8]
    /// Which annotation asked for it, for `explain`.
    public let annotation: String

    public init(code: Int, location: String, annotation: String = "permanent-redirect") {
        self.code = code
        self.annotation = annotation
        self.location = Array(location.utf8)
    }
}
