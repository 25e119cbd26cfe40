import Foundation
import PorticoRouting
import PorticoTLS

/// The Prometheus text exposition (format 0.0.4) with ingress-nginx's names, help texts, label
/// names and buckets (`internal/ingress/metric/collectors/{socket,controller}.go`), then
/// Portico's own `portico_*` families. Request series are added up across event loops by their
/// label text; the constant labels name this controller.
public struct MetricsExposition: Sendable {
    /// `controller_class`, `controller_namespace`, `controller_pod`.
    public var controllerClass: String
    public var controllerNamespace: String
    public var controllerPod: String
    /// The reload outcomes, counted by the reload loop.
    public let reloads: ReloadMetrics
    /// The leader election's state, when one runs.
    public let leader = LeaderStatus()
    /// When this process started (`nginx_process_oldest_start_time_seconds`).
    let startTime = Int(Date().timeIntervalSince1970)

    public init(controllerClass: String, controllerNamespace: String, controllerPod: String, reloads: ReloadMetrics = ReloadMetrics()) {
        self.reloads = reloads
        self.controllerClass = controllerClass
        self.controllerNamespace = controllerNamespace
        self.controllerPod = controllerPod
    }

    static func methodName(_ method: RequestHead.Method) -> String { method.name(other: "OTHER") }

    /// What a scrape reads besides the loops' counts: the serving snapshot (for the orphan
    /// Ingresses) and the served certificates.
    struct Served {
        var snapshot: RoutingSnapshot?
        var certificates: [(host: String, origin: String, facts: CertificateFacts)] = []
    }

    var constantLabels: String {
        "controller_class=\"\(Self.escaped(self.controllerClass))\",controller_namespace=\"\(Self.escaped(self.controllerNamespace))\",controller_pod=\"\(Self.escaped(self.controllerPod))\""
    }

    /// Renders every loop's copy of its metrics and the controller's own families.
    func render(_ loops: [LoopMetrics], served: Served = Served()) -> String {
        let constant = self.constantLabels
        var sums: [String: RequestMetrics.Counts] = [:]
        var proxy = ProxyCounters()
        for loop in loops {
            proxy.add(loop.proxy)
            for route in loop.routes {
                for series in route.series {
                    // Label names in Prometheus's sorted order: canary, controller_*, host, ingress,
                    // method, namespace, path, service, status.
                    let canary = Self.escaped(series.canary ?? "")
                    let key = "canary=\"\(canary)\",\(constant),\(route.labels.text),method=\"\(Self.methodName(series.method))\",status=\"\(series.status)\""
                    sums[key, default: RequestMetrics.Counts()].add(series.counts)
                }
            }
        }
        let keys = sums.keys.sorted()
        var out = "# HELP nginx_ingress_controller_build_info A metric with a constant '1' labeled with information about the build.\n"
        out += "# TYPE nginx_ingress_controller_build_info gauge\n"
        out += "nginx_ingress_controller_build_info{build=\"portico\",\(constant),release=\"portico\",repository=\"portico\"} 1\n"
        out += self.reloads.render(constantLabels: constant)
        out += self.leader.render(constantLabels: constant)
        out += Self.certificates(served.certificates, controllerClass: self.controllerClass)
        if let snapshot = served.snapshot { out += Self.orphans(snapshot, constantLabels: constant) }
        out += ProcessMetrics.render(loops, constantLabels: constant, startTime: self.startTime)
        out += "# HELP nginx_ingress_controller_requests The total number of client requests\n"
        out += "# TYPE nginx_ingress_controller_requests counter\n"
        for key in keys { out += "nginx_ingress_controller_requests{\(key)} \(sums[key]!.requests)\n" }
        let times: [(String, String, KeyPath<RequestMetrics.Counts, Histogram>)] = [
            ("request_duration_seconds", "The request processing time in milliseconds", \.requestTime),
            ("connect_duration_seconds", "The time spent on establishing a connection with the upstream server", \.connectTime),
            ("header_duration_seconds", "The time spent on receiving first header from the upstream server", \.headerTime),
            ("response_duration_seconds", "The time spent on receiving the response from the upstream server", \.responseTime),
        ]
        for (name, help, path) in times {
            Self.histogram("nginx_ingress_controller_" + name, help: help, keys: keys, bounds: RequestMetrics.timeBoundText, into: &out) { key in
                (sums[key]![keyPath: path], Self.seconds(sums[key]![keyPath: path].sum))
            }
        }
        let lengths: [(String, String, [String], KeyPath<RequestMetrics.Counts, Histogram>)] = [
            ("request_size", "The request length (including request line, header, and request body)", RequestMetrics.lengthBoundText, \.requestSize),
            ("response_size", "The response length (including request line, header, and request body)", RequestMetrics.lengthBoundText, \.responseSize),
            ("bytes_sent", "DEPRECATED The number of bytes sent to a client", RequestMetrics.sizeBoundText, \.bytesSent),
        ]
        for (name, help, bounds, path) in lengths {
            Self.histogram("nginx_ingress_controller_" + name, help: help, keys: keys, bounds: bounds, into: &out) { key in
                (sums[key]![keyPath: path], String(sums[key]![keyPath: path].sum))
            }
        }
        out += Self.proxyCounters(proxy, constantLabels: constant)
        return out
    }

