/// v1 Service, the fields Portico reads.
public struct Service: Hashable, Sendable {
    public enum ServiceType: String, Hashable, Sendable, CaseIterable {
        case clusterIP = "ClusterIP"
        case nodePort = "NodePort"
        case loadBalancer = "LoadBalancer"
        case externalName = "ExternalName"
    }

    public var metadata: ObjectMeta
    public var location: SourceLocation
    public var type: ServiceType
    /// nil: no selector (endpoints are managed by hand).
    public var selector: [String: String]?
    public var ports: [ServicePort]
    public var externalName: String?
    /// `spec.sessionAffinity: ClientIP` (the seed's myweb-svc-ses).
    public var clientIPAffinity: Bool = false
    /// `spec.clusterIP` (`None` for a headless Service), for `service-upstream`.
    public var clusterIP: String?

    public init(
        metadata: ObjectMeta,
        location: SourceLocation,
        type: ServiceType = .clusterIP,
        selector: [String: String]? = nil,
        ports: [ServicePort] = [],
        externalName: String? = nil
    ) {
        self.metadata = metadata
        self.location = location
        self.type = type
        self.selector = selector
        self.ports = ports
        self.externalName = externalName
    }
}

public struct ServicePort: Hashable, Sendable {
    public var name: String?
    public var port: Int
    /// Defaults to `port` when absent, as the API server does.
    public var targetPort: IntOrString
    public var `protocol`: String
    /// The application protocol (`kubernetes.io/h2c`, `kubernetes.io/ws`, `http`, …): the
    /// Gateway API reads it for the protocol to speak to the backend (GEP-1911).
    public var appProtocol: String?

    public init(name: String? = nil, port: Int, targetPort: IntOrString? = nil, protocol: String = "TCP", appProtocol: String? = nil) {
        self.name = name
        self.port = port
        self.targetPort = targetPort ?? .int(port)
        self.protocol = `protocol`
        self.appProtocol = appProtocol
    }
}
