import Foundation
import Testing

/// The real Prometheus server (Debian's `prometheus`) scrapes Portico's `/metrics`, and every
/// expression of ingress-nginx's two Grafana dashboards (`deploy/grafana/`, copied unchanged
/// from ingress-nginx's `deploy/grafana/dashboards/`) is evaluated through Prometheus's HTTP
/// API: each must return data. The target carries the labels Kubernetes service discovery
/// gives a pod (`namespace`, `kubernetes_pod_name`), which is what the dashboards select on.
@Suite(.serialized) struct PrometheusDashboardTests {
    static let prometheus = "/usr/bin/prometheus"

    /// Every `expr` and `query` string of a dashboard.
    static func expressions(_ dashboard: String) throws -> [String] {
        let url = PorticoProcess.repositoryRoot.appendingPathComponent("deploy/grafana/\(dashboard)")
        let json = try JSONSerialization.jsonObject(with: try Data(contentsOf: url))
        var found: [String] = []
        func walk(_ value: Any) {
            if let object = value as? [String: Any] {
                for (key, item) in object {
                    if key == "expr" || key == "query", let text = item as? String { found.append(text) } else { walk(item) }
                }
            } else if let array = value as? [Any] {
                array.forEach(walk)
            }
        }
        walk(json)
        return found.filter { $0 != "prometheus" }  // the datasource variable's query
    }

    static func get(_ port: Int, _ path: String, _ query: [String: String]) throws -> [String: Any] {
        var components = URLComponents(string: "http://127.0.0.1:\(port)\(path)")!
        components.queryItems = query.map { URLQueryItem(name: $0.key, value: $0.value) }
        let body = try Curl.run(["-g", components.url!.absoluteString]).body
        return (try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }

    @Test func everyDashboardExpressionReturnsData() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.prometheus), "apt-get install prometheus")
        guard FileManager.default.isExecutableFile(atPath: Self.prometheus) else { return }
        let backends = try await TestBackends(addresses: ["127.0.67.1"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("app", port: backends.port, ready: ["127.0.67.1"]) + MetricsTests.tlsIngress("shop", host: "shop.nip.io"),
        ])
        let healthPort = try FreePort.next()
        let portico = try PorticoProcess(
            rules: rules.url, extraArguments: ["--health-port", String(healthPort)],
            environment: ["POD_NAMESPACE": "portico-system", "POD_NAME": "portico-7d9f"])
        defer { portico.terminate() }

        let directory = try TemporaryDirectory.make()
        let webPort = try FreePort.next()
        try """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: portico
                static_configs:
                  - targets: ['127.0.0.1:\(healthPort)']
                    labels: {namespace: portico-system, kubernetes_pod_name: portico-7d9f}
            """.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: Self.prometheus)
        server.arguments = [
            "--config.file=\(directory.appendingPathComponent("prometheus.yml").path)",
            "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)", "--web.listen-address=127.0.0.1:\(webPort)",
        ]
        let log = directory.appendingPathComponent("prometheus.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        server.standardOutput = try FileHandle(forWritingTo: log)
        server.standardError = try FileHandle(forWritingTo: log)
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }

        // Traffic for about eight scrapes: successes, an upstream 503, HTTPS redirects; and one
        // rejected change, so the failed-reload panel has something to count.
        let curl = Curl(port: portico.port, httpsPort: portico.httpsPort)
        for round in 0..<8 {
            for _ in 0..<5 { #expect(try curl.get("shop.nip.io", "/items", tls: true).status == 200) }
            #expect(try curl.get("shop.nip.io", "/__fail-on/127.0.67.1/503", tls: true).status == 503)
            #expect(try curl.get("shop.nip.io", "/items").status == 308)
            _ = try curl.get("shop.nip.io", "/upload", ["--data-binary", "payload"], tls: true)
            // The change stays rejected (its last good version serving) until the panels are read.
            if round == 2 {
                try "kind: Ingress\nmetadata: [unclosed\n".write(to: rules.url.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
            }
            try await Task.sleep(for: .milliseconds(1000))
        }
        let up = try Self.get(webPort, "/api/v1/query", ["query": "up{job=\"portico\"}"])
        #expect("\(up)".contains("\"1\""), "Prometheus scraped Portico: \(up)\n\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")

        // Grafana's variables, as the dashboards define them (All = .*).
        let variables = [
            "$controller_class": "portico", "$namespace": "portico-system", "$controller": "portico-7d9f",
            "$exported_namespace": ".*", "$ingress": ".*",
        ]
        var checked = 0
        for dashboard in ["nginx.json", "request-handling-performance.json"] {
            for expression in try Self.expressions(dashboard) {
                var query = expression
                // Longest names first: `$controller` is a prefix of `$controller_class`.
                for (name, value) in variables.sorted(by: { $0.key.count > $1.key.count }) {
                    query = query.replacingOccurrences(of: name, with: value)
                }
                if query.hasPrefix("label_values(") {
                    // label_values(selector, label): the series exist and carry the label.
                    let inner = query.dropFirst("label_values(".count).trimmingCharacters(in: .whitespaces).dropLast()
                    let comma = inner.lastIndex(of: ",")!
                    let selector = String(inner[..<comma])
                    let label = inner[inner.index(after: comma)...].trimmingCharacters(in: .whitespaces)
                    let answer = try Self.get(webPort, "/api/v1/series", ["match[]": selector])
                    let series = answer["data"] as? [[String: String]] ?? []
                    #expect(series.contains { !($0[label] ?? "").isEmpty }, "\(dashboard): \(expression) → \(answer)")
                } else {
                    let answer = try Self.get(webPort, "/api/v1/query", ["query": query])
                    let result = (answer["data"] as? [String: Any])?["result"] as? [Any] ?? []
                    #expect(answer["status"] as? String == "success" && !result.isEmpty, "\(dashboard): \(expression) → \(answer)")
                }
                checked += 1
            }
        }
        #expect(checked >= 40, "the dashboards' expressions were found (\(checked))")
        portico.terminate()
        await backends.stop()
    }
}
