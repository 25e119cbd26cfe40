/// What the rewrite phase of a matched route answers instead of going on.
public enum RewriteAnswer: Equatable, Sendable {
    /// A location its annotations deny (`return 503` in nginx.tmpl).
    case denied
    /// `enable-cors`: an allowed `OPTIONS` is answered 204 with the CORS fields.
    case preflight
    /// `permanent-redirect` / `temporal-redirect`.
    case redirect(FixedRedirect)
    /// An HTTPRoute's `RequestRedirect`: the Location is built from the request.
    case requestRedirect(RequestRedirect)
}

extension RoutePolicy {
    /// The rewrite phase, in nginx.tmpl's order inside a location: a denied location's
    /// `return 503`, the CORS preflight's `return 204`, then `return <code> <url>`. ingress-nginx's
    /// HTTPS redirect runs after these (`rewrite_by_lua` ends nginx's rewrite phase), and the
    /// access checks (allow-list, auth) after that. The data plane and `portico check` both ask
    /// here, so they cannot disagree.
    /// - Parameter isPreflight: `OPTIONS` with an `Origin` this route's CORS policy allows.
    @inlinable
    public func rewriteAnswer(isPreflight: Bool) -> RewriteAnswer? {
        if self.deniedReason != nil { return .denied }
        if isPreflight { return .preflight }
        if let redirect = self.redirect { return .redirect(redirect) }
        if let redirect = self.requestRedirect { return .requestRedirect(redirect) }
        return nil
    }
}
