import PorticoRegex
import PorticoRouting

/// What Portico would do with one request, computed offline by the same `RequestRouter` the
/// data plane runs.
public struct SimulatedOutcome: Sendable, Equatable {
    /// The proxy's own answer (404, 503, 302, …); nil when the request would be proxied and the
    /// upstream decides.
    public var status: Int?
    /// `namespace/service:port` as written in the Ingress backend.
    public var service: String?
    /// Path and query that would be sent upstream.
    public var upstreamPath: String?
    public var location: String?
    public var endpoints: [String] = []
    /// `namespace/name` of the Ingress whose route matched.
    public var ingress: String?

    /// One line for messages: what a case "got".
    public var summary: String {
        if let status = self.status {
            var text = "status \(status)"
            if let location = self.location { text += " location \(location)" }
            if let service = self.service { text += " (service \(service))" }
            return text
        }
        return "proxied to \(self.service ?? "?") with upstreamPath \(self.upstreamPath ?? "?")"
    }
}

public enum RequestSimulation {
    /// - Parameter httpsPort: where HTTPS redirects point (443 is left out of the URL).
    public static func run<Observer: RouteLookupObserver>(
        _ request: OfflineRequest, snapshot: RoutingSnapshot, httpsPort: Int = 443, scratch: RoutingScratch = RoutingScratch(),
        observer: inout Observer
    ) -> SimulatedOutcome {
        var host = Array(request.hostValue.utf8)
        var path = Array(request.path.utf8)
        var query = Array(request.query.utf8)
        let decision = host.withUnsafeMutableBytes { hostBytes in
            path.withUnsafeMutableBytes { pathBytes in
                query.withUnsafeMutableBytes { queryBytes in
                    RequestRouter.route(
                        snapshot.routes, hostValue: UnsafeRawBufferPointer(hostBytes), path: UnsafeRawBufferPointer(pathBytes),
                        query: UnsafeRawBufferPointer(queryBytes), isTLS: request.scheme == "https", scratch: scratch,
                        observer: &observer)
                }
            }
        }
        var outcome = SimulatedOutcome()
        switch decision {
        case .status(let status):
            outcome.status = status
        case .httpsRedirect(let preserveTrailingSlash):
            outcome.status = 308
            var target = Array((request.path + request.query).utf8)
            let location = host.withUnsafeMutableBytes { hostBytes in
                target.withUnsafeMutableBytes {
                    RequestRouter.httpsLocation(
                        hostValue: UnsafeRawBufferPointer(hostBytes), target: UnsafeRawBufferPointer($0), httpsPort: httpsPort,
                        preserveTrailingSlash: preserveTrailingSlash)
                }
            }
            outcome.location = String(decoding: location, as: UTF8.self)
        case .appRootRedirect(let appRoot):
            outcome.status = 302
            outcome.location = "\(request.scheme)://\(request.hostValue)\(appRoot)"
        case .proxy(let route, let rewritten):
            let backend = snapshot.backends[route.backend]
            outcome.service = backend.ref.description
            outcome.ingress = route.source.ingress
            outcome.endpoints = backend.endpoints.map(\.description)
            outcome.upstreamPath =
                rewritten ? String(decoding: scratch.rewrittenTarget, as: UTF8.self) : request.path + request.query
            if backend.endpoints.isEmpty || route.policy.deniedReason != nil { outcome.status = 503 }
        }
        return outcome
    }

    public static func run(_ request: OfflineRequest, snapshot: RoutingSnapshot, httpsPort: Int = 443) -> SimulatedOutcome {
        var observer = NoLookupObserver()
        return Self.run(request, snapshot: snapshot, httpsPort: httpsPort, observer: &observer)
    }
}
