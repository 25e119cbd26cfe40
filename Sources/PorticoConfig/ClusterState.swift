import PorticoKube

/// Everything the providers know about the cluster: whole state, never deltas.
///
/// The compiler rebuilds the snapshot from the whole state each time (as traefik and
/// ingress-nginx do), so a provider only has to say "this is what exists now".
public struct ClusterState: Hashable, Sendable {
    public var ingresses: [Ingress] = []
    public var ingressClasses: [IngressClass] = []
    public var services: [Service] = []
    public var endpoints: [Endpoints] = []
    public var endpointSlices: [EndpointSlice] = []
    public var secrets: [Secret] = []
    public var pods: [Pod] = []
    /// ConfigMaps; the compiler reads the one `--configmap` names.
    public var configMaps: [ConfigMap] = []
    /// Gateway API objects: GatewayClasses, Gateways, HTTPRoutes, GRPCRoutes and ReferenceGrants.
    public var gatewayClasses: [GatewayClass] = []
    public var gateways: [Gateway] = []
    public var httpRoutes: [HTTPRoute] = []
    public var grpcRoutes: [GRPCRoute] = []
    /// Namespaces, for their labels (`allowedRoutes.namespaces.selector`).
    public var namespaces: [Namespace] = []
    public var referenceGrants: [ReferenceGrant] = []
    /// PEM pairs found under `certs/`, keyed `name` (`certs/name.crt` + `.key`) or
    /// `namespace/name` (`certs/namespace/name/tls.crt` + `tls.key`).
    public var certificateFiles: [String: CertificateFile] = [:]

    public init() {}

    /// A certificate and key read from `certs/`.
    public struct CertificateFile: Hashable, Sendable {
        public var path: String
        public var certificatePEM: [UInt8]
        public var keyPEM: [UInt8]

        public init(path: String, certificatePEM: [UInt8], keyPEM: [UInt8]) {
            self.path = path
            self.certificatePEM = certificatePEM
            self.keyPEM = keyPEM
        }
    }

    /// Where each object was read from, by kind, namespace and name: duplicates are found in
    /// constant time (a linear scan made loading 5,000 Ingresses quadratic).
    private var index: [ObjectKey: SourceLocation] = [:]

    /// Adds a decoded object. Returns the location of an object of the same kind, namespace and
    /// name that was already there (the new one is then left out).
    @discardableResult
    public mutating func add(_ object: KubeObject) -> SourceLocation? {
        let (key, location) = Self.identity(of: object)
        if let existing = self.index[key] { return existing }
        self.index[key] = location
        switch object {
        case .ingress(let value): self.ingresses.append(value)
        case .ingressClass(let value): self.ingressClasses.append(value)
        case .service(let value): self.services.append(value)
        case .endpoints(let value): self.endpoints.append(value)
        case .endpointSlice(let value): self.endpointSlices.append(value)
        case .secret(let value): self.secrets.append(value)
        case .pod(let value): self.pods.append(value)
        case .configMap(let value): self.configMaps.append(value)
        case .gatewayClass(let value): self.gatewayClasses.append(value)
        case .gateway(let value): self.gateways.append(value)
        case .httpRoute(let value): self.httpRoutes.append(value)
        case .grpcRoute(let value): self.grpcRoutes.append(value)
        case .namespace(let value): self.namespaces.append(value)
        case .referenceGrant(let value): self.referenceGrants.append(value)
        }
        return nil
    }

    /// Replaces the object of the same kind, namespace and name in place (its position, and so
    /// which duplicate wins, unchanged). False when there is none. An equal object is not
    /// written, so the arrays of untouched kinds keep their storage and compare equal at once.
    mutating func replace(_ object: KubeObject) -> Bool {
        let (key, location) = Self.identity(of: object)
        guard self.index[key] != nil else { return false }
        func replaceIn<T: Equatable>(_ list: inout [T], _ value: T, _ meta: (T) -> ObjectMeta) -> Bool {
            guard let position = list.firstIndex(where: { meta($0).name == key.name && meta($0).namespace == key.namespace })
            else { return false }
            if list[position] != value { list[position] = value }
            return true
        }
        let replaced: Bool
        switch object {
        case .ingress(let value): replaced = replaceIn(&self.ingresses, value, \.metadata)
        case .ingressClass(let value): replaced = replaceIn(&self.ingressClasses, value, \.metadata)
        case .service(let value): replaced = replaceIn(&self.services, value, \.metadata)
        case .endpoints(let value): replaced = replaceIn(&self.endpoints, value, \.metadata)
        case .endpointSlice(let value): replaced = replaceIn(&self.endpointSlices, value, \.metadata)
        case .secret(let value): replaced = replaceIn(&self.secrets, value, \.metadata)
        case .pod(let value): replaced = replaceIn(&self.pods, value, \.metadata)
        case .configMap(let value): replaced = replaceIn(&self.configMaps, value, \.metadata)
        case .gatewayClass(let value): replaced = replaceIn(&self.gatewayClasses, value, \.metadata)
        case .gateway(let value): replaced = replaceIn(&self.gateways, value, \.metadata)
        case .httpRoute(let value): replaced = replaceIn(&self.httpRoutes, value, \.metadata)
        case .grpcRoute(let value): replaced = replaceIn(&self.grpcRoutes, value, \.metadata)
        case .namespace(let value): replaced = replaceIn(&self.namespaces, value, \.metadata)
        case .referenceGrant(let value): replaced = replaceIn(&self.referenceGrants, value, \.metadata)
        }
        if replaced, self.index[key] != location { self.index[key] = location }
        return replaced
    }

