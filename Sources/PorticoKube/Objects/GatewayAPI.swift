/// The Gateway API kinds Portico reads (gateway.networking.k8s.io/v1; `v1beta1` is accepted
/// too, the same schema served under its older name). Fields are kept as written; defaults the
/// API server would fill in (CRD `+kubebuilder:default`) are applied at decoding, so a manifest
/// read from a file means what it would mean once applied.

/// `GatewayClass`: which controller serves the Gateways of a class.
public struct GatewayClass: Hashable, Sendable {
    public var metadata: ObjectMeta
    public var location: SourceLocation
    /// `spec.controllerName`; Portico's is `portico.dev/gateway-controller`.
    public var controllerName: String

    public init(metadata: ObjectMeta, location: SourceLocation, controllerName: String) {
        self.metadata = metadata
        self.location = location
        self.controllerName = controllerName
    }
}

/// `Gateway`: listeners (port, protocol, hostname, TLS) routes attach to.
public struct Gateway: Hashable, Sendable {
    public var metadata: ObjectMeta
    public var location: SourceLocation
    public var gatewayClassName: String
    public var listeners: [GatewayListener]

    public init(metadata: ObjectMeta, location: SourceLocation, gatewayClassName: String, listeners: [GatewayListener]) {
        self.metadata = metadata
        self.location = location
        self.gatewayClassName = gatewayClassName
        self.listeners = listeners
    }
}

public struct GatewayListener: Hashable, Sendable {
    public var name: String
    public var hostname: String?
    public var port: Int
    /// `HTTP`, `HTTPS`, `TLS`, `TCP`, `UDP` or an implementation's own.
    public var protocolName: String
    public var tls: TLSConfig?
    public var allowedRoutes: AllowedRoutes
    public var line: Int?
    /// Its path in the manifest (`spec.listeners[0]`).
    public var field: String

    public struct TLSConfig: Hashable, Sendable {
        /// `Terminate` (default) or `Passthrough`.
        public var mode: String
        public var certificateRefs: [ObjectReference]

        public init(mode: String = "Terminate", certificateRefs: [ObjectReference] = []) {
            self.mode = mode
            self.certificateRefs = certificateRefs
        }
    }

    public struct AllowedRoutes: Hashable, Sendable {
        /// `Same` (default), `All` or `Selector`.
        public var namespacesFrom: String
        /// With `Selector`: the labels a route's namespace must have.
        public var namespaceSelector: LabelSelector
        /// `kinds`; empty: the kinds the protocol allows.
        public var kinds: [GroupKind]

        public init(namespacesFrom: String = "Same", namespaceSelector: LabelSelector = LabelSelector(), kinds: [GroupKind] = []) {
            self.namespacesFrom = namespacesFrom
            self.namespaceSelector = namespaceSelector
            self.kinds = kinds
        }
    }

    public init(
        name: String, hostname: String? = nil, port: Int, protocolName: String, tls: TLSConfig? = nil,
        allowedRoutes: AllowedRoutes = AllowedRoutes(), line: Int? = nil, field: String = ""
    ) {
        self.name = name
        self.hostname = hostname
        self.port = port
        self.protocolName = protocolName
        self.tls = tls
        self.allowedRoutes = allowedRoutes
        self.line = line
        self.field = field
    }
}

/// A group and kind (`group: ""` is the core group).
public struct GroupKind: Hashable, Sendable, CustomStringConvertible {
    public var group: String
    public var kind: String

    public init(group: String, kind: String) {
        self.group = group
        self.kind = kind
    }

    public var description: String { self.group.isEmpty ? self.kind : "\(self.kind).\(self.group)" }
}

/// A reference to another object: `certificateRefs`, `backendRefs`, a mirror's backend.
public struct ObjectReference: Hashable, Sendable {
    public var group: String
    public var kind: String
    public var name: String
    /// nil: the referring object's namespace.
    public var namespace: String?
    public var port: Int?
    public var line: Int?
    public var field: String

    public init(group: String, kind: String, name: String, namespace: String? = nil, port: Int? = nil, line: Int? = nil, field: String = "") {
        self.group = group
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.port = port
        self.line = line
        self.field = field
    }
}

/// `HTTPRoute`.
public struct HTTPRoute: Hashable, Sendable {
    public var metadata: ObjectMeta
    public var location: SourceLocation
    public var parentRefs: [ParentReference]
    public var hostnames: [String]
    public var rules: [HTTPRouteRule]

