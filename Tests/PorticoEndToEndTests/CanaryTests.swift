import Foundation
import Testing

/// Canary Ingresses through the real binary: header, cookie and weight, in ingress-nginx's order.
@Suite(.serialized) struct CanaryTests {
    @Test func headerThenCookieThenWeight() async throws {
        let backends = try await TestBackends(addresses: ["127.0.63.1", "127.0.63.2", "127.0.63.3", "127.0.63.4"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("stable", port: backends.port, ready: ["127.0.63.1"])
                + RulesDirectory.service("next", port: backends.port, ready: ["127.0.63.2"])
                + RulesDirectory.service("weighted", port: backends.port, ready: ["127.0.63.3"])
                + RulesDirectory.service("empty", port: backends.port, ready: [])
                + RulesDirectory.service("stable-w", port: backends.port, ready: ["127.0.63.4"])
                + RulesDirectory.ingress("main", host: "app.test", paths: [("/", "Prefix", "stable")])
                + RulesDirectory.ingress(
                    "canary", host: "app.test", paths: [("/", "Prefix", "next"), ("/only-canary", "Prefix", "next")],
                    annotations: ["canary": "true", "canary-by-header": "X-Canary", "canary-by-header-value": "v2",
                                  "canary-by-cookie": "use_next"])
                + RulesDirectory.ingress("main-w", host: "w.test", paths: [("/", "Prefix", "stable-w")])
                + RulesDirectory.ingress(
                    "canary-w", host: "w.test", paths: [("/", "Prefix", "weighted")],
                    annotations: ["canary": "true", "canary-weight": "30", "canary-by-header": "X-Canary"])
                + RulesDirectory.ingress("main-e", host: "e.test", paths: [("/", "Prefix", "weighted")])
                + RulesDirectory.ingress(
                    "canary-e", host: "e.test", paths: [("/", "Prefix", "empty")], annotations: ["canary": "true", "canary-weight": "100"]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        func served(_ host: String, _ arguments: [String] = [], path: String = "/") throws -> String? {
            try curl.get(host, path, arguments).report["endpoint"]?.split(separator: ":").first.map(String.init)
        }
        let stable = "127.0.63.1", next = "127.0.63.2", weighted = "127.0.63.3"

        #expect(try served("app.test") == stable)
        #expect(try served("app.test", ["-H", "X-Canary: v2"]) == next)
        #expect(try served("app.test", ["-H", "X-Canary: v3"]) == stable)  // no match: falls through (weight 0)
        #expect(try served("app.test", ["-H", "X-Canary: always"]) == stable)  // with -value, `always` is just a value
        #expect(try served("app.test", ["-H", "Cookie: a=1; use_next=always"]) == next)
        #expect(try served("app.test", ["-H", "X-Canary: v3", "-H", "Cookie: use_next=always"]) == next)  // header fell through
        #expect(try served("app.test", ["-H", "X-Canary: v2", "-H", "Cookie: use_next=never"]) == next)  // header first
        // A canary adds no route of its own.
        #expect(try curl.get("app.test", "/only-canary").report["endpoint"]?.hasPrefix(stable) == true)

        // Weight 30 of 100, `always`/`never` by header when no value is set.
        #expect(try served("w.test", ["-H", "X-Canary: always"]) == weighted)
        #expect(try served("w.test", ["-H", "X-Canary: never"]) == "127.0.63.4")
        var toCanary = 0
        let rounds = 100
        for _ in 0..<rounds where try served("w.test") == weighted { toCanary += 1 }
        #expect((10...55).contains(toCanary), "\(toCanary) of \(rounds) to the 30 % canary")

        // A canary without ready endpoints is never chosen, even at weight 100.
        #expect(try served("e.test") == weighted)

        // The canary belongs to the main *backend* (ingress-nginx's balancer is per upstream):
        // another Ingress's route to the same Service follows it too.
        let shared = try RulesDirectory([
            "a.yaml": RulesDirectory.service("stable", port: backends.port, ready: ["127.0.63.1"])
                + RulesDirectory.service("next", port: backends.port, ready: ["127.0.63.2"])
                + RulesDirectory.ingress("main", host: "app.test", paths: [("/", "Prefix", "stable")])
                + RulesDirectory.ingress("other", host: "other.test", paths: [("/", "Prefix", "stable")])
                + RulesDirectory.ingress("canary", host: "app.test", paths: [("/", "Prefix", "next")], annotations: ["canary": "true", "canary-by-header": "X-Canary"]),
        ])
        let second = try PorticoProcess(rules: shared.url)
        #expect(try Curl(port: second.port).get("other.test", "/", ["-H", "X-Canary: always"]).report["endpoint"]?.hasPrefix(next) == true)
        second.terminate()

        let check = try CheckCommandTests.portico(["check", "--rules", rules.url.path])
        #expect(check.output.contains("a canary adds no route of its own"), "\(check.output)")
        portico.terminate()
        await backends.stop()
    }
}
