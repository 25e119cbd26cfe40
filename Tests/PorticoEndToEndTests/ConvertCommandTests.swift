import Foundation
import Testing

/// `portico convert` and `--verify`, run as users run them: what Gateway API can express
/// converts with no difference, what it cannot is named, and the output is served.
@Suite(.serialized) struct ConvertCommandTests {
    /// `redirect`: with a `permanent-redirect`, which ingress-nginx answers without the
    /// request's query, and a RequestRedirect cannot drop it.
    static func ingresses(port: Int, redirect: Bool = true) -> String {
        RulesDirectory.service("web", port: port, ready: ["127.0.65.1"]) + RulesDirectory.service("canary", port: port, ready: ["127.0.65.2"])
            + RulesDirectory.ingress("shop", host: "shop.test", paths: [("/", "Prefix", "web"), ("/health", "Exact", "web")])
            + RulesDirectory.ingress("api", host: "api.test", paths: [("/v1", "Prefix", "web")], annotations: ["upstream-vhost": "internal.api", "enable-cors": "true"])
            + (redirect ? RulesDirectory.ingress("moved", host: "old.test", paths: [("/", "Prefix", "web")], annotations: ["permanent-redirect": "https://new.test/landing"]) : "")
            + RulesDirectory.ingress("shop-canary", host: "shop.test", paths: [("/", "Prefix", "canary")], annotations: ["canary": "true", "canary-weight": "30", "canary-by-header": "X-Canary", "canary-by-header-value": "yes"])
    }