    public init(metadata: ObjectMeta, location: SourceLocation, parentRefs: [ParentReference], hostnames: [String], rules: [HTTPRouteRule]) {
        self.metadata = metadata
        self.location = location
        self.parentRefs = parentRefs
        self.hostnames = hostnames
        self.rules = rules
    }
}

public struct ParentReference: Hashable, Sendable {
    public var group: String
    public var kind: String
    public var name: String
    public var namespace: String?
    public var sectionName: String?
    public var port: Int?
    public var line: Int?
    public var field: String

    public init(
        group: String = "gateway.networking.k8s.io", kind: String = "Gateway", name: String, namespace: String? = nil,
        sectionName: String? = nil, port: Int? = nil, line: Int? = nil, field: String = ""
    ) {
        self.group = group
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.sectionName = sectionName
        self.port = port
        self.line = line
        self.field = field
    }
}

public struct HTTPRouteRule: Hashable, Sendable {
    /// At least one; the API's default is one `PathPrefix /` match.
    public var matches: [HTTPRouteMatch]
    public var filters: [HTTPRouteFilter]
    public var backendRefs: [HTTPBackendRef]
    /// `timeouts.request` and `timeouts.backendRequest`, in seconds.
    public var requestTimeout: Double?
    public var backendRequestTimeout: Double?
    /// `retry` (GEP-1731): the retries an attempt may get, on which answer statuses, after what pause.
    public var retry: Retry?
    /// Fields read only to say they are not served (`sessionPersistence`).
    public var unserved: [Unserved] = []
    public var line: Int?
    public var field: String

    public struct Unserved: Hashable, Sendable {
        public var field: String
        public var line: Int?
    }

    public struct Retry: Hashable, Sendable {
        /// nil: the implementation's default.
        public var attempts: Int?
        public var codes: [Int]
        /// Seconds; nil: none asked for.
        public var backoff: Double?
        public var line: Int?

        public init(attempts: Int? = nil, codes: [Int] = [], backoff: Double? = nil, line: Int? = nil) {
            self.attempts = attempts
            self.codes = codes
            self.backoff = backoff
            self.line = line
        }
    }

    public init(
        matches: [HTTPRouteMatch] = [HTTPRouteMatch()], filters: [HTTPRouteFilter] = [], backendRefs: [HTTPBackendRef] = [],
        requestTimeout: Double? = nil, backendRequestTimeout: Double? = nil, retry: Retry? = nil, line: Int? = nil, field: String = ""
    ) {
        self.matches = matches
        self.filters = filters
        self.backendRefs = backendRefs
        self.requestTimeout = requestTimeout
        self.backendRequestTimeout = backendRequestTimeout
        self.retry = retry
        self.line = line
        self.field = field
    }
}

public struct HTTPRouteMatch: Hashable, Sendable {
    /// `Exact`, `PathPrefix` (default) or `RegularExpression`.
    public var pathType: String
    public var pathValue: String
    public var headers: [ValueMatch]
    public var queryParams: [ValueMatch]
    public var method: String?
    public var line: Int?
    public var field: String

    /// A header or query parameter condition.
    public struct ValueMatch: Hashable, Sendable {
        /// `Exact` (default) or `RegularExpression`.
        public var type: String
        public var name: String
        public var value: String

        public init(type: String = "Exact", name: String, value: String) {
            self.type = type
            self.name = name
            self.value = value
        }
    }

    public init(
        pathType: String = "PathPrefix", pathValue: String = "/", headers: [ValueMatch] = [], queryParams: [ValueMatch] = [],
        method: String? = nil, line: Int? = nil, field: String = ""
    ) {
        self.pathType = pathType
        self.pathValue = pathValue
        self.headers = headers
        self.queryParams = queryParams
        self.method = method
        self.line = line
        self.field = field
    }
}

public enum HTTPRouteFilter: Hashable, Sendable {
    case requestHeaderModifier(HeaderModifier)
    case responseHeaderModifier(HeaderModifier)
    case requestRedirect(RequestRedirect)
    case urlRewrite(URLRewrite)
    case requestMirror(RequestMirror)
    /// A filter type Portico does not implement (`ExtensionRef`, `CORS`, …), by its `type`.
    case other(type: String, line: Int?, field: String)

