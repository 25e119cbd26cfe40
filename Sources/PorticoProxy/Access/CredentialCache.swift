import NIOCore
import PorticoPasswords
import PorticoRouting

/// One event loop's recent basic-authentication verdicts, keyed by the user table and a
/// SHA-256 of the `Authorization` value (no password is kept). nginx computes the hash on every
/// request, which with bcrypt costs milliseconds of its worker; here a client's repeated
/// requests cost one lookup. A verdict lasts a minute; a changed Secret is a new user table, so
/// it never meets a verdict about the old one (the entry holds its table, so the identity
/// cannot be reused while it lives).
struct CredentialCache {
    struct Key: Hashable {
        var users: ObjectIdentifier
        var credential: CredentialFingerprint
    }

    struct Verdict {
        var users: BasicAuthUsers
        var valid: Bool
        var expires: NIODeadline
    }

    static let lifetime = TimeAmount.seconds(60)
    static let capacity = 4096
    private var verdicts: [Key: Verdict] = [:]

    mutating func verify(_ authorization: UnsafeRawBufferPointer, users: BasicAuthUsers, now: NIODeadline) -> Bool {
        let key = Key(users: ObjectIdentifier(users), credential: CredentialFingerprint(authorization))
        if let verdict = self.verdicts[key], verdict.users === users, verdict.expires > now { return verdict.valid }
        let valid = Self.check(authorization, users: users)
        if self.verdicts.count >= Self.capacity { self.verdicts.removeAll(keepingCapacity: true) }
        self.verdicts[key] = Verdict(users: users, valid: valid, expires: now + Self.lifetime)
        return valid
    }

    /// The verification itself, uncached.
    static func check(_ authorization: UnsafeRawBufferPointer, users: BasicAuthUsers) -> Bool {
        guard let credentials = BasicCredentials.parse(authorization),
            let hash = users.hash(for: String(decoding: credentials.user, as: UTF8.self))
        else { return false }
        return PasswordHash.verify(password: credentials.password, hash: hash)
    }
}
