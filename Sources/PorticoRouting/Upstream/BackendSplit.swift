/// A Gateway API rule's `backendRefs` with their weights: each request goes to one of them in
/// proportion to its weight. A reference that does not resolve (a missing Service, a port it
/// does not have, a namespace no ReferenceGrant opens) keeps its share and answers it with 500,
/// as `HTTPRouteRule.backendRefs` requires ("the proportion of requests that would otherwise
/// have been routed to an invalid backend MUST receive a 500"); a GRPCRoute's with 503, which
/// a gRPC client reads as `UNAVAILABLE` (`GRPCRouteRule.backendRefs`).
public struct BackendSplit: Hashable, Sendable {
    public struct Share: Hashable, Sendable {
        /// nil: unresolved, answered with the split's `unresolvedStatus`.
        public let backend: BackendID?
        public let weight: Int
        /// The header changes of requests sent to this share (the backendRef's own
        /// `RequestHeaderModifier`/`ResponseHeaderModifier` over the rule's), replacing the
        /// route's; nil: the route's. Gateway API `HTTPBackendRef.filters`: "executed if and
        /// only if the request is being forwarded to the backend defined here".
        public let headers: HeaderPolicy?

        public init(backend: BackendID?, weight: Int, headers: HeaderPolicy? = nil) {
            self.backend = backend
            self.weight = weight
            self.headers = headers
        }
    }

    public let shares: [Share]
    public let total: Int
    /// What an unresolved share (or an empty split) answers: 500, or 503 for a GRPCRoute.
    public let unresolvedStatus: Int

    /// Shares of weight 0 are dropped. An empty split (no shares, or all weights 0) answers
    /// every request with `unresolvedStatus`.
    public init(_ shares: [Share], unresolvedStatus: Int = 500) {
        self.shares = shares.filter { $0.weight > 0 }
        self.total = self.shares.reduce(0) { $0 + $1.weight }
        self.unresolvedStatus = unresolvedStatus
    }

    /// The share for `roll`, uniform in `0..<total`; nil when the split is empty.
    @inlinable
    public func share(roll: Int) -> Share? {
        var remaining = roll
        for share in self.shares {
            if remaining < share.weight { return share }
            remaining -= share.weight
        }
        return nil
    }
}
