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
    /// `session-cookie-conditional-samesite-none`: `SameSite=None` is left off for the browsers
    /// that reject such cookies (util/same_site.lua).
    public let conditionalSameSiteNone: Bool
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
        secure: Bool? = nil, domain: String? = nil, mode: Mode = .balanced, changeOnFailure: Bool = false,
        conditionalSameSiteNone: Bool = false
    ) {
        self.conditionalSameSiteNone = conditionalSameSiteNone
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

extension CookieAffinity {
    /// Whether a browser takes `SameSite=None` (util/same_site.lua, after
    /// chromium.org/updates/same-site/incompatible-clients): Chrome 40–69, iOS 12 and macOS
    /// 10.14 Safari reject such cookies.
    public static func acceptsSameSiteNone(userAgent: some Collection<UInt8>) -> Bool {
        let agent = Array(userAgent)
        func has(_ text: String) -> Bool {
            let needle = Array(text.utf8)
            guard needle.count <= agent.count else { return false }
            return (0...(agent.count - needle.count)).contains { agent[$0..<($0 + needle.count)].elementsEqual(needle) }
        }
        if has("Chrome/4") || has("Chrome/5") || has("Chrome/6") || has("CPU iPhone OS 12") || has("iPad; CPU OS 12") { return false }
        return !(has("Macintosh") && has("Intel Mac OS X 10_14") && has("Safari") && !has("Chrome"))
    }
}
