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

    /// Adds a decoded object. Returns the location of an object of the same kind, namespace and
    /// name that was already there (the new one is then left out).
    @discardableResult
    public mutating func add(_ object: KubeObject) -> SourceLocation? {
        switch object {
        case .ingress(let value):
            return Self.insert(value, into: &self.ingresses, meta: \.metadata, location: \.location)
        case .ingressClass(let value):
            return Self.insert(value, into: &self.ingressClasses, meta: \.metadata, location: \.location)
        case .service(let value):
            return Self.insert(value, into: &self.services, meta: \.metadata, location: \.location)
        case .endpoints(let value):
            return Self.insert(value, into: &self.endpoints, meta: \.metadata, location: \.location)
        case .endpointSlice(let value):
            return Self.insert(value, into: &self.endpointSlices, meta: \.metadata, location: \.location)
        case .secret(let value):
            return Self.insert(value, into: &self.secrets, meta: \.metadata, location: \.location)
        case .pod(let value):
            return Self.insert(value, into: &self.pods, meta: \.metadata, location: \.location)
        }
    }

    /// Kind, namespace and name: what identifies an object across loads.
    public struct ObjectKey: Hashable, Sendable, CustomStringConvertible {
        public var kind: String
        public var namespace: String
        public var name: String

        public var description: String { "\(self.kind) \(self.namespace)/\(self.name)" }
    }

    /// Every object with its key and where it was read from.
    public var objects: [(key: ObjectKey, object: KubeObject, location: SourceLocation)] {
        func entry(_ kind: String, _ meta: ObjectMeta, _ object: KubeObject, _ location: SourceLocation)
            -> (key: ObjectKey, object: KubeObject, location: SourceLocation)
        {
            (ObjectKey(kind: kind, namespace: meta.namespace, name: meta.name), object, location)
        }
        return self.ingresses.map { entry("Ingress", $0.metadata, .ingress($0), $0.location) }
            + self.ingressClasses.map { entry("IngressClass", $0.metadata, .ingressClass($0), $0.location) }
            + self.services.map { entry("Service", $0.metadata, .service($0), $0.location) }
            + self.endpoints.map { entry("Endpoints", $0.metadata, .endpoints($0), $0.location) }
            + self.endpointSlices.map { entry("EndpointSlice", $0.metadata, .endpointSlice($0), $0.location) }
            + self.secrets.map { entry("Secret", $0.metadata, .secret($0), $0.location) }
            + self.pods.map { entry("Pod", $0.metadata, .pod($0), $0.location) }
    }

    public func contains(_ key: ObjectKey) -> Bool {
        self.objects.contains { $0.key == key }
    }

    private static func insert<T>(
        _ value: T, into list: inout [T], meta: KeyPath<T, ObjectMeta>, location: KeyPath<T, SourceLocation>
    ) -> SourceLocation? {
        let key = value[keyPath: meta]
        if let existing = list.first(where: {
            $0[keyPath: meta].namespace == key.namespace && $0[keyPath: meta].name == key.name
        }) {
            return existing[keyPath: location]
        }
        list.append(value)
        return nil
    }
}
