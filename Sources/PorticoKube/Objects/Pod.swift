/// v1 Pod: enough to derive endpoints for a Service that has a selector but no Endpoints or
/// EndpointSlice in the manifests, as Kubernetes' endpoints controller would.
public struct Pod: Hashable, Sendable {
    public var metadata: ObjectMeta
    public var location: SourceLocation
    public var containerPorts: [ContainerPort]
    public var podIP: String?
    /// The `Ready` condition is `True`.
    public var isReady: Bool

    public init(
        metadata: ObjectMeta,
        location: SourceLocation,
        containerPorts: [ContainerPort],
        podIP: String?,
        isReady: Bool
    ) {
        self.metadata = metadata
        self.location = location
        self.containerPorts = containerPorts
        self.podIP = podIP
        self.isReady = isReady
    }
}

public struct ContainerPort: Hashable, Sendable {
    public var name: String?
    public var containerPort: Int
    public var `protocol`: String

    public init(name: String? = nil, containerPort: Int, protocol: String = "TCP") {
        self.name = name
        self.containerPort = containerPort
        self.protocol = `protocol`
    }
}
