/// networking.k8s.io/v1 Ingress, the fields Portico reads.
public struct Ingress: Hashable, Sendable {
    public var metadata: ObjectMeta
    public var location: SourceLocation
    public var ingressClassName: String?
    public var defaultBackend: IngressBackend?
    public var tls: [IngressTLS]
    public var rules: [IngressRule]

    public init(
        metadata: ObjectMeta,
        location: SourceLocation,
        ingressClassName: String? = nil,
        defaultBackend: IngressBackend? = nil,
        tls: [IngressTLS] = [],
        rules: [IngressRule] = []
    ) {
        self.metadata = metadata
        self.location = location
        self.ingressClassName = ingressClassName
        self.defaultBackend = defaultBackend
        self.tls = tls
        self.rules = rules
    }
}

public struct IngressTLS: Hashable, Sendable {
    public var hosts: [String]
    public var secretName: String?
    public var line: Int?
}

public struct IngressRule: Hashable, Sendable {
    /// nil: the rule applies to every host.
    public var host: String?
    /// nil when the rule has no `http:` section.
    public var paths: [HTTPIngressPath]?
    public var line: Int?
}

public struct HTTPIngressPath: Hashable, Sendable {
    public enum PathType: String, Hashable, Sendable, CaseIterable {
        case exact = "Exact"
        case prefix = "Prefix"
        case implementationSpecific = "ImplementationSpecific"
    }

    /// `/` when the manifest leaves it empty, as ingress-nginx does.
    public var path: String
    public var pathType: PathType
    public var backend: IngressBackend
    public var line: Int?
}

/// `IngressBackend`: exactly one of `service` and `resource`.
public struct IngressBackend: Hashable, Sendable {
    public enum Port: Hashable, Sendable {
        case number(Int)
        case name(String)
    }

    public enum Target: Hashable, Sendable {
        case service(name: String, port: Port)
        /// A `resource:` backend (an object reference); Portico cannot serve these.
        case resource(kind: String, name: String)
    }

    public var target: Target
    public var line: Int?
    /// The field path, for diagnostics that concern this backend later (e.g. a missing Service).
    public var field: String
}
