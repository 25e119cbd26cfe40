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

    public init(controllerClass: String, controllerNamespace: String, controllerPod: String) {
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

    /// Renders every loop's copy of its metrics.
    func render(_ loops: [[RequestMetrics.RouteSeries]]) -> String {
        var sums: [String: Sum] = [:]
        for routes in loops {
            for route in routes {
                for series in route.series {
                    // Label names in Prometheus's sorted order: canary, controller_*, host, ingress,
                    // method, namespace, path, service, status.
                    let constant = "controller_class=\"\(self.controllerClass)\",controller_namespace=\"\(self.controllerNamespace)\",controller_pod=\"\(self.controllerPod)\""
                    let key = "canary=\"\",\(constant),\(route.labels.text),method=\"\(Self.methodName(series.method))\",status=\"\(series.status)\""
                    sums[key, default: Sum()].add(series)
                }
            }
        }
        let keys = sums.keys.sorted()
        var out = ""
        out += "# HELP nginx_ingress_controller_requests The total number of client requests\n"
        out += "# TYPE nginx_ingress_controller_requests counter\n"
        for key in keys { out += "nginx_ingress_controller_requests{\(key)} \(sums[key]!.count)\n" }
        out += "# HELP nginx_ingress_controller_request_duration_seconds The request processing time in milliseconds\n"
        out += "# TYPE nginx_ingress_controller_request_duration_seconds histogram\n"
        for key in keys {
            let sum = sums[key]!
            var cumulative: UInt64 = 0
            for (index, bound) in RequestMetrics.durationBucketText.enumerated() {
                cumulative += sum.durations[index]
                out += "nginx_ingress_controller_request_duration_seconds_bucket{\(key),le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "nginx_ingress_controller_request_duration_seconds_bucket{\(key),le=\"+Inf\"} \(sum.count)\n"
            out += "nginx_ingress_controller_request_duration_seconds_sum{\(key)} \(Self.seconds(sum.durationNanoseconds))\n"
            out += "nginx_ingress_controller_request_duration_seconds_count{\(key)} \(sum.count)\n"
        }
        out += "# HELP nginx_ingress_controller_bytes_sent DEPRECATED The number of bytes sent to a client\n"
        out += "# TYPE nginx_ingress_controller_bytes_sent histogram\n"
        for key in keys {
            let sum = sums[key]!
            var cumulative: UInt64 = 0
            for (index, bound) in RequestMetrics.sizeBucketText.enumerated() {
                cumulative += sum.sizes[index]
                out += "nginx_ingress_controller_bytes_sent_bucket{\(key),le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "nginx_ingress_controller_bytes_sent_bucket{\(key),le=\"+Inf\"} \(sum.count)\n"
            out += "nginx_ingress_controller_bytes_sent_sum{\(key)} \(sum.bytesSent)\n"
            out += "nginx_ingress_controller_bytes_sent_count{\(key)} \(sum.count)\n"
        }
        return out
    }

    /// Nanoseconds as seconds with nine decimals, without Foundation's formatter.
    static func seconds(_ nanoseconds: Int64) -> String {
        let whole = nanoseconds / 1_000_000_000
        let fraction = String(nanoseconds % 1_000_000_000)
        return "\(whole).\(String(repeating: "0", count: 9 - fraction.count))\(fraction)"
    }
}
