import Foundation
import Testing

/// The access log in ingress-nginx's formats through the real binary: the default
/// `upstreaminfo` line, field by field; `log-format-upstream` with `log-format-escape-json`
/// from the controller ConfigMap, parsed as JSON; a format change applies live.
@Suite(.serialized) struct AccessLogTests {
    static func lines(_ portico: PorticoProcess) -> [String] {
        ((try? String(contentsOf: portico.accessLog, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Backends on `serving` behind the Service `app` (whose ready endpoints are `ready`, the
    /// same by default), routed for `shop.test` by the Ingress `shop`, and Portico in front.
    static func shop(serving: [String], ready: [String]? = nil) async throws -> (TestBackends, PorticoProcess) {
        let backends = try await TestBackends(addresses: serving, page: "hello")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("app", port: backends.port, ready: ready ?? serving)
                + RulesDirectory.ingress("shop", host: "shop.test", paths: [("/", "Prefix", "app")]),
        ])
        return (backends, try PorticoProcess(rules: rules.url))
    }

    @Test func upstreamInfoIsIngressNginxsDefaultLine() async throws {
        let (backends, portico) = try await Self.shop(serving: ["127.0.71.1"])
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        #expect(try curl.get("shop.test", "/items?id=7", ["-u", "alice:secret", "-e", "https://ref.test/", "-A", "agent \"quoted\""]).status == 200)
        #expect(try curl.get("nowhere.test", "/").status == 404)
        #expect(LiveReloadTests.eventually(5) { Self.lines(portico).count == 2 })
        let lines = Self.lines(portico)
        // $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer"
        // "$http_user_agent" $request_length $request_time [$proxy_upstream_name]
        // [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length
        // $upstream_response_time $upstream_status $req_id
        let pattern = #/^127\.0\.0\.1 - alice \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET /items\?id=7 HTTP/1\.1" 200 (\d+) "https://ref\.test/" "agent \\x22quoted\\x22" (\d+) \d+\.\d{3} \[default-app-80\] \[\] 127\.0\.71\.1:(\d+) (\d+) \d+\.\d{3} 200 ([0-9a-f]{32})$/#
        let match = try #require(lines[0].wholeMatch(of: pattern), "\(lines[0])")
        #expect(Int(match.output.3) == backends.port)
        #expect(Int(match.output.2).map { $0 > 60 && $0 < 300 } == true, "request_length \(match.output.2)")
        // The body relayed is the upstream's body.
        #expect(match.output.1 == match.output.4 && Int(match.output.1)! > 0)
        // No route: ingress-nginx's default server names its upstream, and no upstream was tried.
        #expect(lines[1].contains("\"GET / HTTP/1.1\" 404 "), "\(lines[1])")
        #expect(lines[1].contains(" [upstream-default-backend] [] - - - - "), "\(lines[1])")
        portico.terminate()
        await backends.stop()
    }

    /// A client that gives up before the answer is logged 499, as nginx logs it; one that
    /// leaves in the middle of the body, with the status and the bytes it got.
    @Test func aClientThatGivesUpIsLogged499() async throws {
        let (backends, portico) = try await Self.shop(serving: ["127.0.71.3"])
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        _ = try curl.get("shop.test", "/__sleep/3000", ["--max-time", "0.5"])
        _ = try Curl.run(["--http2-prior-knowledge", "--max-time", "0.5", "--resolve", "shop.test:\(portico.port):127.0.0.1", "http://shop.test:\(portico.port)/h2/__sleep/3000"])
        #expect(LiveReloadTests.eventually(5) { Self.lines(portico).count == 2 }, "\(Self.lines(portico))")
        let lines = Self.lines(portico)
        #expect(lines.contains { $0.contains("\"GET /__sleep/3000 HTTP/1.1\" 499 0 ") }, "\(lines)")
        #expect(lines.contains { $0.contains("\"GET /h2/__sleep/3000 HTTP/2.0\" 499 0 ") }, "\(lines)")
        portico.terminate()
        await backends.stop()
    }

    /// Every attempt is in the line, as nginx lists them: an endpoint that refuses the
    /// connection, then the one that answered (`$upstream_addr` "a, b", `$upstream_status`
    /// "502, 200", the times and lengths likewise).
    @Test func retriedAttemptsAreAllListed() async throws {
        let (backends, portico) = try await Self.shop(serving: ["127.0.71.6"], ready: ["127.0.71.5", "127.0.71.6"])  // .5 refuses
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        for _ in 0..<4 { #expect(try curl.get("shop.test", "/retry").status == 200) }
        #expect(LiveReloadTests.eventually(5) { Self.lines(portico).count == 4 })
        let port = backends.port
        let retried = Self.lines(portico).filter { $0.contains(", ") }
        #expect(!retried.isEmpty, "\(Self.lines(portico))")
        for line in retried {
            #expect(line.contains(" [default-app-80] [] 127.0.71.5:\(port), 127.0.71.6:\(port) 0, "), "\(line)")
            #expect(line.contains(" 502, 200 "), "\(line)")
        }
        portico.terminate()
        await backends.stop()
    }

    @Test func aJSONFormatFromTheConfigMapAppliesLive() async throws {
        let backends = try await TestBackends(addresses: ["127.0.71.2"], page: "hello")
        func configMap(_ escapeJSON: Bool, _ format: String) -> String {
            """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: portico-controller, namespace: ingress-nginx}
            data:
              log-format-escape-json: "\(escapeJSON)"
              log-format-upstream: '\(format)'

            """
        }
        let json = #"{"time": "$time_iso8601", "host": "$host", "ingress": "$ingress_name", "namespace": "$namespace", "service": "$service_name", "path": "$location_path", "status": $status, "ua": "$http_user_agent", "upstream_time": "$upstream_response_time", "id": "$req_id", "user": "$remote_user"}"#
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("app", port: backends.port, ready: ["127.0.71.2"])
                + RulesDirectory.ingress("shop", host: "shop.test", paths: [("/api", "Prefix", "app")]),
            "cm.yaml": configMap(true, json),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ControllerSettingsTests.arguments)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        #expect(try curl.get("shop.test", "/api/x", ["-A", "tab\tthen \"quotes\" \\ slash", "-H", "X-Request-ID: abc"]).status == 200)
        #expect(LiveReloadTests.eventually(5) { Self.lines(portico).count == 1 })
        let line = try #require(Self.lines(portico).first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        #expect(object["host"] as? String == "shop.test")
        #expect(object["ingress"] as? String == "shop" && object["namespace"] as? String == "default" && object["service"] as? String == "app")
        #expect(object["path"] as? String == "/api")
        #expect(object["status"] as? Int == 200)
        #expect(object["ua"] as? String == "tab\tthen \"quotes\" \\ slash", "\(line)")
        #expect(object["id"] as? String == "abc")
        #expect(object["user"] as? String == "", "escape=json writes an absent value as empty")
        #expect((object["upstream_time"] as? String).flatMap(Double.init) != nil)
        #expect((object["time"] as? String)?.wholeMatch(of: #/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d/#) != nil)

        // A new format applies on the next reload; one naming an unknown variable is refused,
        // the last good format staying in force.
        try configMap(false, "$status $request_method $uri").write(to: rules.url.appendingPathComponent("cm.yaml"), atomically: true, encoding: .utf8)
        #expect(LiveReloadTests.eventually(5) {
            _ = try? curl.get("shop.test", "/api/plain")
            return Self.lines(portico).last == "200 GET /api/plain"
        })
        try configMap(false, "$status $no_such_thing").write(to: rules.url.appendingPathComponent("cm.yaml"), atomically: true, encoding: .utf8)
        #expect(LiveReloadTests.eventually(5) { portico.log.contains("$no_such_thing is not one of them") })
        _ = try curl.get("shop.test", "/api/after")
        #expect(LiveReloadTests.eventually(5) { Self.lines(portico).last == "200 GET /api/after" })
        portico.terminate()
        await backends.stop()
    }
}
