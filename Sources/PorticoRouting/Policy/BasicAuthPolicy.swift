/// `auth-type: basic` with `auth-secret` (ingress-nginx `annotations/auth/main.go`; nginx
/// `auth_basic` + `auth_basic_user_file`): a request without a valid `Authorization: Basic`
/// for one of the Secret's users gets 401 with `WWW-Authenticate`; the client's
/// `Authorization` is not sent upstream (nginx.tmpl: `proxy_set_header Authorization ""`).
public struct BasicAuthPolicy: Hashable, Sendable {
    /// `auth-realm`, quoted into the challenge.
    public let realm: String
    /// `namespace/name` of the Secret, for messages.
    public let secret: String
    public let users: BasicAuthUsers
    /// `WWW-Authenticate: Basic realm="<realm>"\r\n`.
    public let challenge: [UInt8]

    public init(realm: String, secret: String, users: BasicAuthUsers) {
        self.realm = realm
        self.secret = secret
        self.users = users
        self.challenge = Array("WWW-Authenticate: Basic realm=\"\(realm)\"\r\n".utf8)
    }
}

/// The `user:hash` lines of an htpasswd file (the Secret's `auth` key, or one key per user with
/// `auth-secret-type: auth-map`), read as nginx's `ngx_http_auth_basic_user_file` reads them:
/// `#` lines are comments, the first line naming a user is the one used, the hash is what
/// follows the first `:` up to the next `:` or the end of line.
///
/// A class so every route of the Ingress shares one table, and so a per-loop cache of verified
/// credentials can hold it by identity: a new configuration is a new table, which no cached
/// answer for the old one can match.
public final class BasicAuthUsers: Hashable, Sendable {
    public let hashes: [String: String]

    public init(htpasswd text: String) {
        var hashes: [String: String] = [:]
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) where !line.hasPrefix("#") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, !parts[0].isEmpty, hashes[String(parts[0])] == nil else { continue }
            hashes[String(parts[0])] = String(parts[1])
        }
        self.hashes = hashes
    }

    public var count: Int { self.hashes.count }

    public func hash(for user: String) -> String? { self.hashes[user] }

    public static func == (lhs: BasicAuthUsers, rhs: BasicAuthUsers) -> Bool { lhs === rhs || lhs.hashes == rhs.hashes }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.hashes.count) }
}
