import PorticoRegex
import PorticoRouting

/// What Portico would do with one request, computed offline by the same `RequestRouter` the
/// data plane runs.
public struct SimulatedOutcome: Sendable, Equatable {
    /// The proxy's own answer (404, 503, 302, …); nil when the request would be proxied and the
    /// upstream decides.
    public var status: Int?
    /// `namespace/service:port` as written in the Ingress backend (an HTTPRoute split's first share).
    public var service: String?
    /// The backend behind `service`.
    public var backend: BackendRef?
    /// An HTTPRoute split's shares, `namespace/service:port weight N` (`unresolved` for one that
    /// does not resolve); empty otherwise.
    public var shares: [String] = []
    /// Path and query that would be sent upstream.
    public var upstreamPath: String?
    public var location: String?
    /// What made the proxy answer a redirect: `ssl-redirect`, `app-root`, the annotation's name.
    public var redirectReason: String?
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
        var method = Array(request.method.utf8)
        // Values the router reads by pointer: copied once into storage this call owns.
        let fields = request.headers.map { name, value -> ([UInt8], UnsafeRawBufferPointer) in
            let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: value.utf8.count, alignment: 1)
            storage.copyBytes(from: value.utf8)
            return (Array(name.lowercased().utf8), UnsafeRawBufferPointer(storage))
        }
        defer { for field in fields { field.1.deallocate() } }
        let decision = host.withUnsafeMutableBytes { hostBytes in
            path.withUnsafeMutableBytes { pathBytes in
                query.withUnsafeMutableBytes { queryBytes in
                    method.withUnsafeMutableBytes { methodBytes in
                        RequestRouter.route(
                            snapshot.routes, hostValue: UnsafeRawBufferPointer(hostBytes), path: UnsafeRawBufferPointer(pathBytes),
                            request: OfflineRouteRequest(
                                isTLS: request.scheme == "https", method: UnsafeRawBufferPointer(methodBytes),
                                query: UnsafeRawBufferPointer(queryBytes), fields: fields),
                            scratch: scratch, observer: &observer)
                    }
                }
            }
        }
        var outcome = SimulatedOutcome()
        func redirect(_ status: Int, _ location: [UInt8], _ reason: String) {
            outcome.status = status
            outcome.redirectReason = reason
            outcome.location = String(decoding: location, as: UTF8.self)
        }
        func httpsRedirect(preserveTrailingSlash: Bool) {
            var target = Array((request.path + request.query).utf8)
            let location = host.withUnsafeMutableBytes { hostBytes in
                target.withUnsafeMutableBytes {
                    RequestRouter.httpsLocation(
                        hostValue: UnsafeRawBufferPointer(hostBytes), target: UnsafeRawBufferPointer($0), httpsPort: httpsPort,
                        preserveTrailingSlash: preserveTrailingSlash)
                }
            }
            redirect(308, location, "the host has TLS: ssl-redirect")
        }
        var matched: (route: Route, rewritten: Bool, httpsRedirect: Bool?)
        switch decision {
        case .status(let status):
            outcome.status = status
            return outcome
        case .httpsRedirect(let preserveTrailingSlash, nil):
            httpsRedirect(preserveTrailingSlash: preserveTrailingSlash)
            return outcome
        case .httpsRedirect(let preserveTrailingSlash, let route?):
            matched = (route, false, preserveTrailingSlash)
        case .hostRedirect(let target):
            var uri = Array((request.path + request.query).utf8)
            let port = request.scheme == "https" ? httpsPort : 80
            redirect(308, uri.withUnsafeMutableBytes {
                RequestRouter.hostRedirectLocation(target: target, isTLS: request.scheme == "https", port: port,
                                                   requestURI: UnsafeRawBufferPointer($0))
            }, "from-to-www-redirect")
            return outcome
        case .appRootRedirect(let appRoot):
            outcome.status = 302
            outcome.redirectReason = "app-root"
            outcome.location = "\(request.scheme)://\(request.hostValue)\(appRoot)"
            return outcome
        case .proxy(let route, let rewritten):
            matched = (route, rewritten, nil)
        }
        let route = matched.route
        let backend = snapshot.backends[route.backend]
        outcome.service = backend.ref.description
        outcome.backend = backend.ref
        outcome.ingress = route.source.ingress
        outcome.endpoints = backend.endpoints.map(\.description)
        // The rewrite phase in the data plane's order (an offline request has no Origin, so no
        // CORS preflight), then the HTTPS redirect, then the balancer's 503.
        switch route.policy.rewriteAnswer(isPreflight: false) {
        case .denied?:
            outcome.status = 503
            return outcome
        case .redirect(let fixed)?:
            redirect(fixed.code, fixed.location, fixed.annotation)
            return outcome
        case .requestRedirect(let filter)?:
            var target = matched.rewritten ? scratch.rewrittenTarget : Array((request.path + request.query).utf8)
            let location = host.withUnsafeBytes { hostValue in
                target.withUnsafeMutableBytes {
                    let name = HostBytes.hostRange(of: hostValue).map { UnsafeRawBufferPointer(rebasing: hostValue[$0]) }
                    return filter.location(
                        host: name ?? UnsafeRawBufferPointer(start: nil, count: 0), target: UnsafeRawBufferPointer($0), isTLS: request.scheme == "https")
                }
            }
            redirect(filter.statusCode, location, "RequestRedirect")
            return outcome
        case .preflight?, nil:
            break
        }
        if let preserveTrailingSlash = matched.httpsRedirect {
            httpsRedirect(preserveTrailingSlash: preserveTrailingSlash)
            return outcome
        }
        outcome.upstreamPath =
            matched.rewritten ? String(decoding: scratch.rewrittenTarget, as: UTF8.self) : request.path + request.query
        if let split = route.policy.backendSplit {
            // The share a request gets is drawn per request: all are named; the outcome is the
            // first's (the one listed first), the split's status (500; 503 for a GRPCRoute)
            // when it does not resolve, as the data plane.
            outcome.shares = split.shares.map { share in
                "\(share.backend.map { snapshot.backends[$0].ref.description } ?? "unresolved") weight \(share.weight)"
                    + (share.headers == nil ? "" : " (its own header filters)")
            }
            guard let first = split.shares.first, let id = first.backend, !snapshot.backends[id].serviceMissing else {
                outcome.service = nil
                outcome.backend = nil
                outcome.endpoints = []
                outcome.status = split.unresolvedStatus
                return outcome
            }
            outcome.service = snapshot.backends[id].ref.description
            outcome.backend = snapshot.backends[id].ref
            outcome.endpoints = snapshot.backends[id].endpoints.map(\.description)
            if snapshot.backends[id].endpoints.isEmpty { outcome.status = 503 }
            return outcome
        }
        if backend.endpoints.isEmpty { outcome.status = 503 }
        return outcome
    }

    public static func run(_ request: OfflineRequest, snapshot: RoutingSnapshot, httpsPort: Int = 443) -> SimulatedOutcome {
        var observer = NoLookupObserver()
        return Self.run(request, snapshot: snapshot, httpsPort: httpsPort, observer: &observer)
    }
}

/// An offline request as the router's conditions read it.
struct OfflineRouteRequest: RouteRequest {
    let isTLS: Bool
    let method: UnsafeRawBufferPointer
    let query: UnsafeRawBufferPointer
    /// Lower-cased names and their values.
    let fields: [([UInt8], UnsafeRawBufferPointer)]

    func headerValue(lowercasedName: [UInt8]) -> UnsafeRawBufferPointer? {
        self.fields.first { $0.0 == lowercasedName }?.1
    }
}
