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
    /// The command line's settings with the snapshot's ConfigMap settings laid over them: what
    /// the data plane reads (a connection reads the generation of the moment, so a ConfigMap
    /// change reaches open connections at their next request).
    public let configuration: ProxyConfiguration
    /// The ConfigMap's sampler and whether spans are exported, resolved for the data plane.
    let tracing: TracingSettingsView
    /// The proxy's own answers with this generation's HSTS field and `server-tokens`.
    let answers: ErrorResponses

    public init(
        number: Int, snapshot: RoutingSnapshot, certificates: CertificateStore, previous: Generation?, loops: Int = 1,
        configuration: ProxyConfiguration = ProxyConfiguration()
    ) {
        self.number = number
        self.snapshot = snapshot
        self.certificates = certificates
        self.configuration = configuration.applying(snapshot.settings)
        self.answers = ErrorResponses.matching(self.configuration)
        self.tracing = TracingSettingsView(snapshot.settings.tracing)
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
