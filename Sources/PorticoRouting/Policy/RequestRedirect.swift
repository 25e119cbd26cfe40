/// A Gateway API `RequestRedirect` filter: the answer's `Location` is built from the request,
/// each part replaced where the filter says (gateway.networking.k8s.io/v1
/// `HTTPRequestRedirectFilter`). Its path modifier is the route's rewrite, so the router has
/// already written the new path and query into the scratch target when this reads it.
public struct RequestRedirect: Hashable, Sendable {
    /// `http` or `https`; nil keeps the request's.
    public let scheme: String?
    /// nil keeps the request's host (its port left out).
    public let hostname: String?
    /// nil: the well-known port of `scheme` when one is set, else the listener's.
    public let port: Int?
    public let statusCode: Int
    /// The port of the Gateway listener the route is attached to.
    public let listenerPort: Int

    public init(scheme: String?, hostname: String?, port: Int?, statusCode: Int, listenerPort: Int) {
        self.scheme = scheme
        self.hostname = hostname
        self.port = port
        self.statusCode = statusCode
        self.listenerPort = listenerPort
    }

    /// The `Location`. `host` is the request's host without port; `target` its path and query
    /// (rewritten when the filter has a path modifier). The port is left out where it is the
    /// scheme's own (80 for http, 443 for https), as the filter's `port` documentation asks.
    public func location(host: UnsafeRawBufferPointer, target: UnsafeRawBufferPointer, isTLS: Bool) -> [UInt8] {
        let scheme = self.scheme ?? (isTLS ? "https" : "http")
        let port = self.port ?? (self.scheme == nil ? self.listenerPort : (scheme == "https" ? 443 : 80))
        var location = Array(scheme.utf8) + Array("://".utf8)
        if let hostname = self.hostname { location += hostname.utf8 } else { location += host }
        if !(scheme == "http" && port == 80) && !(scheme == "https" && port == 443) { location += ":\(port)".utf8 }
        if target.isEmpty { location.append(UInt8(ascii: "/")) } else { location += target }
        return location
    }
}
