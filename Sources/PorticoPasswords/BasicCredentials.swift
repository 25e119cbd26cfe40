/// An `Authorization: Basic <base64(user:password)>` value (RFC 7617), read as nginx's
/// `ngx_http_auth_basic_user` reads it: the scheme case-insensitively, then spaces, then the
/// base64 text; the user is everything before the first `:`.
public struct BasicCredentials: Equatable, Sendable {
    public var user: [UInt8]
    public var password: [UInt8]

    public static func parse(_ value: UnsafeRawBufferPointer) -> BasicCredentials? {
        let scheme = Array("basic ".utf8)
        guard value.count > scheme.count else { return nil }
        for index in 0..<scheme.count where value[index] | (index < 5 ? 0x20 : 0) != scheme[index] { return nil }
        var start = scheme.count
        while start < value.count, value[start] == UInt8(ascii: " ") { start += 1 }
        var end = value.count
        while end > start, value[end - 1] == UInt8(ascii: " ") { end -= 1 }
        guard let decoded = Base64.decode(value[start..<end]), let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else {
            return nil
        }
        return BasicCredentials(user: Array(decoded[..<colon]), password: Array(decoded[(colon + 1)...]))
    }
}
