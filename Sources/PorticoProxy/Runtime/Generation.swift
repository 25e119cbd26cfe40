import PorticoRouting
import PorticoTLS

/// A routing snapshot made ready for the data plane: backends with resolved socket addresses
/// and their load-balancing state. Immutable; replaced whole.
public final class Generation: Sendable {
    public let number: Int
    public let snapshot: RoutingSnapshot
    /// Indexed by `BackendID`.
    public let backends: [ProxyBackend]
    /// SNI certificates; the previous generation's store when the TLS configuration is unchanged.
    public let certificates: CertificateStore

    public init(number: Int, snapshot: RoutingSnapshot, certificates: CertificateStore, previous: Generation?, loops: Int = 1) {
        self.number = number
        self.snapshot = snapshot
        self.certificates = certificates
        self.backends = Self.carry(snapshot.backends, from: previous?.backends ?? [], loops: loops)
    }

    /// Each backend's load-balancing state, carried from the previous generation: an unchanged
    /// backend is shared whole (an endpoint change among 10,000 backends builds one), a changed
    /// one keeps its round-robin position and its endpoints' health. Backends are matched at
    /// the same index first (an endpoint-only change keeps every index), then by name.
    static func carry(_ backends: [Backend], from previous: [ProxyBackend], loops: Int = 1) -> [ProxyBackend] {
        var byName: [BackendRef: ProxyBackend]?
        return backends.enumerated().map { index, backend in
            var match = index < previous.count && previous[index].source.ref == backend.ref ? previous[index] : nil
            if match == nil {
                if byName == nil { byName = Dictionary(previous.map { ($0.source.ref, $0) }) { first, _ in first } }
                match = byName?[backend.ref]
            }
            if let match, match.source == backend, match.loopCount == loops { return match }
            return ProxyBackend(backend: backend, previous: match, loops: loops)
        }
    }
}