    /// Whether `other` holds the same objects routes are compiled from (Ingresses,
    /// IngressClasses, Gateway API objects, Secrets, ConfigMaps, certificate files), so the two differ at most in what backends
    /// resolve from (Services, Endpoints, EndpointSlices, Pods). Arrays that share storage
    /// compare in constant time.
    public func hasSameRouteInputs(as other: ClusterState) -> Bool {
        self.ingresses == other.ingresses && self.ingressClasses == other.ingressClasses && self.secrets == other.secrets
            && self.configMaps == other.configMaps && self.certificateFiles == other.certificateFiles
            && self.gatewayClasses == other.gatewayClasses && self.gateways == other.gateways && self.httpRoutes == other.httpRoutes && self.grpcRoutes == other.grpcRoutes && self.namespaces == other.namespaces
            && self.referenceGrants == other.referenceGrants
    }

    static func identity(of object: KubeObject) -> (ObjectKey, SourceLocation) {
        func key(_ kind: String, _ meta: ObjectMeta) -> ObjectKey {
            ObjectKey(kind: kind, namespace: meta.namespace, name: meta.name)
        }
        switch object {
        case .ingress(let value): return (key("Ingress", value.metadata), value.location)
        case .ingressClass(let value): return (key("IngressClass", value.metadata), value.location)
        case .service(let value): return (key("Service", value.metadata), value.location)
        case .endpoints(let value): return (key("Endpoints", value.metadata), value.location)
        case .endpointSlice(let value): return (key("EndpointSlice", value.metadata), value.location)
        case .secret(let value): return (key("Secret", value.metadata), value.location)
        case .pod(let value): return (key("Pod", value.metadata), value.location)
        case .configMap(let value): return (key("ConfigMap", value.metadata), value.location)
        case .gatewayClass(let value): return (ObjectKey(kind: "GatewayClass", namespace: "", name: value.metadata.name), value.location)
        case .gateway(let value): return (key("Gateway", value.metadata), value.location)
        case .httpRoute(let value): return (key("HTTPRoute", value.metadata), value.location)
        case .grpcRoute(let value): return (key("GRPCRoute", value.metadata), value.location)
        case .namespace(let value): return (ObjectKey(kind: "Namespace", namespace: "", name: value.metadata.name), value.location)
        case .referenceGrant(let value): return (key("ReferenceGrant", value.metadata), value.location)
        }
    }

    /// Kind, namespace and name: what identifies an object across loads.
    public struct ObjectKey: Hashable, Sendable, CustomStringConvertible {
        public var kind: String
        public var namespace: String
        public var name: String

        public init(kind: String, namespace: String, name: String) {
            self.kind = kind
            self.namespace = namespace
            self.name = name
        }

        public var description: String { "\(self.kind) \(self.namespace)/\(self.name)" }
    }

    /// A Service by namespace and name: what a backend resolves through.
    public struct ServiceName: Hashable, Sendable {
        public var namespace: String
        public var name: String

        public init(namespace: String, name: String) {
            self.namespace = namespace
            self.name = name
        }
    }

    /// What a change to `object` does to backend resolution: `.service(name)` for a Service,
    /// its Endpoints or an EndpointSlice (by its service label); `.unknown` for a Pod (any
    /// selector may pick it), or nil for route inputs (Ingresses, IngressClasses, Secrets),
    /// which the loader compiles whole anyway.
    public enum BackendEffect: Equatable, Sendable {
        case service(ServiceName)
        case unknown
    }

    public static func backendEffect(of object: KubeObject) -> BackendEffect? {
        switch object {
        case .service(let value): .service(ServiceName(namespace: value.metadata.namespace, name: value.metadata.name))
        case .endpoints(let value): .service(ServiceName(namespace: value.metadata.namespace, name: value.metadata.name))
        case .endpointSlice(let value): .service(ServiceName(namespace: value.metadata.namespace, name: value.serviceName))
        case .pod: .unknown
        case .ingress, .ingressClass, .secret, .configMap, .gatewayClass, .gateway, .httpRoute, .grpcRoute, .namespace, .referenceGrant: nil
        }
    }

    /// Records in `changed` (nil: unknown) what a change to `object` touches.
    public static func noteBackendEffect(of object: KubeObject, in changed: inout Set<ServiceName>?) {
        switch Self.backendEffect(of: object) {
        case .service(let name)?: changed?.insert(name)
        case .unknown?: changed = nil
        case nil: break
        }
    }

    /// Every object with its key and where it was read from.
    public var objects: [(key: ObjectKey, object: KubeObject, location: SourceLocation)] {
        let all: [KubeObject] =
            self.ingresses.map(KubeObject.ingress) + self.ingressClasses.map(KubeObject.ingressClass)
            + self.services.map(KubeObject.service) + self.endpoints.map(KubeObject.endpoints)
            + self.endpointSlices.map(KubeObject.endpointSlice) + self.secrets.map(KubeObject.secret)
            + self.pods.map(KubeObject.pod) + self.configMaps.map(KubeObject.configMap)
            + self.gatewayClasses.map(KubeObject.gatewayClass) + self.gateways.map(KubeObject.gateway)
            + self.httpRoutes.map(KubeObject.httpRoute) + self.grpcRoutes.map(KubeObject.grpcRoute) + self.namespaces.map(KubeObject.namespace) + self.referenceGrants.map(KubeObject.referenceGrant)
        return all.map { object in
            let (key, location) = Self.identity(of: object)
            return (key, object, location)
        }
    }

    /// ConfigMaps by `namespace/name` (the first of duplicates).
    public var configMapsByName: [String: ConfigMap] {
        Dictionary(self.configMaps.map { ("\($0.metadata.namespace)/\($0.metadata.name)", $0) }) { first, _ in first }
    }

    public func contains(_ key: ObjectKey) -> Bool {
        self.index[key] != nil
    }
}
