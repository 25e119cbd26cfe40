/// v1 Endpoints: named after its Service; each subset lists ready and not-ready addresses and
/// the ports, which carry the *Service port's name* and the already-resolved target number.
public struct Endpoints: Hashable, Sendable {
    public var metadata: ObjectMeta
    public var location: SourceLocation
    public var subsets: [EndpointSubset]

    public init(metadata: ObjectMeta, location: SourceLocation, subsets: [EndpointSubset]) {
        self.metadata = metadata
        self.location = location
        self.subsets = subsets
    }
}

public struct EndpointSubset: Hashable, Sendable {
    public var addresses: [EndpointAddress]
    public var notReadyAddresses: [EndpointAddress]
    public var ports: [EndpointPort]

    public init(addresses: [EndpointAddress], notReadyAddresses: [EndpointAddress] = [], ports: [EndpointPort]) {
        self.addresses = addresses
        self.notReadyAddresses = notReadyAddresses
        self.ports = ports
    }
}

public struct EndpointAddress: Hashable, Sendable {
    public var ip: String
    /// `targetRef.name`, usually the Pod.
    public var targetName: String?

    public init(ip: String, targetName: String? = nil) {
        self.ip = ip
        self.targetName = targetName
    }
}

public struct EndpointPort: Hashable, Sendable {
    public var name: String?
    public var port: Int
    public var `protocol`: String

    public init(name: String? = nil, port: Int, protocol: String = "TCP") {
        self.name = name
        self.port = port
        self.protocol = `protocol`
    }
}

/// discovery.k8s.io/v1 EndpointSlice. A Service may have several; they are merged.
public struct EndpointSlice: Hashable, Sendable {
    public var metadata: ObjectMeta
    public var location: SourceLocation
    /// The `kubernetes.io/service-name` label.
    public var serviceName: String
    public var addressType: String
    public var endpoints: [SliceEndpoint]
    public var ports: [EndpointPort]

    public init(
        metadata: ObjectMeta,
        location: SourceLocation,
        serviceName: String,
        addressType: String = "IPv4",
        endpoints: [SliceEndpoint],
        ports: [EndpointPort]
    ) {
        self.metadata = metadata
        self.location = location
        self.serviceName = serviceName
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
    }
}

public struct SliceEndpoint: Hashable, Sendable {
    public var addresses: [String]
    /// `conditions.ready`; nil counts as ready (the API's documented meaning).
    public var ready: Bool?
    public var targetName: String?

    public init(addresses: [String], ready: Bool? = nil, targetName: String? = nil) {
        self.addresses = addresses
        self.ready = ready
        self.targetName = targetName
    }
}
