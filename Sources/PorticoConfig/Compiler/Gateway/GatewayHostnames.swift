import PorticoRouting

/// Hostname rules of the Gateway API (gateway.networking.k8s.io/v1 `Hostname`,
/// `HTTPRouteSpec.hostnames`): a leading `*.` stands for any number of labels, and a route
/// attaches to a listener only with the hostnames both admit.
enum GatewayHostnames {
    /// The hostnames a route serves on a listener: nil in the list means any host. Empty when
    /// none intersect (the route does not attach there: `NoMatchingListenerHostname`).
    ///
    /// A route hostname equal to, or more specific than, the listener's is kept as the route
    /// wrote it; a route wildcard broader than the listener's hostname narrows to the listener's.
    static func intersect(listener: String?, route: [String]) -> [String?] {
        guard let listener = listener?.lowercased() else { return route.isEmpty ? [nil] : route.map { $0.lowercased() } }
        if route.isEmpty { return [listener] }
        var result: [String?] = []
        for name in route.map({ $0.lowercased() }) {
            if name == listener || Self.admits(listener, name) {
                result.append(name)
            } else if Self.admits(name, listener) {
                result.append(listener)
            }
        }
        var seen = Set<String>()
        return result.filter { seen.insert($0 ?? "").inserted }
    }

    /// Whether two routes' hostnames on one listener (nil: any host) share a name.
    static func overlap(_ lhs: [String?], _ rhs: [String?]) -> Bool {
        lhs.contains { l in
            rhs.contains { r in
                guard let l, let r else { return true }
                return l == r || Self.admits(l, r) || Self.admits(r, l)
            }
        }
    }

    /// Whether `pattern` admits every name `name` stands for: a wildcard `*.s` admits `x.s`,
    /// `x.y.s` and `*.x.s`; an exact name admits only itself.
    static func admits(_ pattern: String, _ name: String) -> Bool {
        guard pattern.hasPrefix("*.") else { return pattern == name }
        let suffix = pattern.dropFirst(1)  // ".s"
        let rest = name.hasPrefix("*.") ? name.dropFirst(1) : Substring(name)
        return rest.count > suffix.count && rest.hasSuffix(suffix) || (name.hasPrefix("*.") && rest == suffix)
    }

    /// The host pattern of a Gateway hostname (`*.s` any-depth), or why it is invalid.
    static func pattern(_ name: String) -> Result<HostPattern, HostPatternError> {
        switch HostPattern.parse(name) {
        case .success(.wildcard(let suffix)): .success(.subdomains(suffix: suffix))
        case let other: other
        }
    }
}
