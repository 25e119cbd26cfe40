import PorticoRegex

/// Scratch space for routing one request at a time: normalised path, regex captures and the
/// rewritten target. The data plane keeps one per event loop, so routing allocates nothing once
/// the buffers have grown.
public final class RoutingScratch {
    public var path: [UInt8] = []
    public let regex = RegexMatchData()
    /// The target sent upstream when a rewrite applies: rewritten path plus the original query.
    public var rewrittenTarget: [UInt8] = []

    public init() {
        self.path.reserveCapacity(1024)
        self.rewrittenTarget.reserveCapacity(1024)
    }
}

@available(*, unavailable)
extension RoutingScratch: Sendable {}

/// What the proxy does with a request.
public enum RoutingDecision: Sendable {
    /// Proxy along `route`; if `rewritten`, send `scratch.rewrittenTarget` instead of the
    /// client's target.
    case proxy(Route, rewritten: Bool)
    /// `app-root`: 302 to this path on the request's own scheme and Host.
    case appRootRedirect(String)
    /// `ssl-redirect`/`force-ssl-redirect`: 308 to the same path and query over HTTPS;
    /// `preserveTrailingSlash` from the route's `preserve-trailing-slash`. `route`: the route
    /// that matched (nil for an unmatched path), whose rewrite-phase answers come first.
    case httpsRedirect(preserveTrailingSlash: Bool, route: Route?)
    /// `from-to-www-redirect`: 308 to the same request URI on this host (`hostRedirectLocation`).
    case hostRedirect(String)
    /// The proxy answers itself: 400 (bad Host or path), 404 (no route), 500 (regex limit).
    case status(Int)
}

/// From a request's Host and target to a decision: the one routine both the data plane and the
/// offline tools (`portico check`, `portico explain`) run, so they cannot disagree.
public enum RequestRouter {
    /// - Parameters:
    ///   - hostValue: the Host header (or absolute-URI authority) as received, port included;
    ///     nil for an HTTP/1.0 request without Host.
    ///   - path: the target's path, raw (empty means `/`).
    ///   - request: the method, fields, query and scheme routes with conditions read; its
    ///     `isTLS` says the request arrived over HTTPS (no redirect to HTTPS then).
    @inlinable
    public static func route<Observer: RouteLookupObserver, Request: RouteRequest>(
        _ table: RouteTable, hostValue: UnsafeRawBufferPointer?, path rawPath: UnsafeRawBufferPointer,
        request: Request, scratch: RoutingScratch, observer: inout Observer
    ) -> RoutingDecision {
        var host = UnsafeRawBufferPointer(start: nil, count: 0)
        if let hostValue {
            guard let range = HostBytes.hostRange(of: hostValue) else { return .status(400) }
            host = UnsafeRawBufferPointer(rebasing: hostValue[range])
        }
        let slash: StaticString = "/"
        let path = rawPath.isEmpty ? UnsafeRawBufferPointer(start: slash.utf8Start, count: 1) : rawPath
        switch PathNormalizer.normalize(path, into: &scratch.path) {
        case .unchanged:
            return self.decide(table, host: host, path: path, request: request, scratch: scratch, observer: &observer)
        case .normalized:
            return scratch.path.withUnsafeBytes {
                self.decide(table, host: host, path: $0, request: request, scratch: scratch, observer: &observer)
            }
        case .invalid:
            return .status(400)
        }
    }

    @inlinable
    static func decide<Observer: RouteLookupObserver, Request: RouteRequest>(
        _ table: RouteTable, host: UnsafeRawBufferPointer, path: UnsafeRawBufferPointer, request: Request,
        scratch: RoutingScratch, observer: inout Observer
    ) -> RoutingDecision {
        let isTLS = request.isTLS
        switch table.resolve(host: host, path: path, request: request, scratch: scratch.regex, observer: &observer) {
        case .route(let route, let hostHasTLS):
            if !isTLS, route.policy.forceSSLRedirect || (hostHasTLS && route.policy.sslRedirect), !Self.isACMEChallenge(path) {
                return .httpsRedirect(preserveTrailingSlash: route.policy.preserveTrailingSlash, route: route)
            }
            guard let rewrite = route.rewrite else { return .proxy(route, rewritten: false) }
            scratch.rewrittenTarget.removeAll(keepingCapacity: true)
            rewrite.apply(subject: path, captures: scratch.regex, into: &scratch.rewrittenTarget)
            scratch.rewrittenTarget.append(contentsOf: request.query)
            return .proxy(route, rewritten: true)
        case .appRootRedirect(let appRoot):
            return .appRootRedirect(appRoot)
        case .hostRedirect(let target):
            return .hostRedirect(target)
        case .notFound(let redirectToHTTPS):
            return redirectToHTTPS && !isTLS && !Self.isACMEChallenge(path)
                ? .httpsRedirect(preserveTrailingSlash: false, route: nil) : .status(404)
        case .regexLimitExceeded:
            return .status(500)
        }
    }

    /// The `Location` of an HTTPS redirect: `https://<host without port>[:port]<request URI>`,
    /// the port left out when it is 443. As ingress-nginx's lua_ingress.lua does
    /// (`string.gsub(ngx.var.request_uri, "/$", "")`), one trailing `/` of the request URI (path
    /// and query as received) is removed unless `preserve-trailing-slash`: `http://h/foo/` goes
    /// to `https://h/foo` and `http://h/` to `https://h` (e2e `ssl/http_redirect.go`).
    public static func httpsLocation(
        hostValue: UnsafeRawBufferPointer?, target: UnsafeRawBufferPointer, httpsPort: Int, preserveTrailingSlash: Bool = false
    ) -> [UInt8] {
        var location = Array("https://".utf8)
        if let hostValue, let range = HostBytes.hostRange(of: hostValue) {
            location += hostValue[range]
        }
        if httpsPort != 443 { location += ":\(httpsPort)".utf8 }
        if target.isEmpty {
            if preserveTrailingSlash { location.append(UInt8(ascii: "/")) }  // an empty target is `/`
        } else if !preserveTrailingSlash, target.last == UInt8(ascii: "/") {
            location += target.dropLast()
        } else {
            location += target
        }
        return location
    }

    /// The `Location` of a `from-to-www-redirect`: `<scheme>://<target>:<port><request URI>`
    /// with one trailing `/` removed, the port always written — ingress-nginx's
    /// ngx_srv_redirect.lua (e2e `fromtowwwredirect.go` expects `http://host:80/foo`).
    public static func hostRedirectLocation(target: String, isTLS: Bool, port: Int, requestURI: UnsafeRawBufferPointer) -> [UInt8] {
        var location = Array("\(isTLS ? "https" : "http")://\(target):\(port)".utf8)
        location += requestURI.last == UInt8(ascii: "/") ? requestURI.dropLast() : requestURI[...]
        return location
    }

    /// `/.well-known/acme-challenge/…` stays reachable over HTTP so certificates can be issued
    /// (ingress-nginx's `no-tls-redirect-locations`).
    @inlinable
    static func isACMEChallenge(_ path: UnsafeRawBufferPointer) -> Bool {
        let prefix: StaticString = "/.well-known/acme-challenge"
        guard path.count >= prefix.utf8CodeUnitCount else { return false }
        return memcmpEqual(path.baseAddress!, UnsafeRawPointer(prefix.utf8Start), prefix.utf8CodeUnitCount)
    }
}
