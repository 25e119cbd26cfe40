/// A request written as `METHOD URL` (`GET http://192-168-100-100.nip.io/one?x=1`), split the
/// way curl would send it: the URL's authority becomes the Host header.
public struct OfflineRequest: Sendable, Equatable {
    public var method: String
    public var scheme: String
    /// The Host header value, port included.
    public var hostValue: String
    /// The raw path (`/` when the URL has none).
    public var path: String
    /// The query including its `?`, or empty.
    public var query: String
    /// Header fields sent with it (an HTTPRoute's header matches read them), by name.
    public var headers: [String: String] = [:]

    public var url: String { "\(self.scheme)://\(self.hostValue)\(self.path)\(self.query)" }

    public init(method: String, scheme: String, hostValue: String, path: String, query: String) {
        self.method = method
        self.scheme = scheme
        self.hostValue = hostValue
        self.path = path
        self.query = query
    }

    /// Parses `METHOD URL` or a bare URL (then GET). `hostHeader` overrides the URL's authority,
    /// as `curl -H 'Host: …'` does.
    public static func parse(_ text: String, hostHeader: String? = nil) -> Result<OfflineRequest, OfflineRequestError> {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        let method: String
        let url: Substring
        switch parts.count {
        case 1: (method, url) = ("GET", parts[0])
        case 2: (method, url) = (String(parts[0]), parts[1])
        default: return .failure(.malformed(text))
        }
        guard method.allSatisfy({ $0.isLetter && $0.isUppercase }) else { return .failure(.malformed(text)) }
        let scheme: String
        var rest: Substring
        if url.hasPrefix("http://") {
            (scheme, rest) = ("http", url.dropFirst(7))
        } else if url.hasPrefix("https://") {
            (scheme, rest) = ("https", url.dropFirst(8))
        } else {
            return .failure(.notAbsolute(String(url)))
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = String(rest[..<authorityEnd])
        guard !authority.isEmpty else { return .failure(.notAbsolute(String(url))) }
        let target = rest[authorityEnd...]
        let queryStart = target.firstIndex(of: "?") ?? target.endIndex
        var path = String(target[..<queryStart])
        if path.isEmpty { path = "/" }
        return .success(
            OfflineRequest(method: method, scheme: scheme, hostValue: hostHeader ?? authority, path: path,
                           query: String(target[queryStart...])))
    }
}

public enum OfflineRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case notAbsolute(String)

    public var description: String {
        switch self {
        case .malformed(let text): "\"\(text)\" is not \"METHOD URL\""
        case .notAbsolute(let url): "\"\(url)\" is not an absolute http:// or https:// URL"
        }
    }
}
