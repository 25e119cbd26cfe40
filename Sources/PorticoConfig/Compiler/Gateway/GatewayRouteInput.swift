import PorticoKube

/// A Gateway API route as the compiler reads it: an HTTPRoute as written, or a GRPCRoute
/// lowered to the HTTPRoute it behaves as. A gRPC call is an HTTP/2 POST to
/// `/{service}/{method}` (gRPC's PROTOCOL-HTTP2.md), so a GRPCRouteMatch is a match on that
/// path plus its headers, and both kinds share attachment, filters, backends and status.
struct GatewayRouteInput {
    enum Kind: Hashable, CaseIterable {
        case http
        case grpc

        var name: String {
            switch self {
            case .http: "HTTPRoute"
            case .grpc: "GRPCRoute"
            }
        }

        var groupKind: GroupKind { GroupKind(group: "gateway.networking.k8s.io", kind: self.name) }

        /// What a share without a usable backend answers: 500 (`HTTPRouteRule.backendRefs`), or
        /// 503, which a gRPC client reads as `UNAVAILABLE` (`GRPCRouteRule.backendRefs`).
        var unresolvedStatus: Int {
            switch self {
            case .http: 500
            case .grpc: 503
            }
        }

        var unresolvedAnswer: String {
            switch self {
            case .http: "500"
            case .grpc: "UNAVAILABLE (503)"
            }
        }
    }

    /// The GRPCRoute precedence of one match (`GRPCRouteRule.matches`): more characters of
    /// service, then of method, then more header matches, win.
    struct Specificity: Comparable {
        var service: Int
        var method: Int
        var headers: Int

        static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.service, lhs.method, lhs.headers) < (rhs.service, rhs.method, rhs.headers)
        }
    }

    let kind: Kind
    let route: HTTPRoute
    /// Per rule, per match: its precedence (GRPCRoutes only; empty for an HTTPRoute).
    let specificity: [[Specificity]]

    init(http route: HTTPRoute) {
        self.kind = .http
        self.route = route
        self.specificity = []
    }

    init(grpc route: GRPCRoute) {
        self.kind = .grpc
        self.route = HTTPRoute(
            metadata: route.metadata, location: route.location, parentRefs: route.parentRefs, hostnames: route.hostnames,
            rules: route.rules.map { rule in
                HTTPRouteRule(
                    matches: rule.matches.isEmpty ? [HTTPRouteMatch(line: rule.line, field: rule.field)] : rule.matches.map(Self.lowered),
                    filters: rule.filters, backendRefs: rule.backendRefs, line: rule.line, field: rule.field)
            })
        self.specificity = route.rules.map { rule in
            rule.matches.isEmpty
                ? [Specificity(service: 0, method: 0, headers: 0)]
                : rule.matches.map {
                    Specificity(service: $0.service?.utf8.count ?? 0, method: $0.method?.utf8.count ?? 0, headers: Set($0.headers.map { $0.name.lowercased() }).count)
                }
        }
    }

    /// The path match a GRPCRouteMatch is: an Exact service and method are the exact path; an
    /// Exact service alone is the path prefix `/{service}` (whole segments); anything else is a
    /// full-match regular expression over both segments, `[^/]+` standing for the one not
    /// given. A match without `method` is every call (`PathPrefix /`).
    static func lowered(_ match: GRPCRouteMatch) -> HTTPRouteMatch {
        func path(_ type: String, _ value: String) -> HTTPRouteMatch {
            HTTPRouteMatch(pathType: type, pathValue: value, headers: match.headers, line: match.line, field: match.field)
        }
        switch (match.type, match.service, match.method) {
        case (_, nil, nil): return path("PathPrefix", "/")
        case ("Exact", let service?, let method?): return path("Exact", "/\(service)/\(method)")
        case ("Exact", let service?, nil): return path("PathPrefix", "/\(service)")
        case ("Exact", nil, let method?): return path("RegularExpression", "/[^/]+/\(method)")  // an identifier: no metacharacters
        case (_, let service, let method):
            return path("RegularExpression", "/(?:\(service ?? "[^/]+"))/(?:\(method ?? "[^/]+"))")
        }
    }
}
