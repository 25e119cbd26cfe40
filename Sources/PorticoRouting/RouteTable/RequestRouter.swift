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
    ///   - query: the target's query including its `?`, or empty.
    @inlinable
    public static func route<Observer: RouteLookupObserver>(
        _ table: RouteTable, hostValue: UnsafeRawBufferPointer?, path rawPath: UnsafeRawBufferPointer,
        query: UnsafeRawBufferPointer, scratch: RoutingScratch, observer: inout Observer
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
            return self.decide(table, host: host, path: path, query: query, scratch: scratch, observer: &observer)
        case .normalized:
            return scratch.path.withUnsafeBytes {
                self.decide(table, host: host, path: $0, query: query, scratch: scratch, observer: &observer)
            }
        case .invalid:
            return .status(400)
        }
    }

    @inlinable
    static func decide<Observer: RouteLookupObserver>(
        _ table: RouteTable, host: UnsafeRawBufferPointer, path: UnsafeRawBufferPointer, query: UnsafeRawBufferPointer,
        scratch: RoutingScratch, observer: inout Observer
    ) -> RoutingDecision {
        switch table.resolve(host: host, path: path, scratch: scratch.regex, observer: &observer) {
        case .route(let route):
            guard let rewrite = route.rewrite else { return .proxy(route, rewritten: false) }
            scratch.rewrittenTarget.removeAll(keepingCapacity: true)
            rewrite.apply(subject: path, captures: scratch.regex, into: &scratch.rewrittenTarget)
            scratch.rewrittenTarget.append(contentsOf: query)
            return .proxy(route, rewritten: true)
        case .appRootRedirect(let appRoot):
            return .appRootRedirect(appRoot)
        case .notFound:
            return .status(404)
        case .regexLimitExceeded:
            return .status(500)
        }
    }
}
