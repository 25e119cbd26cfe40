import Foundation
import Testing

/// `enable-cors` through the real binary, with curl sending what a browser sends.
@Suite(.serialized) struct CORSTests {
    @Test func preflightAnsweredHereAndEveryAnswerCarriesTheFields() async throws {
        let backends = try await TestBackends(addresses: ["127.0.61.1"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.61.1"])
                + RulesDirectory.service("down", port: backends.port, ready: [])
                + RulesDirectory.ingress(
                    "listed", host: "api.test", paths: [("/", "Prefix", "svc"), ("/down", "Prefix", "down")],
                    annotations: [
                        "enable-cors": "true", "cors-allow-origin": "https://app.example.com, https://*.example.org:8443",
                        "cors-allow-methods": "GET, POST", "cors-expose-headers": "X-Total", "cors-max-age": "600",
                        "cors-allow-credentials": "false",
                    ])
                + RulesDirectory.ingress("any", host: "open.test", paths: [("/", "Prefix", "svc")], annotations: ["enable-cors": "true"]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        let preflight = ["-X", "OPTIONS", "-H", "Access-Control-Request-Method: POST", "-H", "Access-Control-Request-Headers: content-type"]

        let before = backends.statistics.requestsStarted
        let answered = try curl.get("api.test", "/items", preflight + ["-H", "Origin: https://app.example.com"])
        #expect(answered.status == 204)
        #expect(answered.headers["access-control-allow-origin"] == "https://app.example.com")
        #expect(answered.headers["access-control-allow-methods"] == "GET, POST")
        #expect(answered.headers["access-control-allow-headers"] == CORSDefaults.headers)
        #expect(answered.headers["access-control-expose-headers"] == "X-Total")
        #expect(answered.headers["access-control-max-age"] == "600")
        #expect(answered.headers["access-control-allow-credentials"] == nil)
        #expect(answered.headers["content-length"] == "0")
        #expect(backends.statistics.requestsStarted == before)  // never reached the upstream

        let wildcard = try curl.get("api.test", "/items", preflight + ["-H", "Origin: https://eu-1.example.org:8443"])
        #expect(wildcard.status == 204)
        #expect(wildcard.headers["access-control-allow-origin"] == "https://eu-1.example.org:8443")
        // One label only, and the port is part of the origin.
        #expect(try curl.get("api.test", "/items", preflight + ["-H", "Origin: https://a.b.example.org:8443"]).status == 200)
        #expect(try curl.get("api.test", "/items", preflight + ["-H", "Origin: https://eu-1.example.org"]).status == 200)

        // A simple request: proxied, and the answer carries the fields.
        let simple = try curl.get("api.test", "/items", ["-H", "Origin: https://app.example.com"])
        #expect(simple.status == 200)
        #expect(simple.report["path"] == "/items")
        #expect(simple.headers["access-control-allow-origin"] == "https://app.example.com")
        // Another origin: proxied as it is, without the fields (the OPTIONS too).
        let other = try curl.get("api.test", "/items", ["-H", "Origin: https://evil.example.net"])
        #expect(other.status == 200 && other.headers["access-control-allow-origin"] == nil)
        #expect(try curl.get("api.test", "/items", preflight + ["-H", "Origin: https://evil.example.net"]).status == 200)
        // The proxy's own errors carry them too.
        let error = try curl.get("api.test", "/down", ["-H", "Origin: https://app.example.com"])
        #expect(error.status == 503)
        #expect(error.headers["access-control-allow-origin"] == "https://app.example.com")

        // The default origin `*`: every request gets the fields, with or without Origin.
        let any = try curl.get("open.test", "/")
        #expect(any.headers["access-control-allow-origin"] == "*")
        #expect(any.headers["access-control-allow-credentials"] == "true")
        #expect(any.headers["access-control-allow-methods"] == "GET, PUT, POST, DELETE, PATCH, OPTIONS")
        #expect(any.headers["access-control-max-age"] == "1728000")
        #expect(try curl.get("open.test", "/", ["-X", "OPTIONS"]).status == 204)
        portico.terminate()
        await backends.stop()
    }
}

enum CORSDefaults {
    static let headers =
        "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization"
}
