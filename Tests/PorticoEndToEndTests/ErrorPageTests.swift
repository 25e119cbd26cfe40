import Foundation
import Testing

/// `custom-http-errors` and `default-backend` through the real binary.
@Suite(.serialized) struct ErrorPageTests {
    @Test func listedStatusesComeFromTheDefaultBackend() async throws {
        let backends = try await TestBackends(addresses: ["127.0.67.1", "127.0.67.2"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("app", port: backends.port, ready: ["127.0.67.1"])
                + RulesDirectory.service("errors", port: backends.port, ready: ["127.0.67.2"])
                + RulesDirectory.service("empty", port: backends.port, ready: [])
                + RulesDirectory.ingress(
                    "pages", host: "errs.test", paths: [("/", "Prefix", "app")],
                    annotations: ["custom-http-errors": "404, 503", "default-backend": "errors"])
                + RulesDirectory.ingress("fallback", host: "fallback.test", paths: [("/", "Prefix", "empty")], annotations: ["default-backend": "errors"]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        let errorEndpoint = "127.0.67.2:\(backends.port)"

        let replaced = try curl.get("errs.test", "/__fail-on/127.0.67.1/404?q=1", ["-H", "Accept: application/json"])
        #expect(replaced.report["endpoint"] == errorEndpoint)  // the default backend answered
        #expect(replaced.report["path"] == "/")
        #expect(replaced.report["header x-code"] == "404")
        #expect(replaced.report["header x-format"] == "application/json")
        #expect(replaced.report["header x-original-uri"] == "/__fail-on/127.0.67.1/404?q=1")
        #expect(replaced.report["header x-namespace"] == "default")
        #expect(replaced.report["header x-ingress-name"] == "pages")
        #expect(replaced.report["header x-service-name"] == "app")
        #expect(replaced.report["header x-service-port"] == "80")
        #expect(replaced.report["header host"] == "errs.test:\(portico.port)")
        // An unlisted status passes through; a normal answer is untouched.
        #expect(try curl.get("errs.test", "/__fail-on/127.0.67.1/500").status == 500)
        #expect(try curl.get("errs.test", "/a").report["endpoint"] == "127.0.67.1:\(backends.port)")
        // default-backend alone: it serves while the Service has no ready endpoint.
        #expect(try curl.get("fallback.test", "/b").report["endpoint"] == errorEndpoint)
        portico.terminate()
        await backends.stop()
    }
}
