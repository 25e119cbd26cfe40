import Foundation
import Testing

/// A translated `configuration-snippet` through the real binary.
@Suite(.serialized) struct SnippetTests {
    @Test func headerDirectivesAreApplied() async throws {
        let backends = try await TestBackends(addresses: ["127.0.68.1"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.68.1"])
                + RulesDirectory.ingress(
                    "snippet", host: "snip.test", paths: [("/", "Prefix", "svc")],
                    annotations: [
                        "configuration-snippet":
                            "more_set_headers 'X-Frame-Options: DENY';\\nadd_header X-Added yes;\\nproxy_set_header X-Tenant acme;\\nproxy_set_header User-Agent '';"
                    ])
                + RulesDirectory.ingress(
                    "denied", host: "deny.test", paths: [("/", "Prefix", "svc")], annotations: ["configuration-snippet": "deny all;"]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        let response = try curl.get("snip.test", "/", ["-H", "X-Tenant: evil", "-A", "curl-agent"])
        #expect(response.status == 200)
        #expect(response.headers["x-frame-options"] == "DENY")
        #expect(response.headers["x-added"] == "yes")
        #expect(response.report["header x-tenant"] == "acme")  // replaced, not added
        #expect(response.report["header user-agent"] == nil)  // an empty value removes it
        // A 404 from the upstream: more_set_headers applies, add_header does not.
        let missing = try curl.get("snip.test", "/__fail-on/127.0.68.1/404")
        #expect(missing.status == 404 && missing.headers["x-frame-options"] == "DENY" && missing.headers["x-added"] == nil)
        // An untranslatable directive keeps the Ingress out.
        #expect(try curl.get("deny.test", "/").status == 404)
        portico.terminate()
        await backends.stop()
    }
}
