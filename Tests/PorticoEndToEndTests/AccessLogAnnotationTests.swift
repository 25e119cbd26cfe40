import Foundation
import Testing

/// `enable-access-log: "false"` through the real binary.
@Suite(.serialized) struct AccessLogAnnotationTests {
    @Test func aRouteCanStayOutOfTheAccessLog() async throws {
        let backends = try await TestBackends(addresses: ["127.0.70.1"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.70.1"])
                + RulesDirectory.ingress("quiet", host: "quiet.test", paths: [("/", "Prefix", "svc")], annotations: ["enable-access-log": "false"])
                + RulesDirectory.ingress("loud", host: "loud.test", paths: [("/", "Prefix", "svc")]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        let curl = Curl(port: portico.port)
        #expect(try curl.get("quiet.test", "/health").status == 200)
        #expect(try curl.get("loud.test", "/seen").status == 200)
        portico.terminate()
        let log = try String(contentsOf: portico.accessLog, encoding: .utf8)
        #expect(log.contains("GET /seen"))
        #expect(!log.contains("/health"))
        await backends.stop()
    }
}
