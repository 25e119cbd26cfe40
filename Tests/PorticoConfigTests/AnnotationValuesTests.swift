import Foundation
import PorticoConfig
import PorticoDiagnostics
import PorticoKube
import PorticoRouting
import Testing

/// Invalid annotation values behave as ingress-nginx's parser for each annotation decides:
/// fall back to the default and serve, drop the Ingress, or deny its paths (503).
@Suite struct AnnotationValuesTests {
    static let compiled = try! Fixture.compile("annotation-values").output

    func outcome(_ url: String) -> SimulatedOutcome {
        RequestSimulation.run(try! OfflineRequest.parse(url).get(), snapshot: Self.compiled.snapshot, httpsPort: 443)
    }

    func policy(_ host: String, _ path: String = "/") -> RoutePolicy? {
        Self.compiled.snapshot.routes.resolve(host: host, path: path)?.policy
    }

    func diagnostic(_ ingress: String, _ annotation: String) -> Diagnostic? {
        Self.compiled.diagnostics.first {
            $0.object == "Ingress default/\(ingress)" && $0.field == "metadata.annotations[nginx.ingress.kubernetes.io/\(annotation)]"
        }
    }

    @Test(arguments: [
        ("proxy-read-timeout", "the server's"), ("proxy-body-size", "1m"), ("proxy-next-upstream", "error timeout"),
        ("proxy-next-upstream-tries", "3"), ("app-root", "no app-root redirect"), ("ssl-redirect", "true"),
        ("affinity", "no affinity"),
    ])
    func fallsBackToTheDefault(annotation: String, fallback: String) throws {
        let found = try #require(self.diagnostic("fallbacks", annotation))
        #expect(found.severity == .warning)
        #expect(found.message.contains("uses the default (\(fallback))"))
    }

    @Test func fallbackValuesServeWithDefaults() throws {
        let policy = try #require(self.policy("fallbacks.test"))
        #expect(policy.readTimeoutSeconds == nil)
        #expect(policy.connectTimeoutSeconds == 7)  // the valid neighbour still applies
        #expect(policy.maxBodySize == RoutePolicy.defaultBodySize)
        #expect(policy.nextUpstream == NextUpstream())
        #expect(policy.sslRedirect)
        #expect(policy.cookieAffinity == nil)
        #expect(self.outcome("http://fallbacks.test/").status == nil)  // no app-root 302, proxied
        let sizes = try #require(self.policy("sizes.test"))
        #expect(sizes.maxBodySize == 512)  // `b` is a size unit in ingress-nginx's SizeRegex
        #expect(sizes.cookieAffinity?.name == "INGRESSCOOKIE")
    }

    @Test(arguments: [("bad-vhost", "upstream-vhost", "badvhost.test"), ("bad-balance", "load-balance", "badbalance.test"),
                      ("bad-prefix", "x-forwarded-prefix", "badprefix.test"), ("vhost-unknown-var", "upstream-vhost", "unknownvar.test")])
    func dropsTheIngress(ingress: String, annotation: String, host: String) throws {
        let found = try #require(self.diagnostic(ingress, annotation))
        #expect(found.severity == .error)
        #expect(found.message.contains("ingress-nginx drops such an Ingress, so it is left out"))
        #expect(self.outcome("http://\(host)/").status == 404)
    }

    @Test func unknownVariableIsNamed() throws {
        #expect(try #require(self.diagnostic("vhost-unknown-var", "upstream-vhost")).message.contains("$nonsense is not a variable"))
    }

    @Test func validButUnsupportedBalancerWarnsAndServes() throws {
        #expect(try #require(self.diagnostic("unsupported-balance", "load-balance")).severity == .warning)
        #expect(self.policy("chash.test")?.ewma == false)
    }

    @Test func invalidAllowListDeniesWith503() throws {
        let found = try #require(self.diagnostic("bad-allowlist", "allowlist-source-range"))
        #expect(found.severity == .error)
        #expect(found.message.contains("\"not-an-ip\"") && found.message.contains("answer 503"))
        #expect(self.outcome("http://denied.test/").status == 503)
        #expect(self.policy("denied.test")?.allows([10, 1, 2, 3]) == false)
    }

    @Test func upstreamVhostVariablesAreFilledPerRoute() throws {
        let route = try #require(self.policy("linkerd.test")?.upstreamHost)
        #expect(route.parts == [.literal(Array("svc.default.svc.cluster.local:8084".utf8))])
        let named = try #require(self.policy("linkerd.test", "/named")?.upstreamHost)
        #expect(named.parts == [.literal(Array("svc.default.svc.cluster.local:8084".utf8))])
        let perRequest = try #require(self.policy("vars.test")?.upstreamHost)
        #expect(perRequest.parts == [.literal(Array("vhost-request-vars-".utf8)), .host])
        var rendered: [UInt8] = []
        var host = Array("Vars.Test:8080".utf8)
        host.withUnsafeMutableBytes { value in
            perRequest.render(hostValue: UnsafeRawBufferPointer(value)) { rendered += $0 }
        }
        #expect(String(decoding: rendered, as: UTF8.self) == "vhost-request-vars-vars.test")
    }

    @Test func wildcardTLSHostCoversOneLabel() throws {
        let hosts = Self.compiled.snapshot.tls.filter { $0.ingress == "default/kiada" }
        #expect(hosts.map(\.host) == [.exact("kiada.example.com")])
        #expect(hosts.first?.certificate?.origin == "Secret default/wild")
    }
}
