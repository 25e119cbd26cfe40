import Foundation
import PorticoConfig
import PorticoDiagnostics
import PorticoKube
import PorticoRouting
import Testing

/// `configuration-snippet`: the safe directives become policies; anything else keeps the
/// Ingress out, naming the directive.
@Suite struct SnippetTranslationTests {
    func compile(_ snippet: String) -> (policy: RoutePolicy?, diagnostics: [Diagnostic]) {
        var state = ClusterState()
        let indented = snippet.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n")
        let text = """
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: snip
              annotations:
                nginx.ingress.kubernetes.io/configuration-snippet: |
            \(indented)
            spec: {rules: [{host: s.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc, port: {number: 80}}}}]}}]}
            """
        for (object, _) in ManifestDecoder.decode(file: "s.yaml", text: text).objects { state.add(object) }
        let compiled = IngressCompiler.compile(state)
        return (compiled.snapshot.routes.resolve(host: "s.test", path: "/")?.policy, compiled.diagnostics)
    }

    @Test func headerDirectivesBecomeTheRoutesHeaderPolicy() throws {
        let (policy, diagnostics) = self.compile("""
            more_set_headers "X-Frame-Options: DENY" 'X-Served-By: portico';
            more_clear_headers Server;   # a comment
            add_header Cache-Control "no-store";
            add_header X-Always yes always;
            proxy_set_header X-Tenant acme;
            """)
        let headers = try #require(policy?.headers, "\(diagnostics)")
        #expect(String(decoding: headers.everyAnswerLines, as: UTF8.self) == "X-Frame-Options: DENY\r\nX-Served-By: portico\r\nX-Always: yes\r\n")
        #expect(String(decoding: headers.successAnswerLines, as: UTF8.self) == "Cache-Control: no-store\r\n")
        #expect(headers.replacedResponseNames.map { String(decoding: $0, as: UTF8.self) } == ["x-frame-options", "x-served-by", "server"])
        #expect(String(decoding: headers.requestLines, as: UTF8.self) == "X-Tenant: acme\r\n")
        #expect(!diagnostics.contains { $0.field?.contains("configuration-snippet") == true })
    }

    @Test func aRedirectReturnBecomesAFixedRedirect() throws {
        let redirect = try #require(self.compile("return 301 https://new.example.com/;").policy?.redirect)
        #expect(redirect.code == 301 && String(decoding: redirect.location, as: UTF8.self) == "https://new.example.com/")
    }

    @Test(arguments: [
        ("deny all;", "line 1: deny is not translated"),
        ("more_set_headers \"X-Host: $host\";", "variables ($host)"),
        ("more_set_headers -s 404 'X-A: b';", "the option -s"),
        ("if ($http_x) { return 403; }", "blocks"),
        ("add_header X-A b", "does not end with ;"),
        ("return 403;", "only return <301|302|303|307|308>"),
    ])
    func anythingElseLeavesTheIngressOut(snippet: String, reason: String) throws {
        let (policy, diagnostics) = self.compile(snippet)
        #expect(policy == nil)  // no route: the Ingress is out
        let found = try #require(diagnostics.first { $0.field == "metadata.annotations[nginx.ingress.kubernetes.io/configuration-snippet]" })
        #expect(found.severity == .error)
        #expect(found.message.contains(reason), "\(found.message)")
        #expect(found.differsFromIngressNginx)
    }
}
