import Foundation
import PorticoConfig
import PorticoKube
import PorticoRouting
import Testing

/// ssl-redirect, force-ssl-redirect and TLS bindings, offline through the data plane's router.
@Suite struct TLSRedirectTests {
    static let compiled = try! Fixture.compile("tls-redirects").output

    func outcome(_ url: String, httpsPort: Int = 443) -> SimulatedOutcome {
        RequestSimulation.run(try! OfflineRequest.parse(url).get(), snapshot: Self.compiled.snapshot, httpsPort: httpsPort)
    }

    @Test func tlsHostsRedirectKeepingPathAndQuery() {
        let redirect = self.outcome("http://secure.test:8080/app/x?y=1", httpsPort: 8443)
        #expect(redirect.status == 308)
        #expect(redirect.location == "https://secure.test:8443/app/x?y=1")
        #expect(self.outcome("http://secure.test/app").location == "https://secure.test/app")  // 443 left out
        #expect(self.outcome("http://secure.test/unmatched").status == 308)  // the host root redirects too
        #expect(self.outcome("https://secure.test/app").status == nil)  // proxied over HTTPS
    }

    /// ingress-nginx strips one trailing `/` from the request URI (lua_ingress.lua; e2e
    /// `ssl/http_redirect.go` expects `Location: https://redirect.com` for `/`).
    @Test func redirectStripsOneTrailingSlashUnlessPreserved() {
        #expect(self.outcome("http://secure.test/app/").location == "https://secure.test/app")
        #expect(self.outcome("http://secure.test/").location == "https://secure.test")
        #expect(self.outcome("http://secure.test/app/x?y=/").location == "https://secure.test/app/x?y=")
        #expect(self.outcome("http://kept.test/app/").location == "https://kept.test/app/")
        #expect(self.outcome("http://kept.test/").location == "https://kept.test/")
    }

    @Test func optOutForceAndACME() {
        #expect(self.outcome("http://secure.test/plain").status == nil)  // ssl-redirect: "false"
        #expect(self.outcome("http://forced.test/x").status == 308)  // force-ssl-redirect, no TLS
        #expect(self.outcome("http://secure.test/.well-known/acme-challenge/token").status == 404)  // never redirected
        #expect(self.outcome("http://stray.test/").status == nil)  // its stray TLS host is ignored
    }

    @Test func bindingsAndTheirDiagnostics() throws {
        let snapshot = Self.compiled.snapshot
        #expect(snapshot.tls.map(\.host) == [.exact("secure.test")])
        #expect(snapshot.tls.first?.certificate == nil)  // Secret missing: default certificate
        let messages = Self.compiled.diagnostics.map(\.description)
        #expect(messages.contains { $0.contains("spec.tls[0].secretName: Secret default/absent not found") })
        #expect(messages.contains { $0.contains("Ingress default/stray: spec.tls[0].hosts: elsewhere.test is not a host of this Ingress's rules") })
    }
}
