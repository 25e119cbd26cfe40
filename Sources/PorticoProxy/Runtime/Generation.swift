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

    public init(number: Int, snapshot: RoutingSnapshot, certificates: CertificateStore, previous: Generation?) {
        self.number = number
        self.snapshot = snapshot
        self.certificates = certificates
        var previousByName: [String: ProxyBackend] = [:]
        for backend in previous?.backends ?? [] { previousByName[backend.name] = backend }
        self.backends = snapshot.backends.map { ProxyBackend(backend: $0, previous: previousByName[$0.ref.description]) }
    }
}
