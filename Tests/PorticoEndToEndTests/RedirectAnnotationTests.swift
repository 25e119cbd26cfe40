import Foundation
import Testing

/// `permanent-redirect`, `temporal-redirect`, `from-to-www-redirect` and `server-alias` through
/// the real binary.
@Suite(.serialized) struct RedirectAnnotationTests {
    @Test func redirectsAndAliases() async throws {
        let backends = try await TestBackends(addresses: ["127.0.62.1", "127.0.62.2"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.62.1"])
                + RulesDirectory.service("www", port: backends.port, ready: ["127.0.62.2"])
                + RulesDirectory.ingress(
                    "moved", host: "old.test", paths: [("/", "Prefix", "svc")],
                    annotations: ["permanent-redirect": "https://new.example.com/landing?from=old"])
                + RulesDirectory.ingress(
                    "moved-308", host: "old308.test", paths: [("/", "Prefix", "svc")],
                    annotations: ["permanent-redirect": "https://new.example.com", "permanent-redirect-code": "308"])
                + RulesDirectory.ingress(
                    "maintenance", host: "temp.test", paths: [("/", "Prefix", "svc")],
                    annotations: ["temporal-redirect": "https://status.example.com", "temporal-redirect-code": "307",
                                  "permanent-redirect": "https://ignored.example.com"])
                + RulesDirectory.ingress(
                    "shop", host: "shop.test", paths: [("/", "Prefix", "svc")],
                    annotations: ["from-to-www-redirect": "true", "server-alias": "shop.alias.test, *.shops.test"])
                + RulesDirectory.ingress(
                    "www-owned", host: "www.blog.test", paths: [("/", "Prefix", "www")], annotations: ["from-to-www-redirect": "true"])
                + RulesDirectory.ingress("blog", host: "blog.test", paths: [("/", "Prefix", "svc")]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)

        let moved = try curl.get("old.test", "/anything?x=1")
        #expect(moved.status == 301)
        #expect(moved.headers["location"] == "https://new.example.com/landing?from=old")
        #expect(moved.body.contains("301 Moved Permanently"))
        #expect(try curl.get("old308.test", "/").status == 308)
        let temporary = try curl.get("temp.test", "/")
        #expect(temporary.status == 307)  // temporal-redirect wins over permanent-redirect
        #expect(temporary.headers["location"] == "https://status.example.com")

        // www.shop.test exists only to redirect to shop.test (port included, trailing / dropped).
        let twin = try curl.get("www.shop.test", "/cart/?id=7")
        #expect(twin.status == 308)
        #expect(twin.headers["location"] == "http://shop.test:\(portico.port)/cart/?id=7")
        #expect(try curl.get("www.shop.test", "/cart/").headers["location"] == "http://shop.test:\(portico.port)/cart")
        #expect(try curl.get("shop.test", "/").status == 200)
        // blog.test is a host of its own, so www.blog.test's annotation does not take it over.
        #expect(try curl.get("blog.test", "/").report["endpoint"] == "127.0.62.1:\(backends.port)")
        #expect(try curl.get("www.blog.test", "/").report["endpoint"] == "127.0.62.2:\(backends.port)")

        // Aliases serve the host's routes.
        #expect(try curl.get("shop.alias.test", "/a").report["path"] == "/a")
        #expect(try curl.get("eu.shops.test", "/b").report["header host"] == "eu.shops.test:\(portico.port)")
        #expect(try curl.get("unknown.test", "/").status == 404)
        portico.terminate()
        await backends.stop()
    }
}
