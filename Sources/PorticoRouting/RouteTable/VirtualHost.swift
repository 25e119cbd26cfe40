/// The routes of one host, merged from every Ingress that names it, in the order they are tried.
///
/// The compiler decides the order (Exact before Prefix, longer Prefix first), so matching is a
/// first-match scan, the way Envoy evaluates a virtual host's routes.
public struct VirtualHost: Sendable {
    /// `*` for the rules without a host.
    public let name: String
    public let routes: [Route]
    /// The `spec.defaultBackend` of the oldest Ingress on this host that has one: it answers the
    /// paths no route matched.
    public let fallback: Route?

    public init(name: String, routes: [Route], fallback: Route?) {
        self.name = name
        self.routes = routes
        self.fallback = fallback
    }

    @inlinable
    public func match(_ path: UnsafeRawBufferPointer) -> Route? {
        for route in self.routes where route.match.matches(path) {
            return route
        }
        return nil
    }
}
