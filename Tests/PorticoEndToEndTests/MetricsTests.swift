import Foundation
import Testing

/// `/metrics` on the health port, in ingress-nginx's names and labels, through the real binary:
/// the counts equal the traffic sent, histogram counts equal request counts, and `promtool
/// check metrics` (Debian's `prometheus`) accepts the exposition.
@Suite(.serialized) struct MetricsTests {
    /// An Ingress serving `host` over TLS with the development `nip-io` certificate, to Service `app`.
    static func tlsIngress(_ name: String, host: String) -> String {
        """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: \(name)}
        spec:
          tls: [{hosts: [\(host)], secretName: nip-io}]
          rules: [{host: \(host), http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}]}}]
        """
    }

    static func scrape(_ port: Int) throws -> String {
        try Curl.run(["http://127.0.0.1:\(port)/metrics"]).body
    }

    /// The value of the sample whose name and labels contain every one of `parts`.
    static func value(_ text: String, _ name: String, _ parts: [String]) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") && parts.allSatisfy({ line.contains($0) }) {
            return Double(line.split(separator: " ").last ?? "")
        }
        return nil
    }

    @Test func requestCountsMatchTheTrafficSent() async throws {
        let backends = try await TestBackends(addresses: ["127.0.66.1"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("app", port: backends.port, ready: ["127.0.66.1"])
                + RulesDirectory.ingress("shop", host: "shop.test", paths: [("/api", "Prefix", "app"), ("/", "Prefix", "app")]),
        ])
        let healthPort = try FreePort.next()
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--health-port", String(healthPort), "--workers", "2"])
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        for _ in 0..<5 { #expect(try curl.get("shop.test", "/api/items?id=1").status == 200) }
        for _ in 0..<2 { #expect(try curl.get("shop.test", "/__fail-on/127.0.66.1/503").status == 503) }
        _ = try curl.get("shop.test", "/upload", ["--data-binary", "abc"])

        let text = try Self.scrape(healthPort)
        let api = ["ingress=\"shop\"", "namespace=\"default\"", "service=\"app\"", "host=\"shop.test\"", "path=\"/api\""]
        #expect(Self.value(text, "nginx_ingress_controller_requests", api + ["status=\"200\"", "method=\"GET\""]) == 5, "\(text.prefix(2000))")
        // The path label is the Ingress path, never the request's.
        #expect(Self.value(text, "nginx_ingress_controller_requests", ["path=\"/\"", "status=\"503\""]) == 2)
        #expect(Self.value(text, "nginx_ingress_controller_requests", ["path=\"/\"", "method=\"POST\""]) == 1)
        #expect(Self.value(text, "nginx_ingress_controller_request_duration_seconds_count", api + ["status=\"200\""]) == 5)
        #expect(Self.value(text, "nginx_ingress_controller_request_duration_seconds_bucket", api + ["status=\"200\"", "le=\"+Inf\""]) == 5)
        #expect(Self.value(text, "nginx_ingress_controller_bytes_sent_count", api + ["status=\"200\""]) == 5)
        // Every upstream-timing histogram counts each proxied request once; the sizes too.
        for family in ["connect_duration_seconds", "header_duration_seconds", "response_duration_seconds", "request_size", "response_size"] {
            #expect(Self.value(text, "nginx_ingress_controller_\(family)_count", api + ["status=\"200\""]) == 5, "\(family)")
        }
        // request_size is nginx's $request_length: the POST's head and its 3 body bytes.
        let postHead = "POST /upload HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: curl/\r\nAccept: */*\r\nContent-Length: 3\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
        let postSize = try #require(Self.value(text, "nginx_ingress_controller_request_size_sum", ["method=\"POST\""]))
        #expect(postSize > Double(postHead.utf8.count + 3) && postSize < Double(postHead.utf8.count + 3 + 20), "\(postSize)")
        // response_size is the bytes sent, as bytes_sent.
        #expect(
            Self.value(text, "nginx_ingress_controller_response_size_sum", api + ["status=\"200\""])
                == Self.value(text, "nginx_ingress_controller_bytes_sent_sum", api + ["status=\"200\""]))
        #expect(Self.value(text, "nginx_ingress_controller_response_size_bucket", api + ["status=\"200\"", "le=\"+Inf\""]) == 5)
        // Each upstream attempt took a connection, opened or from the pool.
        let opened = Self.value(text, "portico_upstream_connections_opened_total", []) ?? 0
        let reused = Self.value(text, "portico_upstream_connections_reused_total", []) ?? 0
        #expect(opened >= 1 && opened + reused == 8, "opened \(opened) reused \(reused)")
        #expect(Self.value(text, "nginx_ingress_controller_orphan_ingress", ["ingress=\"shop\"", "type=\"no-endpoint\""]) == 0)
        #expect(Self.value(text, "nginx_ingress_controller_config_hash", []).map { $0 > 0 } == true)
        #expect(text.contains("controller_class=\"portico\""))
        // The process families the dashboards read: every request counted, memory and CPU there.
        #expect(Self.value(text, "nginx_ingress_controller_nginx_process_requests_total", []) == 8)
        #expect((Self.value(text, "nginx_ingress_controller_nginx_process_connections_total", ["state=\"accepted\""]) ?? 0) >= 8)
        #expect((Self.value(text, "nginx_ingress_controller_nginx_process_resident_memory_bytes", []) ?? 0) > 1_000_000)
        #expect((Self.value(text, "nginx_ingress_controller_nginx_process_cpu_seconds_total", []) ?? 0) > 0)
        #expect(Self.value(text, "nginx_ingress_controller_nginx_process_connections", ["state=\"active\""]) != nil)
        #expect(!text.contains("items?id"), "no request path in any label")

        // promtool (CI installs Debian's prometheus) accepts the exposition.
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"), "apt-get install prometheus")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") {
            let file = try TemporaryDirectory.make().appendingPathComponent("metrics.txt")
            try text.write(to: file, atomically: true, encoding: .utf8)
            let run = try CheckCommandTests.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "/usr/bin/promtool check metrics < '\(file.path)'"])
            let (status, output) = (run.status, run.output)
            // Exit 3 is lint findings only; the one allowed is ingress-nginx's own counter names
            // without `_total` (its dashboards query those names; promtool says the same of them).
            let findings = output.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            let allowed = findings.allSatisfy { $0.hasPrefix("nginx_ingress_controller_") && $0.hasSuffix("counter metrics should have \"_total\" suffix") }
            #expect(status == 0 || (status == 3 && allowed), "\(output)")
        }
        portico.terminate()
        await backends.stop()
    }

    /// `--enable-metrics false` (ingress-nginx's flag): no request series; the rest stays.
    @Test func requestMetricsCanBeSwitchedOff() async throws {
        let backends = try await TestBackends(addresses: ["127.0.66.4"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("app", port: backends.port, ready: ["127.0.66.4"])
                + RulesDirectory.ingress("shop", host: "shop.test", paths: [("/", "Prefix", "app")]),
        ])
        let healthPort = try FreePort.next()
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--health-port", String(healthPort), "--enable-metrics", "false"])
        defer { portico.terminate() }
        #expect(try Curl(port: portico.port).get("shop.test", "/").status == 200)
        let text = try Self.scrape(healthPort)
        #expect(Self.value(text, "nginx_ingress_controller_requests", []) == nil, "\(text.prefix(1500))")
        #expect(Self.value(text, "nginx_ingress_controller_nginx_process_requests_total", []) == 1)
        portico.terminate()
        await backends.stop()
    }

    /// `_success`, `_config_last_reload_successful` and its timestamp follow the reloads.
    @Test func reloadsAreCounted() async throws {
        let backends = try await TestBackends(addresses: ["127.0.66.2"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("app", port: backends.port, ready: ["127.0.66.2"])
                + RulesDirectory.ingress("shop", host: "shop.test", paths: [("/", "Prefix", "app")]),
        ])
        let healthPort = try FreePort.next()
        let started = Date().timeIntervalSince1970
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--health-port", String(healthPort)])
        defer { portico.terminate() }
        let first = try Self.scrape(healthPort)
        #expect(Self.value(first, "nginx_ingress_controller_success", []) == 1)
        #expect(Self.value(first, "nginx_ingress_controller_errors", []) == 0)
        #expect(Self.value(first, "nginx_ingress_controller_config_last_reload_successful", []) == 1)
        let stamp = try #require(Self.value(first, "nginx_ingress_controller_config_last_reload_successful_timestamp_seconds", []))
        #expect(stamp >= started.rounded(.down) - 1 && stamp <= Date().timeIntervalSince1970 + 1)
        try (RulesDirectory.service("app", port: backends.port, ready: ["127.0.66.2"])
            + RulesDirectory.ingress("shop", host: "shop.test", paths: [("/", "Prefix", "app"), ("/new", "Prefix", "app")]))
            .write(to: rules.url.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        #expect(LiveReloadTests.eventually(5) { (try? Self.scrape(healthPort)).flatMap { Self.value($0, "nginx_ingress_controller_success", []) } == 2 })
        let applied = try Self.scrape(healthPort)
        let hash = try #require(Self.value(applied, "nginx_ingress_controller_config_hash", []))
        #expect(hash > 0 && hash != Self.value(first, "nginx_ingress_controller_config_hash", []))
        #expect(Self.value(applied, "portico_reload_duration_seconds_count", []) == 1)

        // A rejected change (the file no longer parses; its last good version keeps serving) is
        // a failed reload, as ingress-nginx reports one: errors + 1, last-successful 0, hash 0.
        let good = try String(contentsOf: rules.url.appendingPathComponent("a.yaml"), encoding: .utf8)
        try "kind: Ingress\nmetadata: [unclosed\n".write(to: rules.url.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        #expect(LiveReloadTests.eventually(5) { (try? Self.scrape(healthPort)).flatMap { Self.value($0, "nginx_ingress_controller_errors", []) } == 1 })
        let failed = try Self.scrape(healthPort)
        #expect(Self.value(failed, "nginx_ingress_controller_config_last_reload_successful", []) == 0)
        #expect(Self.value(failed, "nginx_ingress_controller_config_hash", []) == 0)
        #expect((Self.value(failed, "portico_diagnostics", ["severity=\"error\""]) ?? 0) >= 1)
        #expect(try Curl(port: portico.port).get("shop.test", "/new").status == 200, "the last good version serves")
        // Put back, the serving configuration is whole again: successful, the same hash.
        try good.write(to: rules.url.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        #expect(LiveReloadTests.eventually(5) {
            (try? Self.scrape(healthPort)).flatMap { Self.value($0, "nginx_ingress_controller_config_last_reload_successful", []) } == 1
        })
        let recovered = try Self.scrape(healthPort)
        #expect(Self.value(recovered, "nginx_ingress_controller_config_hash", []) == hash)
        #expect(Self.value(recovered, "portico_diagnostics", ["severity=\"error\""]) == 0)
        portico.terminate()
        await backends.stop()
    }

    /// `ssl_expire_time_seconds` equals the served certificate's notAfter, as openssl reads it.
    @Test func certificateExpiryIsTheCertificatesNotAfter() async throws {
        let backends = try await TestBackends(addresses: ["127.0.66.3"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("app", port: backends.port, ready: ["127.0.66.3"]) + Self.tlsIngress("secure", host: "app.nip.io"),
        ])
        let healthPort = try FreePort.next()
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--health-port", String(healthPort)])
        defer { portico.terminate() }
        let line = try CheckCommandTests.run(
            URL(fileURLWithPath: "/usr/bin/openssl"),
            ["x509", "-enddate", "-noout", "-dateopt", "iso_8601", "-in", PorticoProcess.repositoryRoot.appendingPathComponent("certs/nip-io.crt").path]
        ).output
        // notAfter=2036-11-23 18:01:33Z
        let stamp = line.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "notAfter=", with: "")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss'Z'"
        let expected = try #require(formatter.date(from: stamp), "\(line)").timeIntervalSince1970
        #expect(try Curl(port: portico.port, httpsPort: portico.httpsPort).get("app.nip.io", "/", tls: true).status == 200)
        let text = try Self.scrape(healthPort)
        #expect(Self.value(text, "nginx_ingress_controller_ssl_expire_time_seconds", ["host=\"app.nip.io\""]) == expected, "\(text.prefix(1500))")
        // ssl_certificate_info: the serial in decimal (as Go prints a big.Int), the issuer's CN.
        let serialHex = try CheckCommandTests.run(
            URL(fileURLWithPath: "/usr/bin/openssl"),
            ["x509", "-serial", "-noout", "-in", PorticoProcess.repositoryRoot.appendingPathComponent("certs/nip-io.crt").path]
        ).output.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
        let serial = try CheckCommandTests.run(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", "print(int('\(serialHex)', 16))"]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let info = ["host=\"app.nip.io\"", "serial_number=\"\(serial)\"", "issuer_common_name=\"Portico Development CA\"", "identifier=\"-\(serial)\""]
        #expect(Self.value(text, "nginx_ingress_controller_ssl_certificate_info", info) == 1, "\(serial) \(text.prefix(3000))")
        #expect((Self.value(text, "portico_tls_handshakes_total", ["protocol=\"TLSv1.3\""]) ?? 0) >= 1)
        // An Ingress whose Service does not exist is an orphan of type no-service.
        try RulesDirectory.ingress("lost", host: "lost.test", paths: [("/", "Prefix", "missing")])
            .write(to: rules.url.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        #expect(LiveReloadTests.eventually(5) {
            (try? Self.scrape(healthPort)).flatMap { Self.value($0, "nginx_ingress_controller_orphan_ingress", ["ingress=\"lost\"", "type=\"no-service\""]) } == 1
        })
        portico.terminate()
        await backends.stop()
    }
}
