/// Every host's routes plus the default backend: the structural half of a snapshot.
///
/// Resolution order:
/// 1. the virtual host of the request's host (exact name, then one-label wildcard), or else the
///    rules written without a host;
/// 2. its first matching route;
/// 3. its host-level fallback (`spec.defaultBackend` of an Ingress naming the host);
/// 4. the cluster-wide default: the oldest Ingress's `spec.defaultBackend` answers any request
///    that matched no rule, whatever its host (Ingress API; the conformance suite);
/// 5. otherwise no route: 404.
public struct RouteTable: Sendable {
    public let hosts: HostTable<VirtualHost>
    /// Rules with no `host`.
    public let anyHost: VirtualHost?
    public let defaultRoute: Route?
    /// Every virtual host in a stable order, for listings.
    public let listing: [VirtualHost]

    public init(hosts: [(HostPattern, VirtualHost)], anyHost: VirtualHost?, defaultRoute: Route?) {
        var table = HostTable<VirtualHost>()
        for (pattern, virtualHost) in hosts { table.set(pattern, virtualHost) }
        self.hosts = table
        self.anyHost = anyHost
        self.defaultRoute = defaultRoute
        self.listing = hosts.map(\.1) + (anyHost.map { [$0] } ?? [])
    }

    /// Resolves a request. `host` is the Host value without port; `path` is normalised.
    @inlinable
    public func resolve(host: UnsafeRawBufferPointer, path: UnsafeRawBufferPointer) -> Route? {
        if let virtualHost = self.hosts.lookup(host) ?? self.anyHost {
            if let route = virtualHost.match(path) { return route }
            if let fallback = virtualHost.fallback { return fallback }
        }
        return self.defaultRoute
    }

    /// Convenience for tests and tools.
    public func resolve(host: String, path: String) -> Route? {
        var host = host
        var path = path
        return host.withUTF8 { hostBytes in
            path.withUTF8 { pathBytes in
                self.resolve(host: UnsafeRawBufferPointer(hostBytes), path: UnsafeRawBufferPointer(pathBytes))
            }
        }
    }
}
