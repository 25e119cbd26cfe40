/// `affinity: cookie` (ingress-nginx `annotations/sessionaffinity`): the first response sets a
/// cookie naming the endpoint that answered, and later requests carrying it go back there while
/// that endpoint stays ready; if it left or fails, another is picked and the cookie replaced.
public struct CookieAffinity: Hashable, Sendable {
    /// `session-cookie-name`, default `INGRESSCOOKIE`.
    public let name: String
    /// `session-cookie-path`, default `/`.
    public let path: String
    /// `session-cookie-max-age` in seconds; nil: a session cookie.
    public let maxAge: Int?
    /// `name` as bytes, matched against Cookie fields without building a String per request.
    public let nameBytes: [UInt8]

    public init(name: String = "INGRESSCOOKIE", path: String = "/", maxAge: Int? = nil) {
        self.name = name
        self.nameBytes = Array(name.utf8)
        self.path = path
        self.maxAge = maxAge
    }
}