    /// Its `type`, as written.
    public var type: String {
        switch self {
        case .requestHeaderModifier: "RequestHeaderModifier"
        case .responseHeaderModifier: "ResponseHeaderModifier"
        case .requestRedirect: "RequestRedirect"
        case .urlRewrite: "URLRewrite"
        case .requestMirror: "RequestMirror"
        case .other(let type, _, _): type
        }
    }

    /// `HTTPRequestMirrorFilter`: the Service copies go to, and the share of requests copied
    /// (`percent` N as N/100, or `fraction`; nil: every request).
    public struct RequestMirror: Hashable, Sendable {
        public var backendRef: ObjectReference
        public var fraction: Fraction?

        /// `numerator` of every `denominator` requests.
        public struct Fraction: Hashable, Sendable {
            public var numerator: Int
            public var denominator: Int
        }

        public init(backendRef: ObjectReference, fraction: Fraction? = nil) {
            self.backendRef = backendRef
            self.fraction = fraction
        }
    }

    public struct HeaderModifier: Hashable, Sendable {
        public var set: [HeaderValue]
        public var add: [HeaderValue]
        public var remove: [String]

        public init(set: [HeaderValue] = [], add: [HeaderValue] = [], remove: [String] = []) {
            self.set = set
            self.add = add
            self.remove = remove
        }
    }

    public struct HeaderValue: Hashable, Sendable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// `ReplaceFullPath` or `ReplacePrefixMatch` with its value.
    public enum PathModifier: Hashable, Sendable {
        case replaceFullPath(String)
        case replacePrefixMatch(String)
    }

    public struct RequestRedirect: Hashable, Sendable {
        public var scheme: String?
        public var hostname: String?
        public var path: PathModifier?
        public var port: Int?
        /// 302 unless set (the CRD's default).
        public var statusCode: Int

        public init(scheme: String? = nil, hostname: String? = nil, path: PathModifier? = nil, port: Int? = nil, statusCode: Int = 302) {
            self.scheme = scheme
            self.hostname = hostname
            self.path = path
            self.port = port
            self.statusCode = statusCode
        }
    }

    public struct URLRewrite: Hashable, Sendable {
        public var hostname: String?
        public var path: PathModifier?

        public init(hostname: String? = nil, path: PathModifier? = nil) {
            self.hostname = hostname
            self.path = path
        }
    }
}

public struct HTTPBackendRef: Hashable, Sendable {
    public var reference: ObjectReference
    /// 1 unless set.
    public var weight: Int
    public var filters: [HTTPRouteFilter]

    public init(reference: ObjectReference, weight: Int = 1, filters: [HTTPRouteFilter] = []) {
        self.reference = reference
        self.weight = weight
        self.filters = filters
    }
}

/// `ReferenceGrant` (gateway.networking.k8s.io/v1beta1): lets objects of the `from` kinds in
/// other namespaces refer to objects of the `to` kinds in this one.
public struct ReferenceGrant: Hashable, Sendable {
    public var metadata: ObjectMeta
    public var location: SourceLocation
    public var from: [From]
    public var to: [To]

    public struct From: Hashable, Sendable {
        public var group: String
        public var kind: String
        public var namespace: String

        public init(group: String, kind: String, namespace: String) {
            self.group = group
            self.kind = kind
            self.namespace = namespace
        }
    }

    public struct To: Hashable, Sendable {
        public var group: String
        public var kind: String
        /// nil: every object of the kind.
        public var name: String?

        public init(group: String, kind: String, name: String? = nil) {
            self.group = group
            self.kind = kind
            self.name = name
        }
    }

    public init(metadata: ObjectMeta, location: SourceLocation, from: [From], to: [To]) {
        self.metadata = metadata
        self.location = location
        self.from = from
        self.to = to
    }

    /// Whether an object of `fromKind` in `fromNamespace` may refer to `toKind` `name` here.
    public func permits(from fromKind: GroupKind, in fromNamespace: String, to toKind: GroupKind, named name: String) -> Bool {
        self.from.contains { $0.group == fromKind.group && $0.kind == fromKind.kind && $0.namespace == fromNamespace }
            && self.to.contains { $0.group == toKind.group && $0.kind == toKind.kind && ($0.name == nil || $0.name == name) }
    }
}
