import NIOCore
import PorticoPasswords
import PorticoRouting

/// One event loop's cached `auth-url` verdicts (`auth-cache-key`, nginx's `proxy_cache
/// auth_cache` on the auth location): keyed by a SHA-256 of the auth location's zone and the
/// rendered key (as ngx_conf_rewrite_auth.lua keys by a SHA-1 of it: no token is kept), kept
/// for the duration `auth-cache-duration` gives the answer's status. What is kept is what the
/// verdict needs: the status, the `auth-response-headers` lines, the challenge.
struct AuthVerdictCache {
    struct Entry {
        var status: Int
        var copiedFields: ByteBuffer
        var challenge: ByteBuffer?
        var expires: NIODeadline
    }

    static let capacity = 10_000
    private var entries: [CredentialFingerprint: Entry] = [:]

    func lookup(_ key: CredentialFingerprint, now: NIODeadline) -> Entry? {
        guard let entry = self.entries[key], entry.expires > now else { return nil }
        return entry
    }

    /// Keeps a verdict, unless nginx would not cache that answer: its status has no duration,
    /// or it sets a cookie or says `Cache-Control: no-cache`/`no-store`/`private`
    /// (`proxy_cache` honours both).
    mutating func store(_ authorization: Exchange.Authorization, key: CredentialFingerprint, policy: AuthCachePolicy, now: NIODeadline) {
        guard let seconds = policy.seconds(for: authorization.status), seconds > 0, authorization.setCookies == nil,
            !authorization.forbidsCaching
        else { return }
        if self.entries.count >= Self.capacity {
            self.entries = self.entries.filter { $0.value.expires > now }
            if self.entries.count >= Self.capacity { self.entries.removeAll(keepingCapacity: true) }
        }
        self.entries[key] = Entry(
            status: authorization.status, copiedFields: authorization.copiedFields, challenge: authorization.challenge,
            expires: now + .seconds(Int64(seconds)))
    }
}
