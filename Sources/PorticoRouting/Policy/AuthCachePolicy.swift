/// `auth-cache-key` and `auth-cache-duration` (ingress-nginx `annotations/authreq`, the auth
/// location's `proxy_cache auth_cache` in nginx.tmpl): the auth service's verdict is kept for
/// requests whose key renders the same, for as long as the duration of its status allows.
public struct AuthCachePolicy: Hashable, Sendable {
    /// The key, as nginx variables and text (`$remote_user$http_authorization`,
    /// `$cookie__oauth2_proxy`).
    public let key: RequestKeyTemplate
    /// Seconds a verdict of each status is kept (`proxy_cache_valid`); `anyStatus` for `any`.
    public let durations: [Int: Int]
    public let anyStatus: Int?
    /// Separates the verdicts of different auth locations (nginx prefixes the key with the
    /// server name and the auth location's path).
    public let zone: [UInt8]

    public init(key: RequestKeyTemplate, durations: [Int: Int], anyStatus: Int?, zone: String) {
        self.key = key
        self.durations = durations
        self.anyStatus = anyStatus
        self.zone = Array(zone.utf8)
    }

    /// How long a verdict with `status` is kept, or nil when it is not.
    public func seconds(for status: Int) -> Int? { self.durations[status] ?? self.anyStatus }

    /// `auth-cache-duration`: comma-separated `[code …] time…` entries (default
    /// `200 202 401 5m`); a time without codes is nginx's `proxy_cache_valid time`: 200, 301
    /// and 302. Nil when an entry is not of that form (ingress-nginx denies the location).
    public static func parseDurations(_ text: String) -> (durations: [Int: Int], anyStatus: Int?)? {
        var durations: [Int: Int] = [:]
        var anyStatus: Int?
        for entry in text.split(separator: ",").map({ $0.split(separator: " ") }) where !entry.isEmpty {
            var codes: [Int] = []
            var any = false
            var seconds = 0
            var sawTime = false
            for element in entry {
                if element == "any", !sawTime {
                    any = true
                } else if element.count == 3, let code = Int(element), !sawTime {
                    codes.append(code)
                } else if let time = Self.seconds(element) {
                    seconds += time
                    sawTime = true
                } else {
                    return nil
                }
            }
            guard sawTime else { return nil }
            if any { anyStatus = seconds }
            for code in codes.isEmpty && !any ? [200, 301, 302] : codes { durations[code] = seconds }
        }
        return (durations, anyStatus)
    }

    /// nginx's time units (`ms` rounds down to seconds).
    static func seconds(_ text: Substring) -> Int? {
        let units: [(String, Int)] = [("ms", 0), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800), ("M", 2_592_000), ("y", 31_536_000)]
        for (unit, factor) in units where text.hasSuffix(unit) {
            let digits = text.dropLast(unit.count)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits), value < 1_000_000_000 else { return nil }
            return unit == "ms" ? value / 1000 : value * factor
        }
        return nil
    }
}

/// A key built from the request as nginx variables name its parts, for `auth-cache-key`.
public struct RequestKeyTemplate: Hashable, Sendable {
    public enum Part: Hashable, Sendable {
        case text([UInt8])
        /// `$http_<name>` (lower-case, `_` for `-`).
        case header([UInt8])
        /// `$cookie_<name>`.
        case cookie([UInt8])
        /// `$remote_user` is read from the Authorization header, so the whole header keys it
        /// (as precise, and a different password never shares a verdict).
        case authorization
        case remoteAddress, host, requestURI, uri, args, scheme
    }

    public let parts: [Part]

    /// Parses `$name`, `${name}` and literal text; nil with the first variable it cannot render.
    public static func parse(_ text: String) -> Result<RequestKeyTemplate, SigninURL.UnknownVariable> {
        var parts: [Part] = []
        var literal: [UInt8] = []
        var rest = Substring(text)
        while let first = rest.first {
            guard first == "$" else {
                literal.append(contentsOf: String(first).utf8)
                rest = rest.dropFirst()
                continue
            }
            rest = rest.dropFirst()
            let braced = rest.first == "{"
            if braced { rest = rest.dropFirst() }
            let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            rest = rest.dropFirst(name.count)
            if braced {
                guard rest.first == "}" else { return .failure(SigninURL.UnknownVariable(name: "${" + name)) }
                rest = rest.dropFirst()
            }
            let part: Part
            switch name {
            case "remote_user", "http_authorization": part = .authorization
            case "remote_addr": part = .remoteAddress
            case "host", "http_host": part = .host
            case "request_uri": part = .requestURI
            case "uri": part = .uri
            case "args", "query_string": part = .args
            case "scheme": part = .scheme
            case _ where name.hasPrefix("http_") && name.count > 5:
                part = .header(name.dropFirst(5).lowercased().utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : $0 })
            case _ where name.hasPrefix("cookie_") && name.count > 7:
                part = .cookie(Array(name.dropFirst(7).utf8))
            default:
                return .failure(SigninURL.UnknownVariable(name: "$" + name))
            }
            if !literal.isEmpty {
                parts.append(.text(literal))
                literal = []
            }
            parts.append(part)
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        return .success(RequestKeyTemplate(parts: parts))
    }

    public init(parts: [Part]) { self.parts = parts }
}
