import Foundation
import PorticoDiagnostics
import PorticoProxy
import PorticoRouting
import PorticoTLS

extension RouteMap {
    /// The map of the serving generation: its routes grouped by host, each backend's endpoints
    /// with their state, each route's traffic against `baseline`, the certificates it serves.
    ///
    /// - Parameters:
    ///   - now: wall-clock time, for `generatedAt` and days until expiry.
    ///   - uptime: monotonic seconds, on the clock `baseline` was sampled with.
    public init(
        generation: Generation, activity: RouteActivity, baseline: ActivityHistory.Sample?, diagnostics: [Diagnostic],
        now: Date, uptime: Double
    ) {
        let snapshot = generation.snapshot
        let elapsed = baseline.map { uptime - $0.at } ?? 0
        self.generation = generation.number
        self.generatedAt = Self.timestamp(now)
        self.rateWindowSeconds = elapsed
        self.requestMetrics = activity.requestMetrics
        var hosts: [Host] = []
        for listed in snapshot.routes.listed {
            let path = Path(
                listed, backend: snapshot.backends[listed.route.backend], failing: activity.failing[listed.route.backend] ?? [],
                traffic: activity.requestMetrics
                    ? Self.traffic(listed.route.metricLabels, activity: activity, baseline: baseline, elapsed: elapsed) : nil)
            if hosts.last?.host == listed.host {
                hosts[hosts.count - 1].paths.append(path)
            } else {
                hosts.append(Host(host: listed.host, tls: listed.hasTLS, paths: [path]))
            }
        }
        self.hosts = hosts
        let served = Dictionary(generation.certificates.served.map { ($0.host, $0) }) { first, _ in first }
        self.certificates = snapshot.tls.map { binding in
            let host = binding.host.description
            guard let found = served[host] else {
                return Certificate(host: host, origin: nil, notAfter: nil, daysLeft: nil, issuer: nil, ingress: binding.ingress)
            }
            return Certificate(host: host, origin: found.origin, facts: found.facts, ingress: binding.ingress, now: now)
        }
        self.defaultCertificate = Certificate(
            host: "(default)",
            origin: snapshot.defaultCertificate?.origin ?? "generated self-signed (ingress-nginx's fake certificate)",
            facts: generation.certificates.defaultFacts, ingress: nil, now: now)
        self.diagnostics = diagnostics.sorted { $0.severity < $1.severity }.map { diagnostic in
            Problem(
                severity: diagnostic.severity.rawValue, object: diagnostic.object, field: diagnostic.field,
                message: diagnostic.message, text: diagnostic.description)
        }
    }

    static func traffic(
        _ labels: RouteMetricLabels?, activity: RouteActivity, baseline: ActivityHistory.Sample?, elapsed: Double
    ) -> Traffic {
        let totals = activity.totals(for: labels) ?? RouteActivity.Totals()
        let before = labels.flatMap { baseline?.totals[ObjectIdentifier($0)] } ?? RouteActivity.Totals()
        func rate(_ now: UInt64, _ then: UInt64) -> Double {
            elapsed > 0 && now >= then ? Double(now - then) / elapsed : 0
        }
        return Traffic(
            requests: totals.requests, errors: totals.errors, requestsPerSecond: rate(totals.requests, before.requests),
            errorsPerSecond: rate(totals.errors, before.errors))
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
    }
}

extension RouteMap.Path {
    init(_ listed: ListedRoute, backend: Backend, failing: Set<String>, traffic: RouteMap.Traffic?) {
        self.path = listed.path
        self.type = listed.type
        self.ingress = listed.route.source.ingress
        self.rewrite = listed.route.rewrite?.text
        var endpoints = backend.endpoints.map { endpoint in
            RouteMap.EndpointView(
                address: endpoint.description, pod: endpoint.podName,
                state: failing.contains(endpoint.description) ? .failing : .ready)
        }
        endpoints += backend.notReady.map { RouteMap.EndpointView(address: $0.description, pod: $0.podName, state: .notReady) }
        self.backend = RouteMap.BackendView(
            service: backend.ref.description, upstream: listed.route.metricLabels?.upstream ?? "",
            unavailable: backend.unavailableReason, endpoints: endpoints)
        self.traffic = traffic
    }
}

extension RouteMap.Certificate {
    init(host: String, origin: String?, facts: CertificateFacts?, ingress: String?, now: Date) {
        self.host = host
        self.origin = origin
        self.ingress = ingress
        if let facts {
            let expiry = Date(timeIntervalSince1970: TimeInterval(facts.notAfter))
            self.notAfter = RouteMap.timestamp(expiry)
            self.daysLeft = Int((expiry.timeIntervalSince(now) / 86_400).rounded(.down))
            self.issuer = facts.issuerOrganization.isEmpty ? facts.issuerCommonName : "\(facts.issuerCommonName) (\(facts.issuerOrganization))"
        } else {
            self.notAfter = nil
            self.daysLeft = nil
            self.issuer = nil
        }
    }
}
