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

    /// The ConfigMap's `custom-http-errors` with `--default-backend-service`: every path's
    /// listed statuses come from that Service (ingress-nginx's server-level error_page), an
    /// Ingress's own annotation still wins, and requests no rule matches go there too.
    @Test func theControllerDefaultBackendServesUnmatchedRequestsAndTheConfigMapCodes() async throws {
        let backends = try await TestBackends(addresses: ["127.0.67.5", "127.0.67.6", "127.0.67.7"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("app", port: backends.port, ready: ["127.0.67.5"])
                + RulesDirectory.service("own-errors", port: backends.port, ready: ["127.0.67.7"])
                + RulesDirectory.ingress("plain", host: "plain.test", paths: [("/", "Prefix", "app")])
                + RulesDirectory.ingress(
                    "own", host: "own.test", paths: [("/", "Prefix", "app")],
                    annotations: ["custom-http-errors": "500", "default-backend": "own-errors"]),
            "controller.yaml": """
                apiVersion: v1
                kind: Service
                metadata: {name: default-http-backend, namespace: ingress-nginx}
                spec: {ports: [{port: 80, targetPort: \(backends.port)}]}
                ---
                apiVersion: v1
                kind: Endpoints
                metadata: {name: default-http-backend, namespace: ingress-nginx}
                subsets: [{addresses: [{ip: 127.0.67.6}], ports: [{port: \(backends.port)}]}]
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: portico-controller, namespace: ingress-nginx}
                data: {custom-http-errors: "404,503"}
                """,
        ])
        let portico = try PorticoProcess(
            rules: rules.url,
            extraArguments: ["--configmap", "ingress-nginx/portico-controller", "--default-backend-service", "ingress-nginx/default-http-backend"])
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        let controllerBackend = "127.0.67.6:\(backends.port)"

        let replaced = try curl.get("plain.test", "/__fail-on/127.0.67.5/503")
        #expect(replaced.report["endpoint"] == controllerBackend)
        #expect(replaced.report["header x-code"] == "503")
        #expect(replaced.report["header x-ingress-name"] == "plain")
        #expect(try curl.get("plain.test", "/__fail-on/127.0.67.5/500").status == 500, "not a listed code")
        // The Ingress's own annotation replaces the ConfigMap's codes and backend.
        #expect(try curl.get("own.test", "/__fail-on/127.0.67.5/500").report["endpoint"] == "127.0.67.7:\(backends.port)")
        #expect(try curl.get("own.test", "/__fail-on/127.0.67.5/503").status == 503)
        // A host no rule names goes to the default backend.
        #expect(try curl.get("nowhere.test", "/x").report["endpoint"] == controllerBackend)
        portico.terminate()
        await backends.stop()
    }
}
