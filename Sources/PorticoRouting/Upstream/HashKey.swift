/// What `upstream-hash-by` hashes to pick an endpoint (consistent hashing: the same key keeps
/// reaching the same endpoint while it stays ready).
public enum HashKey: Hashable, Sendable, CustomStringConvertible {
    /// `$remote_addr` / `$binary_remote_addr`.
    case clientAddress
    /// `$request_uri`: path and query as received.
    case requestURI
    /// `$uri`: the path without the query.
    case path
    /// `$http_<name>`: a request header (`_` in the variable stands for `-`).
    case header(String)

    /// Parses an nginx variable, or nil for one Portico cannot hash by.
    public static func parse(_ variable: String) -> HashKey? {
        switch variable {
        case "$remote_addr", "$binary_remote_addr": return .clientAddress
        case "$request_uri": return .requestURI
        case "$uri": return .path
        default:
            guard variable.hasPrefix("$http_"), variable.count > 6 else { return nil }
            let name = variable.dropFirst(6).lowercased().replacingUnderscores()
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else { return nil }
            return .header(name)
        }
    }

    public var description: String {
        switch self {
        case .clientAddress: "$remote_addr"
        case .requestURI: "$request_uri"
        case .path: "$uri"
        case .header(let name): "$http_" + name.lowercased().map { $0 == "-" ? "_" : $0 }.map(String.init).joined()
        }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(self.map { $0 == "_" ? "-" : $0 })
    }
}
