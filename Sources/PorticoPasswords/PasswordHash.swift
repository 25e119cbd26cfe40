import CPorticoCrypt
import CPorticoOpenSSL

/// Checks a password against one htpasswd hash the way nginx's `ngx_crypt` does
/// (src/os/unix/ngx_user.c, src/core/ngx_crypt.c): `$apr1$` (Apache's MD5), `{PLAIN}`, `{SHA}`
/// and `{SSHA}` are nginx's own; anything else goes to the system's crypt(3) — bcrypt
/// (`$2y$`, `$2b$`), `$5$`/`$6$`, `$1$`, yescrypt `$y$` and DES. The computed hash is compared
/// with the stored one in constant time.
///
/// Slow by design for bcrypt and friends (milliseconds): the data plane caches verdicts per
/// event loop rather than compute one per request.
public enum PasswordHash {
    public static func verify(password: [UInt8], hash: String) -> Bool {
        let stored = Array(hash.utf8)
        guard let computed = Self.compute(password: password, hash: hash) else { return false }
        return Self.constantTimeEqual(computed, stored)
    }

    /// The hash of `password` in the scheme (and with the salt) of `hash`; nil if the scheme is
    /// unknown or the setting invalid.
    static func compute(password: [UInt8], hash: String) -> [UInt8]? {
        if hash.hasPrefix("$apr1$") { return ApacheMD5.hash(password: password, setting: Array(hash.utf8)) }
        if hash.hasPrefix("{PLAIN}") { return Array("{PLAIN}".utf8) + password }
        if hash.hasPrefix("{SHA}") { return Array("{SHA}".utf8) + Base64.encode(Digest.sha1(password)) }
        if hash.hasPrefix("{SSHA}") {
            // base64(sha1(password + salt) + salt)
            guard let decoded = Base64.decode(Array(hash.utf8.dropFirst(6))), decoded.count > 20 else { return nil }
            let salt = Array(decoded[20...])
            return Array("{SSHA}".utf8) + Base64.encode(Digest.sha1(password + salt) + salt)
        }
        return Self.systemCrypt(password: password, setting: hash)
    }

    static func systemCrypt(password: [UInt8], setting: String) -> [UInt8]? {
        guard !password.contains(0) else { return nil }
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer {
            UnsafeMutableRawPointer(data).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
        UnsafeMutableRawPointer(data).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<crypt_data>.size)
        let result: [UInt8]? = (password + [0]).withUnsafeBufferPointer { phrase in
            phrase.withMemoryRebound(to: CChar.self) { phrase in
                guard let output = crypt_rn(phrase.baseAddress, setting, data, Int32(MemoryLayout<crypt_data>.size)) else { return nil }
                let text = String(cString: output)
                return text.hasPrefix("*") ? nil : Array(text.utf8)  // "*0"/"*1": a failure token
            }
        }
        return result
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// The digests the htpasswd schemes need, from the system OpenSSL.
enum Digest {
    static func sha1(_ bytes: [UInt8]) -> [UInt8] { Self.digest(bytes, EVP_sha1(), 20) }
    static func md5(_ bytes: [UInt8]) -> [UInt8] { Self.digest(bytes, EVP_md5(), 16) }
    static func sha256(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = out.withUnsafeMutableBufferPointer { EVP_Digest(bytes.baseAddress, bytes.count, $0.baseAddress, &length, EVP_sha256(), nil) }
        return out
    }

    private static func digest(_ bytes: [UInt8], _ type: OpaquePointer?, _ size: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var length: UInt32 = 0
        bytes.withUnsafeBytes { input in
            _ = out.withUnsafeMutableBufferPointer { EVP_Digest(input.baseAddress, input.count, $0.baseAddress, &length, type, nil) }
        }
        return out
    }
}

/// A SHA-256 of a credential, so caches keep no password in memory.
public struct CredentialFingerprint: Hashable, Sendable {
    let words: (UInt64, UInt64, UInt64, UInt64)

    public init(_ bytes: UnsafeRawBufferPointer) {
        let digest = Digest.sha256(bytes)
        func word(_ index: Int) -> UInt64 { digest[index * 8..<index * 8 + 8].reduce(0) { $0 << 8 | UInt64($1) } }
        self.words = (word(0), word(1), word(2), word(3))
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.words == rhs.words }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.words.0)
        hasher.combine(self.words.1)
    }
}
