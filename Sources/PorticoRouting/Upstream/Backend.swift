/// Dense index of a backend in a snapshot's `backends` array; the proxy keys its load balancers
/// by it, so nothing on the request path hashes a name.
public typealias BackendID = Int

/// A backend resolved to the endpoints that receive its traffic.
///
/// Kept apart from the routes: an endpoint change replaces only this part of a snapshot
/// (ingress-nginx applies such changes without a reload, `IsDynamicConfigurationEnough`).
public struct Backend: Hashable, Sendable {
    public let ref: BackendRef
    /// Ready endpoints, sorted, de-duplicated.
    public let endpoints: [Endpoint]
    /// Why `endpoints` is empty (Service missing, no ready endpoint, …); requests get 503.
    public let unavailableReason: String?
    /// The Service's `sessionAffinity: ClientIP`: a client IP keeps reaching the same endpoint
    /// while that endpoint stays ready, as kube-proxy would do (ingress-nginx ignores the field).
    public let clientIPAffinity: Bool
    /// A Service of type ExternalName: the DNS name and port its endpoints are resolved from
    /// (by the control plane, never on the request path).
    public let externalName: ExternalName?
    /// The Service itself does not exist (ingress-nginx's `orphan_ingress{type="no-service"}`;
    /// a Service with no ready endpoint is `no-endpoint`).
    public let serviceMissing: Bool
    /// Addresses Kubernetes lists as not ready: never sent traffic, shown on `/routes` so an
    /// operator sees why a backend has fewer endpoints than Pods.
    public let notReady: [Endpoint]

    public struct ExternalName: Hashable, Sendable {
        public let host: String
        public let port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public init(
        ref: BackendRef, endpoints: [Endpoint], unavailableReason: String? = nil, clientIPAffinity: Bool = false,
        externalName: ExternalName? = nil, serviceMissing: Bool = false, notReady: [Endpoint] = []
    ) {
        self.ref = ref
        self.notReady = notReady
        self.serviceMissing = serviceMissing
        self.endpoints = endpoints
        self.clientIPAffinity = clientIPAffinity
        self.externalName = externalName
        self.unavailableReason = endpoints.isEmpty ? (unavailableReason ?? "no ready endpoints") : nil
    }

    /// The same backend with resolved endpoints (ExternalName resolution).
    public func resolved(_ endpoints: [Endpoint], reason: String?) -> Backend {
        Backend(ref: self.ref, endpoints: endpoints, unavailableReason: reason, clientIPAffinity: self.clientIPAffinity,
                externalName: self.externalName, serviceMissing: self.serviceMissing, notReady: self.notReady)
    }
}
