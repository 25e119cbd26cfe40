/// Apache's `$apr1$` hash: the FreeBSD MD5-crypt algorithm (1,000 rounds of MD5) with the magic
/// `$apr1$` in place of `$1$`, as `htpasswd -m` writes it and nginx's `ngx_crypt_apr1` checks it.
enum ApacheMD5 {
    static let magic = Array("$apr1$".utf8)
    static let alphabet = Array("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// `setting`: the stored hash (or just `$apr1$<salt>`); the salt is at most 8 bytes, up to `$`.
    static func hash(password: [UInt8], setting: [UInt8]) -> [UInt8] {
        let salt = Array(setting.dropFirst(Self.magic.count).prefix { $0 != UInt8(ascii: "$") }.prefix(8))
        let alternate = Digest.md5(password + salt + password)
        var context = password + Self.magic + salt
        var remaining = password.count
        while remaining > 0 {
            context += alternate.prefix(min(16, remaining))
            remaining -= 16
        }
        var bit = password.count
        while bit > 0 {
            context.append(bit & 1 == 1 ? 0 : password.first ?? 0)
            bit >>= 1
        }
        var final = Digest.md5(context)
        for round in 0..<1000 {
            var input: [UInt8] = round & 1 == 1 ? password : final
            if round % 3 != 0 { input += salt }
            if round % 7 != 0 { input += password }
            input += round & 1 == 1 ? final : password
            final = Digest.md5(input)
        }
        var out = Self.magic + salt + [UInt8(ascii: "$")]
        func put(_ value: Int, _ count: Int) {
            var value = value
            for _ in 0..<count {
                out.append(Self.alphabet[value & 0x3F])
                value >>= 6
            }
        }
        let f = final.map(Int.init)
        put(f[0] << 16 | f[6] << 8 | f[12], 4)
        put(f[1] << 16 | f[7] << 8 | f[13], 4)
        put(f[2] << 16 | f[8] << 8 | f[14], 4)
        put(f[3] << 16 | f[9] << 8 | f[15], 4)
        put(f[4] << 16 | f[10] << 8 | f[5], 4)
        put(f[11], 2)
        return out
    }
}
