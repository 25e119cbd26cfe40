/// `GRPCRoute` (gateway.networking.k8s.io/v1): gRPC calls routed by service and method
/// (the `:path` `/service/method`, gRPC's PROTOCOL-HTTP2.md) and headers, to backends that
/// speak HTTP/2. Its parents, hostnames, header filters and backendRefs are the HTTPRoute's.
public struct GRPCRoute: Hashable, Sendable {
    public var metadata: ObjectMeta
    public var location: SourceLocation
    public var parentRefs: [ParentReference]
    public var hostnames: [String]
    public var rules: [GRPCRouteRule]

    public init(metadata: ObjectMeta, location: SourceLocation, parentRefs: [ParentReference], hostnames: [String], rules: [GRPCRouteRule]) {
        self.metadata = metadata
        self.location = location
        self.parentRefs = parentRefs
        self.hostnames = hostnames
        self.rules = rules
    }
}

public struct GRPCRouteRule: Hashable, Sendable {
    /// Empty: every call (the API's "no matches match every gRPC request").
    public var matches: [GRPCRouteMatch]
    /// RequestHeaderModifier, ResponseHeaderModifier, RequestMirror, or `.other`.
    public var filters: [HTTPRouteFilter]
    public var backendRefs: [HTTPBackendRef]
    public var line: Int?
    public var field: String

    public init(matches: [GRPCRouteMatch] = [], filters: [HTTPRouteFilter] = [], backendRefs: [HTTPBackendRef] = [], line: Int? = nil, field: String = "") {
        self.matches = matches
        self.filters = filters
        self.backendRefs = backendRefs
        self.line = line
        self.field = field
    }
}

public struct GRPCRouteMatch: Hashable, Sendable {
    /// `Exact` (default) or `RegularExpression`, for both the service and the method.
    public var type: String
    /// nil: any service.
    public var service: String?
    /// nil: any method.
    public var method: String?
    /// `Exact` or `RegularExpression` header conditions, ANDed.
    public var headers: [HTTPRouteMatch.ValueMatch]
    public var line: Int?
    public var field: String

    public init(
        type: String = "Exact", service: String? = nil, method: String? = nil, headers: [HTTPRouteMatch.ValueMatch] = [], line: Int? = nil,
        field: String = ""
    ) {
        self.type = type
        self.service = service
        self.method = method
        self.headers = headers
        self.line = line
        self.field = field
    }
}
