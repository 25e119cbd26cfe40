import Foundation
import PorticoRouting

/// The Prometheus text exposition (format 0.0.4) of the request metrics, with ingress-nginx's
/// names, help texts, label names and buckets (`internal/ingress/metric/collectors/socket.go`):
/// `nginx_ingress_controller_requests`, `_request_duration_seconds`, `_bytes_sent`. Series are
/// added up across event loops by their label text; the constant labels name this controller.
public struct MetricsExposition: Sendable {
    /// `controller_class`, `controller_namespace`, `controller_pod`.
    public var controllerClass: String
    public var controllerNamespace: String
    public var controllerPod: String
    /// The reload outcomes, counted by the reload loop.
    public let reloads: ReloadMetrics
    /// When this process started (`nginx_process_oldest_start_time_seconds`).
    let startTime = Int(Date().timeIntervalSince1970)

    public init(controllerClass: String, controllerNamespace: String, controllerPod: String, reloads: ReloadMetrics = ReloadMetrics()) {
        self.reloads = reloads
        self.controllerClass = controllerClass
        self.controllerNamespace = controllerNamespace
        self.controllerPod = controllerPod
    }

    /// One series summed over loops.
    struct Sum {
        var count: UInt64 = 0
        var durations = [UInt64](repeating: 0, count: RequestMetrics.durationBuckets.count + 1)
        var durationNanoseconds: Int64 = 0
        var sizes = [UInt64](repeating: 0, count: RequestMetrics.sizeBuckets.count + 1)
        var bytesSent: UInt64 = 0

        mutating func add(_ series: RequestMetrics.Series) {
            self.count += series.count
            for index in self.durations.indices { self.durations[index] += series.durations[index] }
            self.durationNanoseconds += series.durationNanoseconds
            for index in self.sizes.indices { self.sizes[index] += series.sizes[index] }
            self.bytesSent += series.bytesSent
        }
    }

    static func methodName(_ method: RequestHead.Method) -> String {
        switch method {
        case .get: "GET"
        case .head: "HEAD"
        case .post: "POST"
        case .put: "PUT"
        case .delete: "DELETE"
        case .options: "OPTIONS"
        case .patch: "PATCH"
        case .other: "OTHER"
        }
    }

    /// Renders every loop's copy of its metrics, and the served certificates' expiry.
    func render(_ loops: [LoopMetrics], certificates: [(host: String, origin: String, notAfter: Int)] = []) -> String {
        var sums: [String: Sum] = [:]
        let constant = "controller_class=\"\(self.controllerClass)\",controller_namespace=\"\(self.controllerNamespace)\",controller_pod=\"\(self.controllerPod)\""
        for loop in loops {
            for route in loop.routes {
                for series in route.series {
                    // Label names in Prometheus's sorted order: canary, controller_*, host, ingress,
                    // method, namespace, path, service, status.
                    let key = "canary=\"\",\(constant),\(route.labels.text),method=\"\(Self.methodName(series.method))\",status=\"\(series.status)\""
                    sums[key, default: Sum()].add(series)
                }
            }
        }
        let keys = sums.keys.sorted()
        var out = self.reloads.render(constantLabels: constant)
        out += Self.certificateExpiry(certificates, controllerClass: self.controllerClass)
        out += ProcessMetrics.render(loops, constantLabels: constant, startTime: self.startTime)
        out += "# HELP nginx_ingress_controller_requests The total number of client requests\n"
        out += "# TYPE nginx_ingress_controller_requests counter\n"
        for key in keys { out += "nginx_ingress_controller_requests{\(key)} \(sums[key]!.count)\n" }
        Self.histogram(
            "request_duration_seconds", help: "The request processing time in milliseconds", keys: keys, bounds: RequestMetrics.durationBucketText,
            into: &out
        ) { key in (sums[key]!.durations, Self.seconds(sums[key]!.durationNanoseconds), sums[key]!.count) }
        Self.histogram(
            "bytes_sent", help: "DEPRECATED The number of bytes sent to a client", keys: keys, bounds: RequestMetrics.sizeBucketText, into: &out
        ) { key in (sums[key]!.sizes, String(sums[key]!.bytesSent), sums[key]!.count) }
        return out
    }

    /// `nginx_ingress_controller_ssl_expire_time_seconds{class, host, namespace, secret_name}`
    /// (ingress-nginx's `sslLabelHost`): a Secret's namespace and name, or for a `certs/` file
    /// its path as the name.
    static func certificateExpiry(_ certificates: [(host: String, origin: String, notAfter: Int)], controllerClass: String) -> String {
        var out = "# HELP nginx_ingress_controller_ssl_expire_time_seconds Number of seconds since 1970 to the SSL Certificate expire.\n"
        out += "# TYPE nginx_ingress_controller_ssl_expire_time_seconds gauge\n"
        var seen = Set<String>()
        for certificate in certificates where seen.insert(certificate.host).inserted {
            var namespace = ""
            var name = certificate.origin
            if certificate.origin.hasPrefix("Secret "), let slash = certificate.origin.firstIndex(of: "/") {
                namespace = String(certificate.origin[certificate.origin.index(certificate.origin.startIndex, offsetBy: 7)..<slash])
                name = String(certificate.origin[certificate.origin.index(after: slash)...])
            }
            let labels = "class=\"\(controllerClass)\",host=\"\(certificate.host)\",namespace=\"\(namespace)\",secret_name=\"\(name)\""
            out += "nginx_ingress_controller_ssl_expire_time_seconds{\(labels)} \(certificate.notAfter)\n"
        }
        return out
    }

    /// One histogram family: per series its per-bucket counts (the last is +Inf), sum and count.
    static func histogram(
        _ name: String, help: String, keys: [String], bounds: [String], into out: inout String,
        _ values: (String) -> (buckets: [UInt64], sum: String, count: UInt64)
    ) {
        let family = "nginx_ingress_controller_" + name
        out += "# HELP \(family) \(help)\n# TYPE \(family) histogram\n"
        for key in keys {
            let (buckets, sum, count) = values(key)
            var cumulative: UInt64 = 0
            for (index, bound) in bounds.enumerated() {
                cumulative += buckets[index]
                out += "\(family)_bucket{\(key),le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "\(family)_bucket{\(key),le=\"+Inf\"} \(count)\n\(family)_sum{\(key)} \(sum)\n\(family)_count{\(key)} \(count)\n"
        }
    }

    /// Nanoseconds as seconds with nine decimals, without Foundation's formatter.
    static func seconds(_ nanoseconds: Int64) -> String {
        let whole = nanoseconds / 1_000_000_000
        let fraction = String(nanoseconds % 1_000_000_000)
        return "\(whole).\(String(repeating: "0", count: 9 - fraction.count))\(fraction)"
    }
}
