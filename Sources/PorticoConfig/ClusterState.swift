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
        }
        return nil
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

    /// Every object with its key and where it was read from.
    public var objects: [(key: ObjectKey, object: KubeObject, location: SourceLocation)] {
        let all: [KubeObject] =
            self.ingresses.map(KubeObject.ingress) + self.ingressClasses.map(KubeObject.ingressClass)
            + self.services.map(KubeObject.service) + self.endpoints.map(KubeObject.endpoints)
            + self.endpointSlices.map(KubeObject.endpointSlice) + self.secrets.map(KubeObject.secret)
            + self.pods.map(KubeObject.pod)
        return all.map { object in
            let (key, location) = Self.identity(of: object)
            return (key, object, location)
        }
    }

    public func contains(_ key: ObjectKey) -> Bool {
        self.index[key] != nil
    }
}
