/// `affinity: cookie` (ingress-nginx `annotations/sessionaffinity`): the first response sets a
/// cookie naming the endpoint that answered, and later requests carrying it go back there while
/// that endpoint stays ready; if it left or fails, another is picked and the cookie replaced.
public struct CookieAffinity: Hashable, Sendable {
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
        secure: Bool? = nil, domain: String? = nil
    ) {
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