    /// `nginx_ingress_controller_ssl_expire_time_seconds{class, host, identifier, namespace,
    /// secret_name}` and `_ssl_certificate_info` (ingress-nginx's `sslLabelHost`,
    /// `sslInfoLabels`): a Secret's namespace and name, or for a `certs/` file its path as the name.
    static func certificates(_ certificates: [(host: String, origin: String, facts: CertificateFacts)], controllerClass: String) -> String {
        var expiry = "# HELP nginx_ingress_controller_ssl_expire_time_seconds Number of seconds since 1970 to the SSL Certificate expire.\n"
        expiry += "# TYPE nginx_ingress_controller_ssl_expire_time_seconds gauge\n"
        var info = "# HELP nginx_ingress_controller_ssl_certificate_info Hold all labels associated to a certificate\n"
        info += "# TYPE nginx_ingress_controller_ssl_certificate_info gauge\n"
        var seen = Set<String>()
        for certificate in certificates where seen.insert(certificate.host).inserted {
            var namespace = ""
            var name = certificate.origin
            if certificate.origin.hasPrefix("Secret "), let slash = certificate.origin.firstIndex(of: "/") {
                namespace = String(certificate.origin[certificate.origin.index(certificate.origin.startIndex, offsetBy: 7)..<slash])
                name = String(certificate.origin[certificate.origin.index(after: slash)...])
            }
            let facts = certificate.facts
            let host = escaped(certificate.host)
            let common = "class=\"\(escaped(controllerClass))\",host=\"\(host)\",identifier=\"\(escaped(facts.identifier))\""
            expiry += "nginx_ingress_controller_ssl_expire_time_seconds{\(common),namespace=\"\(escaped(namespace))\",secret_name=\"\(escaped(name))\"} \(facts.notAfter)\n"
            info += "nginx_ingress_controller_ssl_certificate_info{\(common),issuer_common_name=\"\(escaped(facts.issuerCommonName))\","
            info += "issuer_organization=\"\(escaped(facts.issuerOrganization))\",namespace=\"\(escaped(namespace))\","
            info += "public_key_algorithm=\"\(facts.publicKeyAlgorithm)\",secret_name=\"\(escaped(name))\",serial_number=\"\(facts.serialNumber)\"} 1\n"
        }
        return expiry + info
    }

    /// `nginx_ingress_controller_orphan_ingress{namespace, ingress, type}`: per Ingress, 1 when
    /// one of its backends' Services does not exist (`no-service`) or has no ready endpoint
    /// (`no-endpoint`), else 0 — ingress-nginx's `IncOrphanIngress`/`DecOrphanIngress`, which
    /// set these per path as it builds upstreams.
    static func orphans(_ snapshot: RoutingSnapshot, constantLabels: String) -> String {
        var states: [String: (noService: Bool, noEndpoint: Bool)] = [:]
        func visit(_ route: Route) {
            guard let labels = route.metricLabels, !labels.ingress.isEmpty else { return }
            let backend = snapshot.backends[route.backend]
            let key = "ingress=\"\(escaped(labels.ingress))\",namespace=\"\(escaped(labels.namespace))\""
            var state = states[key] ?? (false, false)
            if backend.serviceMissing {
                state.noService = true
            } else if backend.endpoints.isEmpty, backend.externalName == nil {
                state.noEndpoint = true
            }
            states[key] = state
        }
        for virtualHost in snapshot.routes.listing {
            virtualHost.routes.forEach(visit)
            if let fallback = virtualHost.fallback { visit(fallback) }
        }
        if let route = snapshot.routes.defaultRoute { visit(route) }
        var out = "# HELP nginx_ingress_controller_orphan_ingress Gauge reporting status of ingress orphanity, 1 indicates orphaned ingress.\n"
        out += "# TYPE nginx_ingress_controller_orphan_ingress gauge\n"
        for key in states.keys.sorted() {
            let state = states[key]!
            out += "nginx_ingress_controller_orphan_ingress{\(constantLabels),\(key),type=\"no-endpoint\"} \(state.noEndpoint ? 1 : 0)\n"
            out += "nginx_ingress_controller_orphan_ingress{\(constantLabels),\(key),type=\"no-service\"} \(state.noService ? 1 : 0)\n"
        }
        return out
    }

