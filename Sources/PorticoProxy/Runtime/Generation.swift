import PorticoRouting

/// A routing snapshot made ready for the data plane: backends with resolved socket addresses
/// and their load-balancing state. Immutable; replaced whole.
public final class Generation: Sendable {
    public let number: Int
    public let snapshot: RoutingSnapshot
    /// Indexed by `BackendID`.
    public let backends: [ProxyBackend]

    public init(number: Int, snapshot: RoutingSnapshot, previous: Generation?) {
        self.number = number
        self.snapshot = snapshot
        var previousByName: [String: ProxyBackend] = [:]
        for backend in previous?.backends ?? [] { previousByName[backend.name] = backend }
        self.backends = snapshot.backends.map { ProxyBackend(backend: $0, previous: previousByName[$0.ref.description]) }
    }
}
