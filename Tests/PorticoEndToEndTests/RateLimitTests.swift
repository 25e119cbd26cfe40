import Foundation
import Testing

/// `limit-rps` side by side with nginx's own `limit_req` (the directive ingress-nginx renders
/// it into): the same burst of requests gets the same answers from both.
@Suite(.serialized) struct RateLimitTests {
    /// Statuses of `count` requests sent back to back on one keep-alive connection.
    static func statuses(_ url: String, host: String, count: Int) throws -> [Int] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-H", "Host: \(host)", "-w", "%{http_code}\\n"] + (0..<count).flatMap { _ in ["-o", "/dev/null", url] }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return output.split(separator: "\n").compactMap { Int($0) }
    }

    @Test func aBurstIsAnsweredAsNginxAnswersIt() async throws {
        let backends = try await TestBackends(addresses: ["127.0.64.1"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.64.1"])
                + RulesDirectory.ingress(
                    "limited", host: "limited.test", paths: [("/", "Prefix", "svc")],
                    annotations: ["limit-rpm": "6", "limit-burst-multiplier": "1"])
                + RulesDirectory.ingress(
                    "exempt", host: "exempt.test", paths: [("/", "Prefix", "svc")],
                    annotations: ["limit-rps": "1", "limit-burst-multiplier": "0", "limit-whitelist": "10.0.0.0/8, 127.0.0.1/32"]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }

        // nginx as ingress-nginx configures it: rate=6r/m, burst = 6 × 1, nodelay, status 503, in
        // front of the same backend (a `return` would answer before limit_req's phase).
        let nginx = try NginxProcess { port in
            """
            limit_req_zone $binary_remote_addr zone=limited:1m rate=6r/m;
            limit_req_status 503;
            server { listen 127.0.0.1:\(port); location / { limit_req zone=limited burst=6 nodelay; proxy_pass http://127.0.64.1:\(backends.port); }
                location /warm { proxy_pass http://127.0.64.1:\(backends.port); } }
            """
        }
        defer { nginx.stop() }
        let nginxPort = nginx.port
        #expect(LiveReloadTests.eventually(5) { (try? Self.statuses("http://127.0.0.1:\(nginxPort)/warm", host: "x", count: 1)) == [200] })
        // One request per 10 s: a slow machine cannot drain the bucket between the requests of a
        // burst, so both answer the same however long the burst takes.

        let fromNginx = try Self.statuses("http://127.0.0.1:\(nginxPort)/", host: "limited.test", count: 9)
        let fromPortico = try Self.statuses("http://127.0.0.1:\(portico.port)/", host: "limited.test", count: 9)
        #expect(fromNginx == [200, 200, 200, 200, 200, 200, 200, 503, 503])
        #expect(fromPortico == fromNginx)

        // An allow-listed client is never limited.
        #expect(try Self.statuses("http://127.0.0.1:\(portico.port)/", host: "exempt.test", count: 6) == Array(repeating: 200, count: 6))
        portico.terminate()
        await backends.stop()
    }

    /// `limit-connections: 1`: while a slow request is in progress, the same client's second gets
    /// 503; once it is answered, the next one passes.
    @Test func aSecondConcurrentRequestIsRefused() async throws {
        let backends = try await TestBackends(addresses: ["127.0.64.2"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.64.2"])
                + RulesDirectory.ingress("conn", host: "conn.test", paths: [("/", "Prefix", "svc")], annotations: ["limit-connections": "1"]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        // The slow request runs as its own curl process (not a task: the cooperative pool may be
        // busy with other suites' blocking waits).
        let slow = Process()
        slow.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        slow.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: conn.test", "http://127.0.0.1:\(portico.port)/__sleep/3000"]
        let output = Pipe()
        slow.standardOutput = output
        try slow.run()
        #expect(LiveReloadTests.eventually(10) { backends.statistics.requestsStarted >= 1 })
        #expect(try curl.get("conn.test", "/").status == 503)
        slow.waitUntilExit()
        #expect(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "200")
        #expect(try curl.get("conn.test", "/").status == 200)
        portico.terminate()
        await backends.stop()
    }
}
