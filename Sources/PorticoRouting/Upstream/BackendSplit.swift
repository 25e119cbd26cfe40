/// A Gateway API rule's `backendRefs` with their weights: each request goes to one of them in
/// proportion to its weight. A reference that does not resolve (a missing Service, a port it
/// does not have, a namespace no ReferenceGrant opens) keeps its share and answers it with 500,
/// as `HTTPRouteRule.backendRefs` requires ("the proportion of requests that would otherwise
/// have been routed to an invalid backend MUST receive a 500").
public struct BackendSplit: Hashable, Sendable {
    public struct Share: Hashable, Sendable {
        /// nil: unresolved, answered 500.
        public let backend: BackendID?
        public let weight: Int

        public init(backend: BackendID?, weight: Int) {
            self.backend = backend
            self.weight = weight
        }
    }

    public let shares: [Share]
    public let total: Int

    /// Shares of weight 0 are dropped. An empty split (no shares, or all weights 0) answers
    /// every request with 500.
    public init(_ shares: [Share]) {
        self.shares = shares.filter { $0.weight > 0 }
        self.total = self.shares.reduce(0) { $0 + $1.weight }
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