    @Test func whatGatewayAPICanExpressConvertsWithoutADifference() async throws {
        let rules = try RulesDirectory(["a.yaml": Self.ingresses(port: 9, redirect: false)])
        let verify = try CheckCommandTests.portico(["convert", "--rules", rules.url.path, "--verify"])
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains(" 0 different"), "\(verify.output)")
        // A fixed redirect: the one difference is the query, and a note says so.
        let redirect = try RulesDirectory(["a.yaml": Self.ingresses(port: 9)])
        let differing = try CheckCommandTests.portico(["convert", "--rules", redirect.url.path, "--verify"])
        #expect(differing.status == 1)
        #expect(differing.output.contains("permanent-redirect answers without the request's query"))
        #expect(differing.output.split(separator: "\n").filter { $0.hasPrefix("DIFFERENT") } == [
            "DIFFERENT GET http://old.test/x/y?q=1: Ingress → 301 to https://new.test/landing; Gateway API → 301 to https://new.test/landing?q=1 (see the notes on Ingress default/moved)"
        ])
        // CORS has no HTTPRoute filter in the standard channel: named, not silently dropped.
        #expect(verify.output.contains("Ingress default/api: metadata.annotations[nginx.ingress.kubernetes.io/enable-cors]: no Gateway API equivalent"))
        #expect(!verify.output.contains("canary-by-header"))  // converted to a header match, so no note
    }

    @Test func theShippedExampleNamesWhatCannotConvert() throws {
        let run = try CheckCommandTests.portico(["convert", "--rules", "ingress-rules", "--certs", "certs", "--verify"])
        #expect(run.status == 1)
        #expect(run.output.contains("/$2 uses regex captures, which URLRewrite cannot express"))
        #expect(run.output.contains("*.nip.io stands for one label in the Ingress API"))
        #expect(run.output.contains("DIFFERENT GET http://a.b.nip.io/"))
        // Everything that differs is one of the named causes: a capture rewrite, a deeper
        // wildcard name, the redirect's trailing slash.
        for line in run.output.split(separator: "\n") where line.hasPrefix("DIFFERENT") {
            #expect(line.contains("a.b.") || line.contains("sslip.io/one") || line.contains("sslip.io/two") || line.contains("308 to https://a."), "\(line)")
            #expect(line.contains("(see the notes on Ingress default/"), "\(line)")
        }
    }

    @Test func ingressNginxsDocsExamplesDifferOnlyWhereANoteSaysWhy() throws {
        let run = try CheckCommandTests.portico(["convert", "--rules", "Tests/MigrationCorpus/ingress-nginx-docs", "--ingress-class", "nginx", "--verify"])
        let lines = run.output.split(separator: "\n").map(String.init)
        // The docs' Ingresses come without their Services and Secrets: both sides are verified
        // as having the Services (no ready endpoints), and a Secret both lack is no problem of
        // the conversion's.
        #expect(lines.contains { $0.hasPrefix("verified as if these Services existed") && $0.contains("default/http-svc") && $0.contains("kube-system/oauth2-proxy") })
        #expect(!lines.contains { $0.hasPrefix("converted manifests:") }, "\(run.output)")
        // What differs: the HTTPS redirect's trailing slash (a `/` path alone is the same URL,
        // RFC 3986 §6.2.3) and an FCGI backend by port name; each on an Ingress whose notes say why.
        let different = lines.filter { $0.hasPrefix("DIFFERENT") }
        #expect(different.map { $0.split(separator: ":", maxSplits: 1).first.map(String.init) ?? "" }.sorted() == [
            "DIFFERENT GET http", "DIFFERENT GET http", "DIFFERENT GET http",
        ])
        #expect(different.filter { $0.contains("__ingress_host__/oauth2/:") && $0.contains("(see the notes on Ingress kube-system/oauth2-proxy)") }.count == 1, "\(different)")
        #expect(different.filter { $0.contains("app.example.com") && $0.contains("(see the notes on Ingress default/example-app)") }.count == 2, "\(different)")
        #expect(lines.contains { $0.contains("3 different (3 on Ingresses with notes)") }, "\(run.output)")
        #expect(lines.contains { $0.contains("Ingress default/example-app") && $0.contains("backend-protocol") && $0.contains("no Gateway API equivalent") })
        #expect(run.status == 1)
    }

    @Test func aMirrorToAServiceBecomesARequestMirror() throws {
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("web", port: 9, ready: ["127.0.65.1"]) + RulesDirectory.service("shadow", port: 9, ready: ["127.0.65.2"])
                + RulesDirectory.ingress("m", host: "m.test", paths: [("/", "Prefix", "web")], annotations: ["mirror-target": "http://shadow.default.svc.cluster.local$request_uri"])
                + RulesDirectory.ingress("n", host: "n.test", paths: [("/", "Prefix", "web")], annotations: ["mirror-target": "http://10.1.1.1/x"]),
        ])
        let run = try CheckCommandTests.portico(["convert", "--rules", rules.url.path])
        #expect(run.status == 0)
        #expect(run.output.contains("type: RequestMirror"), "\(run.output)")
        #expect(run.output.contains("the RequestMirror's copy keeps the request's Host (ingress-nginx's sends shadow.default.svc.cluster.local)"))
        #expect(run.output.contains("Ingress default/n: metadata.annotations[nginx.ingress.kubernetes.io/mirror-target]: http://10.1.1.1/x: a RequestMirror copies the request"))
        #expect(!run.output.contains("mirror-target]: no Gateway API equivalent"))
        // The converted manifests carry the mirror: the HTTPRoute's rule has it.
        let served = try RulesDirectory(["a.yaml": RulesDirectory.service("web", port: 9, ready: ["127.0.65.1"]) + RulesDirectory.service("shadow", port: 9, ready: ["127.0.65.2"]), "gw.yaml": run.output])
        let explain = try CheckCommandTests.portico(["explain", "--rules", served.url.path, "http://m.test/"])
        #expect(explain.output.contains("mirrored to default/shadow:80"), "\(explain.output)")
    }

    @Test func theConvertedManifestsAreServed() async throws {
        let backends = try await TestBackends(addresses: ["127.0.65.1", "127.0.65.2"], page: "converted")
        let source = try RulesDirectory(["a.yaml": Self.ingresses(port: backends.port)])
        let converted = try CheckCommandTests.portico(["convert", "--rules", source.url.path])
        #expect(converted.status == 0)
        #expect(converted.output.contains("kind: HTTPRoute"))
        // The Services stay; the Ingresses give way to their conversion.
        let rules = try RulesDirectory([
            "services.yaml": RulesDirectory.service("web", port: backends.port, ready: ["127.0.65.1"])
                + RulesDirectory.service("canary", port: backends.port, ready: ["127.0.65.2"]),
            "gateway.yaml": converted.output,
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        #expect(try curl.get("shop.test", "/health").status == 200)
        let api = try curl.get("api.test", "/v1/x")
        #expect(api.report["header host"] == "internal.api")
        let moved = try curl.get("old.test", "/anything")
        #expect(moved.status == 301)
        #expect(moved.headers["location"] == "https://new.test/landing")
        var endpoints = Set<String>()
        for _ in 0..<30 { if let endpoint = try curl.get("shop.test", "/").report["endpoint"] { endpoints.insert(String(endpoint.prefix(10))) } }
        #expect(endpoints == ["127.0.65.1", "127.0.65.2"])  // the canary's weight became a split
        for _ in 0..<5 {  // and its header value a header match
            #expect(try curl.get("shop.test", "/", ["-H", "X-Canary: yes"]).report["endpoint"]?.hasPrefix("127.0.65.2") == true)
        }
        portico.terminate()
        await backends.stop()
    }
}
