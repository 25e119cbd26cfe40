/// When a failed attempt moves on to another endpoint: ingress-nginx's `proxy-next-upstream`
/// (default `error timeout`) and `proxy-next-upstream-tries` (default 3, the first attempt
/// included; 0 means as many as there are endpoints).
public struct NextUpstream: Hashable, Sendable {
    /// `error`: connect refused, or the connection closed before a response.
    public var onError = true
    /// `timeout`: the connect timed out.
    public var onTimeout = true
    /// `invalid_header`: the upstream's response head was not valid HTTP.
    public var onInvalidHeader = false
    /// `non_idempotent`: also re-send POST, PATCH… whose bytes already left.
    public var nonIdempotent = false
    /// `http_500`, `http_502`, `http_503`, `http_504`, `http_403`, `http_404`, `http_429`:
    /// such an upstream answer is discarded and the request tried elsewhere (the last try's
    /// answer is relayed as it is).
    public var statuses: Set<Int> = []
    /// nil: the server default.
    public var tries: Int?

    public init() {}

    /// `off`: never move on.
    public static let off: NextUpstream = {
        var value = NextUpstream()
        value.onError = false
        value.onTimeout = false
        return value
    }()

    /// Takes `other`'s conditions (`proxy-next-upstream`) and keeps its own `tries`
    /// (`proxy-next-upstream-tries`, a key of its own, set before or after).
    public mutating func adoptConditions(of other: NextUpstream) {
        let tries = self.tries
        self = other
        self.tries = tries
    }

    /// Parses the annotation's space-separated list; returns the tokens it cannot honour.
    public static func parse(_ text: String) -> (NextUpstream, unsupported: [String]) {
        var value = NextUpstream()
        value.onError = false
        value.onTimeout = false
        var unsupported: [String] = []
        for token in text.split(whereSeparator: { $0 == " " || $0 == "," }) {
            switch token {
            case "error": value.onError = true
            case "timeout": value.onTimeout = true
            case "invalid_header": value.onInvalidHeader = true
            case "non_idempotent": value.nonIdempotent = true
            case "off": return (.off, [])
            case "http_500", "http_502", "http_503", "http_504", "http_403", "http_404", "http_429":
                value.statuses.insert(Int(token.dropFirst(5))!)
            default: unsupported.append(String(token))
            }
        }
        return (value, unsupported)
    }
}
