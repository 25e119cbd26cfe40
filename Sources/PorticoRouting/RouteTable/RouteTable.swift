import PorticoRegex

/// What a request resolves to.
public enum RouteLookup: Sendable {
    /// Proxy along this route. If it came from a regex, the captures are in the scratch match
    /// data. `hostHasTLS`: the virtual host it came from has TLS (for `ssl-redirect`).
    case route(Route, hostHasTLS: Bool)
    /// `app-root`: answer 302 to this path on the request's own scheme and Host.
    case appRootRedirect(String)
    /// `from-to-www-redirect`: the host redirects every request to this one.
    case hostRedirect(String)
    /// No route; `redirectToHTTPS` when the host has TLS and its first Ingress redirects.
    case notFound(redirectToHTTPS: Bool)
    /// A regex hit PCRE2's match or depth limit: answer 500 rather than stall the event loop.
    case regexLimitExceeded
}

/// How the virtual host was found, for `portico explain`.
public enum HostMatchKind: Sendable {
    case named
    case anyHost
    case none
}

/// Watches a resolution step by step. The data plane uses `NoLookupObserver`, which the
/// compiler removes entirely; `portico explain` records every step.
public protocol RouteLookupObserver {
    mutating func found(_ virtualHost: VirtualHost?, how: HostMatchKind)
    mutating func tried(_ route: Route, outcome: RegexOutcome)
}

public struct NoLookupObserver: RouteLookupObserver {
    @inlinable public init() {}
    @inlinable public mutating func found(_ virtualHost: VirtualHost?, how: HostMatchKind) {}
    @inlinable public mutating func tried(_ route: Route, outcome: RegexOutcome) {}
}

/// Every host's routes plus the default backend: the structural half of a snapshot.
///
/// Resolution order:
/// 1. the virtual host of the request's host (exact name, then one-label wildcard), or else the
///    rules written without a host;
/// 2. its `app-root` redirect, for a request of exactly `/`;
/// 3. its first matching route;
/// 4. its host-level fallback: the `spec.defaultBackend` of an Ingress with rules for that host
///    (oldest first); it answers that Ingress's own hosts only;
/// 5. a named host stops here: 404 (or its HTTPS redirect). A host one Ingress defines never
///    falls through to another Ingress's default backend, so no tenant catches another's 404s;
/// 6. otherwise (no named host, or the host-less rules matched nothing) the catch-all: the oldest
///    Ingress with a `spec.defaultBackend` and no rules (Ingress API; the conformance suite);
/// 7. otherwise no route: 404.
///
/// A reference: the route phase reads it from the snapshot once per request, and a value would
/// copy its host tables (a dozen retains and releases) each time.
public final class RouteTable: Sendable, Equatable {
    public let hosts: HostTable<VirtualHost>
    /// Rules with no `host`.
    public let anyHost: VirtualHost?
    public let defaultRoute: Route?
    /// Every virtual host in a stable order, for listings.
    public let listing: [VirtualHost]

    public init(hosts: [(HostPattern, VirtualHost)], anyHost: VirtualHost?, defaultRoute: Route?) {
        var table = HostTable<VirtualHost>()
        for (pattern, virtualHost) in hosts {
            table.set(pattern, virtualHost)
            for alias in virtualHost.aliases { table.set(alias, virtualHost) }
        }
        self.hosts = table
        self.anyHost = anyHost
        self.defaultRoute = defaultRoute
        self.listing = hosts.map(\.1) + (anyHost.map { [$0] } ?? [])
    }

    /// `hosts` is built from `listing` (each virtual host's name is its pattern, its aliases
    /// are in it), so the
    /// listing and the default say everything.
    public static func == (lhs: RouteTable, rhs: RouteTable) -> Bool {
        lhs === rhs || lhs.listing == rhs.listing && lhs.anyHost == rhs.anyHost && lhs.defaultRoute == rhs.defaultRoute
    }

    /// Resolves a request. `host` is the Host value without port; `path` is normalised;
    /// `request` answers the routes' other conditions.
    @inlinable
    public func resolve<Observer: RouteLookupObserver, Request: RouteRequest>(
        host: UnsafeRawBufferPointer, path: UnsafeRawBufferPointer, request: Request, scratch: RegexMatchData, observer: inout Observer
    ) -> RouteLookup {
        var virtualHost = self.hosts.lookup(host)
        let isNamed = virtualHost != nil
        if isNamed {
            observer.found(virtualHost, how: .named)
        } else {
            virtualHost = self.anyHost
            observer.found(virtualHost, how: virtualHost == nil ? .none : .anyHost)
        }
        if let virtualHost {
            if let target = virtualHost.redirectTo { return .hostRedirect(target) }
            if let appRoot = virtualHost.appRoot, path.count == 1, path[0] == UInt8(ascii: "/") {
                return .appRootRedirect(appRoot)
            }
            for route in virtualHost.routes {
                let outcome = route.match.evaluate(path, scratch: scratch)
                observer.tried(route, outcome: outcome)
                switch outcome {
                case .match:
                    if let conditions = route.conditions, !conditions.accept(request, scratch: scratch) { continue }
                    return .route(route, hostHasTLS: virtualHost.hasTLS)
                case .limitExceeded: return .regexLimitExceeded
                case .noMatch: continue
                }
            }
            if let fallback = virtualHost.fallback { return .route(fallback, hostHasTLS: virtualHost.hasTLS) }
            if virtualHost.redirectsUnmatched { return .notFound(redirectToHTTPS: true) }
            if isNamed { return .notFound(redirectToHTTPS: false) }
        }
        if let defaultRoute = self.defaultRoute { return .route(defaultRoute, hostHasTLS: false) }
        return .notFound(redirectToHTTPS: false)
    }

    /// Convenience for tests and tools: the route a request would take, if any.
    public func resolve(host: String, path: String) -> Route? {
        var host = host
        var path = path
        let scratch = RegexMatchData()
        var observer = NoLookupObserver()
        let lookup = host.withUTF8 { hostBytes in
            path.withUTF8 { pathBytes in
                self.resolve(
                    host: UnsafeRawBufferPointer(hostBytes), path: UnsafeRawBufferPointer(pathBytes),
                    request: PathOnlyRequest(isTLS: false, query: UnsafeRawBufferPointer(start: nil, count: 0)), scratch: scratch,
                    observer: &observer)
            }
        }
        if case .route(let route, _) = lookup { return route }
        return nil
    }
}
