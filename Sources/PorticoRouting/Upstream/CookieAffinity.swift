/// `affinity: cookie` (ingress-nginx `annotations/sessionaffinity`, `balancer/sticky*.lua`): a
/// response sets a cookie, and later requests carrying it go to the same endpoint.
public struct CookieAffinity: Hashable, Sendable {
    /// `affinity-mode`.
    public enum Mode: Hashable, Sendable {
        /// `balanced` (the default, sticky_balanced.lua): the cookie holds a random key hashed
        /// onto the endpoints (a consistent hash), so a scale-up moves some sessions to the new
        /// endpoints; the key stays valid whatever the endpoints are.
        case balanced
        /// `persistent` (sticky_persistent.lua): the cookie names its endpoint, which keeps its
        /// sessions until it leaves.
        case persistent
    }

    public let mode: Mode
    /// `session-cookie-change-on-failure` (default false): after a failed attempt the request
    /// moves to another endpoint and the cookie with it; false retries the cookie's endpoint
    /// and keeps the session where it was (sticky.lua `should_pick_new_upstream`).
    public let changeOnFailure: Bool
    /// `session-cookie-name`, default `INGRESSCOOKIE`.
    public let name: String
    /// `session-cookie-path`; without it, the Ingress path of the route (sticky.lua's
    /// `ngx.var.location_path`), filled in by the compiler.
    public var path: String
    /// `session-cookie-max-age` in seconds; nil: a session cookie.
    public let maxAge: Int?
    /// `session-cookie-expires` in seconds from when the cookie is set (`Expires=`).
    public let expires: Int?
    /// `session-cookie-samesite`: `None`, `Lax` or `Strict`.
    public let sameSite: String?
    /// `session-cookie-secure`; nil: Secure exactly when the request came over HTTPS.
    public let secure: Bool?
    /// `session-cookie-domain`.
    public let domain: String?
    /// `name` as bytes, matched against Cookie fields without building a String per request.
    public let nameBytes: [UInt8]

    public init(
        name: String = "INGRESSCOOKIE", path: String = "/", maxAge: Int? = nil, expires: Int? = nil, sameSite: String? = nil,
        secure: Bool? = nil, domain: String? = nil, mode: Mode = .balanced, changeOnFailure: Bool = false
    ) {
        self.mode = mode
        self.changeOnFailure = changeOnFailure
        self.name = name
        self.nameBytes = Array(name.utf8)
        self.path = path
        self.maxAge = maxAge
        self.expires = expires
        self.sameSite = sameSite
        self.secure = secure
        self.domain = domain
    }
}
