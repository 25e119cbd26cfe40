/// The routes of one host, merged from every Ingress that names it, in the order they are tried.
///
/// The compiler decides the order, so matching is a first-match scan, the way Envoy evaluates
/// a virtual host's routes: Exact before Prefix and longer Prefix first; in regex mode, longer
/// path text first (ingress-nginx's location order).
///
/// A reference, as `Route` is: the host lookup of every request hands one pointer over instead
/// of copying nine fields (a retain and a release for each reference among them).
public final class VirtualHost: Sendable, Equatable {
    /// `*` for the rules without a host.
    public let name: String
    public let routes: [Route]
    /// The `spec.defaultBackend` of the oldest Ingress on this host that has one: it answers the
    /// paths no route matched.
    public let fallback: Route?
    /// `app-root`: a request for exactly `/` is redirected (302) here before any route matches.
    public let appRoot: String?
    /// Every path is a case-insensitive, start-anchored regex (ingress-nginx's regex takeover).
    public let usesRegex: Bool
    /// Some Ingress has a `tls:` entry for this host: plain-HTTP requests are redirected to
    /// HTTPS (unless the route's Ingress sets `ssl-redirect: "false"`). One Ingress adding TLS
    /// redirects every path of the host, as ingress-nginx does.
    public let hasTLS: Bool
    /// Plain-HTTP requests that match no path are redirected too: ingress-nginx's host root
    /// location carries the host's first Ingress's `ssl-redirect`.
    public let redirectsUnmatched: Bool
    /// `from-to-www-redirect`: this host exists only to redirect every request to that one
    /// (ingress-nginx's redirect servers, `BuildRedirects`).
    public let redirectTo: String?
    /// `server-alias`: more names that serve this host's routes.
    public let aliases: [HostPattern]

    public init(
        name: String, routes: [Route], fallback: Route?, appRoot: String? = nil, usesRegex: Bool = false,
        hasTLS: Bool = false, redirectsUnmatched: Bool = false, redirectTo: String? = nil, aliases: [HostPattern] = []
    ) {
        self.redirectTo = redirectTo
        self.aliases = aliases
        self.name = name
        self.routes = routes
        self.fallback = fallback
        self.appRoot = appRoot
        self.usesRegex = usesRegex
        self.hasTLS = hasTLS
        self.redirectsUnmatched = hasTLS && redirectsUnmatched
    }

    /// By value: two compilations of the same rules give equal hosts.
    public static func == (lhs: VirtualHost, rhs: VirtualHost) -> Bool {
        lhs === rhs
            || (lhs.name == rhs.name && lhs.routes == rhs.routes && lhs.fallback == rhs.fallback && lhs.appRoot == rhs.appRoot
                && lhs.usesRegex == rhs.usesRegex && lhs.hasTLS == rhs.hasTLS && lhs.redirectsUnmatched == rhs.redirectsUnmatched
                && lhs.redirectTo == rhs.redirectTo && lhs.aliases == rhs.aliases)
    }
}
