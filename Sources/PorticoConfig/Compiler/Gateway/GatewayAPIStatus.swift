import PorticoKube

/// The status the Gateway API asks a controller to write, as the compiler found it: conditions
/// with the spec's standard types and reasons (gateway.networking.k8s.io/v1
/// `GatewayClassConditionType`, `GatewayConditionType`, `ListenerConditionType`,
/// `RouteConditionType`), per object. The status writer turns it into JSON; timestamps are its.
public struct GatewayAPIStatus: Equatable, Sendable {
    public struct Condition: Equatable, Sendable {
        public var type: String
        public var status: Bool
        public var reason: String
        public var message: String
        public var observedGeneration: Int?

        public init(_ type: String, _ status: Bool, _ reason: String, _ message: String = "", generation: Int? = nil) {
            self.type = type
            self.status = status
            self.reason = reason
            self.message = message
            self.observedGeneration = generation
        }
    }

    public struct Listener: Equatable, Sendable {
        public var name: String
        public var attachedRoutes: Int
        /// The route kinds of the listeners Portico serves (HTTPRoute, GRPCRoute, narrowed by
        /// `allowedRoutes.kinds`), none for the others.
        public var supportedKinds: [String]
        public var conditions: [Condition]
    }

    public struct GatewayValue: Equatable, Sendable {
        public var conditions: [Condition]
        public var listeners: [Listener]
    }

    /// One entry of `HTTPRoute.status.parents` (and `GRPCRoute`'s): the parentRef as written, and its conditions.
    public struct Parent: Equatable, Sendable {
        public var ref: ParentReference
        public var conditions: [Condition]

        public init(ref: ParentReference, conditions: [Condition]) {
            self.ref = ref
            self.conditions = conditions
        }
    }

    /// By name (GatewayClasses are cluster-scoped).
    public var gatewayClasses: [String: [Condition]] = [:]
    /// By `namespace/name`.
    public var gateways: [String: GatewayValue] = [:]
    public var httpRoutes: [String: [Parent]] = [:]
    public var grpcRoutes: [String: [Parent]] = [:]

    public init() {}
}
