/// The immutable result of compiling the whole cluster state: routes plus resolved backends.
///
/// Built once per configuration change, then swapped in atomically; a request reads one
/// snapshot from start to end.
public struct RoutingSnapshot: Sendable {
    public let routes: RouteTable
    /// Indexed by `BackendID`.
    public let backends: [Backend]

    public init(routes: RouteTable, backends: [Backend]) {
        self.routes = routes
        self.backends = backends
    }

    public static let empty = RoutingSnapshot(
        routes: RouteTable(hosts: [], anyHost: nil, defaultRoute: nil),
        backends: []
    )
}