    /// Portico's own data-plane counters.
    static func proxyCounters(_ counters: ProxyCounters, constantLabels labels: String) -> String {
        var out = ""
        func family(_ name: String, _ help: String, _ samples: [(String, UInt64)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            for (extra, value) in samples { out += "\(name){\(labels)\(extra)} \(value)\n" }
        }
        var retries = ProxyCounters.RetryReason.allCases.map { (",reason=\"\($0.name)\"", counters.retries[$0.rawValue]) }
        for status in counters.statusRetries.keys.sorted() { retries.append((",reason=\"http_\(status)\"", counters.statusRetries[status]!)) }
        family("portico_upstream_retries_total", "Upstream attempts retried, by the proxy-next-upstream condition that failed", retries)
        family("portico_endpoints_skipped_total", "Endpoints passed over because a recent failure marked them down", [("", counters.endpointsSkipped)])
        family("portico_upstream_connections_opened_total", "Upstream connections opened", [("", counters.upstreamOpened)])
        family("portico_upstream_connections_reused_total", "Upstream attempts served by an idle pooled connection", [("", counters.upstreamReused)])
        family("portico_mirror_requests_total", "Request copies for RequestMirror, by outcome (sent whole, or dropped: unreachable, too slow, cut short)",
               [(",result=\"sent\"", counters.mirrorsSent), (",result=\"dropped\"", counters.mirrorsDropped)])
        family("portico_tls_handshakes_total", "Client TLS handshakes completed, by protocol",
               TLSProtocolVersion.allCases.map { (",protocol=\"\($0.name)\"", counters.handshakes[$0.rawValue]) })
        family("portico_tls_handshake_failures_total", "Client TLS handshakes that failed (error) or that the client left (abandoned)", [
            (",reason=\"abandoned\"", counters.handshakesAbandoned), (",reason=\"error\"", counters.handshakeFailures),
        ])
        return out
    }

    /// One histogram family: per series its buckets (the last is +Inf), sum and count. A series
    /// with no observation is left out, as client_golang only has the series it observed.
    static func histogram(
        _ family: String, help: String, keys: [String], bounds: [String], into out: inout String,
        _ values: (String) -> (histogram: Histogram, sum: String)
    ) {
        out += "# HELP \(family) \(help)\n# TYPE \(family) histogram\n"
        for key in keys {
            let (histogram, sum) = values(key)
            guard histogram.count > 0 else { continue }
            var cumulative: UInt64 = 0
            for (index, bound) in bounds.enumerated() {
                cumulative += histogram.buckets[index]
                out += "\(family)_bucket{\(key),le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "\(family)_bucket{\(key),le=\"+Inf\"} \(histogram.count)\n\(family)_sum{\(key)} \(sum)\n\(family)_count{\(key)} \(histogram.count)\n"
        }
    }

    /// Nanoseconds as seconds with nine decimals, without Foundation's formatter.
    static func seconds(_ nanoseconds: Int64) -> String {
        let whole = nanoseconds / 1_000_000_000
        let fraction = String(nanoseconds % 1_000_000_000)
        return "\(whole).\(String(repeating: "0", count: 9 - fraction.count))\(fraction)"
    }

    /// A label value as the text format wants it (`RouteMetricLabels.escaped`).
    static func escaped(_ value: String) -> String { RouteMetricLabels.escaped(value) }
}
