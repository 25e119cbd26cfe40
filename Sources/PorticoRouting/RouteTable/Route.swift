/// Where a route came from, for `portico routes`, `explain` and access logs.
public struct RouteSource: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// `spec.rules[r].http.paths[p]`.
        case rule(ruleIndex: Int, pathIndex: Int)
        /// `spec.defaultBackend`.
        case defaultBackend
        /// An HTTPRoute's `spec.rules[r].matches[m]`.
        case httpRoute(ruleIndex: Int, matchIndex: Int)
        /// A GRPCRoute's `spec.rules[r].matches[m]`.
        case grpcRoute(ruleIndex: Int, matchIndex: Int)
    }

    /// `namespace/name` of the Ingress (of the HTTPRoute or GRPCRoute, for their kinds).
    public let ingress: String
    public let kind: Kind

    /// `namespace/name` for an Ingress, `HTTPRoute namespace/name` for an HTTPRoute (and so
    /// for a GRPCRoute).
    public var listingName: String {
        switch self.kind {
        case .httpRoute: "HTTPRoute \(self.ingress)"
        case .grpcRoute: "GRPCRoute \(self.ingress)"
        case .rule, .defaultBackend: self.ingress
        }
    }

    /// A GRPCRoute's: the compiler orders these among themselves (`GRPCRouteRule.matches`
    /// precedence), after a host's Ingress and HTTPRoute routes.
    public var isGRPCRoute: Bool {
        if case .grpcRoute = self.kind { return true }
        return false
    }

    public init(ingress: String, kind: Kind) {
        self.ingress = ingress
        self.kind = kind
    }
}

/// One path of one host and the backend it sends to.
///
/// Frozen into a reference: a lookup that tries candidates and hands the winner to the data
/// plane retains one object, not each of its policy's arrays and strings (a value type this
/// size costs a dozen retain/release pairs per copy). Immutable once built.
public final class Route: Hashable, Sendable {
    public let match: PathMatch
    public let backend: BackendID
    public let source: RouteSource
    /// `rewrite-target`, when it differs from the path (ingress-nginx's `needsRewrite`).
    public let rewrite: RewriteTemplate?
    /// Everything the Ingress's annotations ask of this path.
    public let policy: RoutePolicy
    /// Its labels in the request metrics (nil: not counted, as in unit tests).
    public let metricLabels: RouteMetricLabels?
    /// What else the request must have (an HTTPRoute's method, headers, query, listener).
    public let conditions: RouteConditions?

    public init(match: PathMatch, backend: BackendID, source: RouteSource, rewrite: RewriteTemplate? = nil,
                policy: RoutePolicy = RoutePolicy(), metricLabels: RouteMetricLabels? = nil, conditions: RouteConditions? = nil) {
        self.metricLabels = metricLabels
        self.conditions = conditions
        self.match = match
        self.backend = backend
        self.source = source
        self.rewrite = rewrite
        var policy = policy
        // ingress-nginx sets X-Forwarded-Prefix only in a location that rewrites.
        if rewrite == nil { policy.forwardedPrefix = nil }
        self.policy = policy
    }

    /// The same route with another policy (the compiler attaches canaries after all routes exist).
    public func with(policy: RoutePolicy) -> Route {
        Route(match: self.match, backend: self.backend, source: self.source, rewrite: self.rewrite, policy: policy, metricLabels: self.metricLabels,
              conditions: self.conditions)
    }

    /// By value: two compilations of the same rules give equal routes.
    public static func == (lhs: Route, rhs: Route) -> Bool {
        lhs === rhs
            || (lhs.match == rhs.match && lhs.backend == rhs.backend && lhs.source == rhs.source && lhs.rewrite == rhs.rewrite
                && lhs.policy == rhs.policy && lhs.metricLabels?.text == rhs.metricLabels?.text && lhs.conditions == rhs.conditions)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.match)
        hasher.combine(self.backend)
        hasher.combine(self.source)
    }
}
