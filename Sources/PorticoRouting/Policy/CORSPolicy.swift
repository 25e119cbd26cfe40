/// `enable-cors` and the `cors-*` annotations (ingress-nginx `annotations/cors/main.go`, the
/// `CORS` template in nginx.tmpl): when the request's `Origin` is allowed, every answer of the
/// route — the upstream's and the proxy's own — carries the `Access-Control-*` fields, replacing
/// any the upstream set (`more_set_headers`); an allowed `OPTIONS` is answered 204 without
/// reaching the upstream.
public struct CORSPolicy: Hashable, Sendable {
    /// `cors-allow-origin`: `*` (the default) allows every request, with or without `Origin`,
    /// and answers `Access-Control-Allow-Origin: *` (the template sets `$http_origin` to `*`).
    public let allowsAnyOrigin: Bool
    public let origins: [OriginPattern]
    /// Every field after `Access-Control-Allow-Origin`, each ending in CRLF: credentials,
    /// methods, headers, expose-headers and max-age, in the template's order.
    public let fields: [UInt8]

    public init(
        origins: [OriginPattern]?, allowMethods: String, allowHeaders: String, allowCredentials: Bool, exposeHeaders: String,
        maxAge: Int
    ) {
        self.allowsAnyOrigin = origins == nil
        self.origins = origins ?? []
        var text = ""
        if allowCredentials { text += "Access-Control-Allow-Credentials: true\r\n" }
        text += "Access-Control-Allow-Methods: \(allowMethods)\r\n"
        text += "Access-Control-Allow-Headers: \(allowHeaders)\r\n"
        if !exposeHeaders.isEmpty { text += "Access-Control-Expose-Headers: \(exposeHeaders)\r\n" }
        text += "Access-Control-Max-Age: \(maxAge)\r\n"
        self.fields = Array(text.utf8)
    }

    /// Whether a request with this `Origin` value (nil: none sent) gets the fields.
    @inlinable
    public func allows(origin: UnsafeRawBufferPointer?) -> Bool {
        if self.allowsAnyOrigin { return true }
        guard let origin else { return false }
        return self.origins.contains { $0.matches(origin) }
    }
}

/// One `cors-allow-origin` entry: `scheme://host[:port]`, or `null`, where the first `*` stands
/// for one DNS label (`https://*.example.com`). ingress-nginx compiles the list into one
/// case-insensitive regex (`buildOriginRegex`: the `*` becomes `[A-Za-z0-9\-]+`); this matches
/// the same origins, anchored at both ends and without a regex.
public struct OriginPattern: Hashable, Sendable {
    /// Lower-cased text before and after the `*` (all of it in `prefix` when there is none).
    public let prefix: [UInt8]
    public let suffix: [UInt8]
    public let hasWildcard: Bool

    public init(_ text: String) {
        let lower = Array(text.lowercased().utf8)
        if let star = lower.firstIndex(of: UInt8(ascii: "*")) {
            self.prefix = Array(lower[..<star])
            self.suffix = Array(lower[(star + 1)...])
            self.hasWildcard = true
        } else {
            self.prefix = lower
            self.suffix = []
            self.hasWildcard = false
        }
    }

    @inlinable
    public func matches(_ origin: UnsafeRawBufferPointer) -> Bool {
        @inline(__always) func lower(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte | 0x20 : byte }
        guard self.hasWildcard else {
            return origin.count == self.prefix.count && zip(origin, self.prefix).allSatisfy { lower($0) == $1 }
        }
        let middle = origin.count - self.prefix.count - self.suffix.count
        guard middle > 0 else { return false }
        for (index, byte) in self.prefix.enumerated() where lower(origin[index]) != byte { return false }
        let suffixStart = origin.count - self.suffix.count
        for (index, byte) in self.suffix.enumerated() where lower(origin[suffixStart + index]) != byte { return false }
        for index in self.prefix.count..<suffixStart {
            let byte = lower(origin[index])
            guard (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == UInt8(ascii: "-") else { return false }
        }
        return true
    }
}
