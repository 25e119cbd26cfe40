import Foundation
import PorticoConfig
import PorticoDiagnostics
import PorticoKube
import PorticoRouting
import Testing

/// The annotations that become request phases, as ingress-nginx's parsers read them
/// (`annotations/cors`, `redirect`, `alias`, `auth`).
@Suite struct PolicyAnnotationTests {
    static let compiled = try! Fixture.compile("policy-annotations").output

    func policy(_ host: String, _ path: String = "/") -> RoutePolicy? {
        Self.compiled.snapshot.routes.resolve(host: host, path: path)?.policy
    }

    func outcome(_ url: String) -> SimulatedOutcome {
        RequestSimulation.run(try! OfflineRequest.parse(url).get(), snapshot: Self.compiled.snapshot, httpsPort: 443)
    }

    func diagnostics(_ ingress: String, _ annotation: String) -> [Diagnostic] {
        Self.compiled.diagnostics.filter {
            $0.object == "Ingress default/\(ingress)" && $0.field == "metadata.annotations[nginx.ingress.kubernetes.io/\(annotation)]"
        }
    }

    func allows(_ cors: CORSPolicy, _ origin: String) -> Bool {
        var origin = origin
        return origin.withUTF8 { cors.allows(origin: UnsafeRawBufferPointer($0)) }
    }

    @Test func corsOriginsAreCheckedOneByOne() throws {
        let cors = try #require(self.policy("cors.test")?.cors)
        #expect(!cors.allowsAnyOrigin)
        #expect(self.allows(cors, "https://a.test"))
        #expect(self.allows(cors, "HTTPS://A.TEST"))  // nginx's `~*`: case-insensitive
        #expect(!self.allows(cors, "https://a.test.evil.test"))
        #expect(!self.allows(cors, "http://a.test"))
        #expect(self.allows(cors, "https://x-1.wild.test:8443"))
        #expect(!self.allows(cors, "https://wild.test:8443"))  // the * is one label, not none
        #expect(!self.allows(cors, "https://a.b.wild.test:8443"))
        #expect(self.allows(cors, "null"))
        #expect(!cors.allows(origin: nil))
        // Skipped with a warning each: no scheme, an upper-case scheme.
        let skipped = self.diagnostics("cors", "cors-allow-origin").map(\.message)
        #expect(skipped.count == 2)
        #expect(skipped.allSatisfy { $0.contains("ingress-nginx skips it") })
        // An invalid methods list falls back to the default; credentials off.
        let fields = String(decoding: cors.fields, as: UTF8.self)
        #expect(fields.contains("Access-Control-Allow-Methods: GET, PUT, POST, DELETE, PATCH, OPTIONS\r\n"))
        #expect(!fields.contains("Credentials"))
        #expect(self.diagnostics("cors", "cors-allow-methods").first?.severity == .warning)
        // `*` anywhere in the list allows every origin, as the parser's `break`.
        #expect(self.policy("corsstar.test")?.cors?.allowsAnyOrigin == true)
    }

    @Test func originPatternsMatchWithoutARegex() {
        func matches(_ pattern: String, _ origin: String) -> Bool {
            var origin = origin
            return origin.withUTF8 { OriginPattern(pattern).matches(UnsafeRawBufferPointer($0)) }
        }
        #expect(matches("https://*.example.com", "https://api.example.com"))
        #expect(matches("https://*.example.com", "https://API-2.Example.com"))
        #expect(!matches("https://*.example.com", "https://.example.com"))
        #expect(!matches("https://*.example.com", "https://a_b.example.com"))
        #expect(!matches("https://*.example.com", "https://example.com"))
        #expect(!matches("https://example.com", "https://example.com:443"))
    }

    @Test func aFixedRedirectComesBeforeTheHTTPSRedirect() throws {
        let redirect = try #require(self.policy("redirect.test")?.redirect)
        #expect(redirect.code == 301)  // 399 is out of range: the default, with a warning
        #expect(self.diagnostics("redirect-tls", "permanent-redirect-code").first?.message.contains("uses 301") == true)
        // The host has TLS, yet plain HTTP gets the annotation's 301, not ssl-redirect's 308:
        // nginx's `return` runs before ingress-nginx's rewrite_by_lua.
        let outcome = self.outcome("http://redirect.test/a")
        #expect(outcome.status == 301)
        #expect(outcome.location == "https://elsewhere.test/x")
    }

    @Test func redirectValuesAsIngressNginxJudgesThem() {
        // `$` is outside URLIsValidRegex: a validation error, the Ingress is dropped.
        #expect(self.diagnostics("redirect-variable", "permanent-redirect").first?.message.contains("drops such an Ingress") == true)
        #expect(self.outcome("http://redirvar.test/").status == 404)
        // Not http(s): a plain error there; the redirect is ignored and the path proxied.
        #expect(self.diagnostics("redirect-ftp", "temporal-redirect").first?.severity == .warning)
        #expect(self.outcome("http://redirftp.test/").status == nil)
    }

    @Test func basicAuthReadsTheSecretAsNginxReadsTheFile() throws {
        let auth = try #require(self.policy("auth.test")?.basicAuth)
        #expect(auth.secret == "default/users")
        #expect(auth.users.count == 2)
        #expect(auth.users.hash(for: "alice") == "{PLAIN}pw")  // the first line naming a user wins
        #expect(String(decoding: auth.challenge, as: UTF8.self) == "WWW-Authenticate: Basic realm=\"\"\r\n")
    }

    @Test(arguments: [
        ("auth-digest", "digest.test", "auth-type", "digest authentication is not supported"),
        ("auth-cross", "cross.test", "auth-secret", "in another namespace"),
        ("auth-no-key", "nokey.test", "auth-secret", "has no key auth"),
    ])
    func aBrokenAuthSetupDeniesThePaths(ingress: String, host: String, annotation: String, message: String) throws {
        let found = try #require(self.diagnostics(ingress, annotation).first)
        #expect(found.severity == .error)
        #expect(found.message.contains(message))
        #expect(self.outcome("http://\(host)/").status == 503)  // never served without the check
    }

    @Test func anInvalidSecretTypeDropsTheIngress() {
        #expect(self.diagnostics("auth-bad-type", "auth-secret-type").first?.message.contains("drops such an Ingress") == true)
        #expect(self.outcome("http://badtype.test/").status == 404)
    }

    @Test func theOldestIngressSetsTheAliases() {
        #expect(self.outcome("http://first.alias.test/").ingress == "default/alias-first")
        #expect(self.outcome("http://first.alias.test/second/x").ingress == "default/alias-second")  // the host's routes, all of them
        #expect(self.outcome("http://second.alias.test/").status == 404)  // a later Ingress's aliases are skipped
        #expect(self.diagnostics("alias-second", "server-alias").first?.message.contains("already has the aliases") == true)
        #expect(self.outcome("http://own.test/own").ingress == "default/own")  // a host of its own is never an alias
        #expect(self.outcome("http://own.test/").status == 404)
    }

    /// `auth-tls-*` is the host's (nginx.tmpl's server block): the oldest Ingress's settings
    /// cover the later Ingress's path on the same host, and its TLS binding asks for client
    /// certificates; invalid values fall back as ingress-nginx's parser does.
    @Test func clientCertificatesAreTheHostsAndFallBackAsIngressNginx() throws {
        let first = try #require(self.policy("mtls.test", "/a")?.clientCertificate)
        let later = try #require(self.policy("mtls.test", "/b")?.clientCertificate)
        #expect(first == later)
        #expect(first.handshake.verify == .on)  // "maybe" is not a mode: on
        #expect(first.handshake.depth == 2)
        #expect(first.handshake.secret == "default/client-ca")
        #expect(first.errorPage == nil)  // not a URL or path
        #expect(first.matchCN?.pattern == "CN=(alice|bob)")
        #expect(first.broken == nil)
        #expect(self.diagnostics("mtls", "auth-tls-verify-client").count == 1)
        #expect(self.diagnostics("mtls", "auth-tls-error-page").count == 1)
        let binding = try #require(Self.compiled.snapshot.tls.first { $0.host.description == "mtls.test" })
        #expect(binding.clientCertificates == first.handshake)
        #expect(self.policy("cors.test")?.clientCertificate == nil)
    }
}

/// Session-cookie attributes as sticky.lua sets them.
@Suite struct SessionCookieAnnotationTests {
    @Test func theCookiePathDefaultsToTheIngressPath() throws {
        var state = ClusterState()
        let text = """
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: sticky
              annotations: {nginx.ingress.kubernetes.io/affinity: cookie, nginx.ingress.kubernetes.io/session-cookie-samesite: NONE, nginx.ingress.kubernetes.io/session-cookie-secure: "true"}
            spec: {rules: [{host: s.test, http: {paths: [{path: /app, pathType: Prefix, backend: {service: {name: svc, port: {number: 80}}}}]}}]}
            """
        for (object, _) in ManifestDecoder.decode(file: "s.yaml", text: text).objects { state.add(object) }
        let compiled = IngressCompiler.compile(state)
        let affinity = try #require(compiled.snapshot.routes.resolve(host: "s.test", path: "/app/x")?.policy.cookieAffinity)
        #expect(affinity.path == "/app")
        #expect(affinity.sameSite == "None")
        #expect(affinity.secure == true)
    }
}

/// `service-upstream`: the cluster IP, or the endpoints for a headless Service.
@Suite struct ServiceUpstreamAnnotationTests {
    func endpoints(clusterIP: String) -> [String] {
        var state = ClusterState()
        let text = """
            apiVersion: v1
            kind: Service
            metadata: {name: svc}
            spec: {clusterIP: \(clusterIP), ports: [{port: 80, targetPort: 8080}]}
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: svc}
            subsets: [{addresses: [{ip: 10.0.0.5}], ports: [{port: 8080}]}]
            ---
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: up, annotations: {nginx.ingress.kubernetes.io/service-upstream: "true"}}
            spec: {rules: [{host: u.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc, port: {number: 80}}}}]}}]}
            """
        for (object, _) in ManifestDecoder.decode(file: "u.yaml", text: text).objects { state.add(object) }
        let outcome = RequestSimulation.run(try! OfflineRequest.parse("http://u.test/").get(), snapshot: IngressCompiler.compile(state).snapshot)
        return outcome.endpoints
    }

    @Test func clusterIPOrEndpoints() {
        #expect(self.endpoints(clusterIP: "10.96.0.7") == ["10.96.0.7:80"])
        #expect(self.endpoints(clusterIP: "None") == ["10.0.0.5:8080"])  // headless: as ingress-nginx, the endpoints
    }
}

/// Names an Ingress adds beside its rule hosts answer HTTPS with the host's certificate.
@Suite struct ServerNameTLSTests {
    @Test func aliasesAndWWWTwinsShareTheHostsBinding() throws {
        var state = ClusterState()
        let text = """
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: shop
              annotations: {nginx.ingress.kubernetes.io/server-alias: shop.alias.test, nginx.ingress.kubernetes.io/from-to-www-redirect: "true"}
            spec:
              tls: [{hosts: [shop.test]}]
              rules: [{host: shop.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc, port: {number: 80}}}}]}}]
            """
        for (object, _) in ManifestDecoder.decode(file: "t.yaml", text: text).objects { state.add(object) }
        let snapshot = IngressCompiler.compile(state).snapshot
        let hosts = Set(snapshot.tls.map(\.host.description))
        #expect(hosts == ["shop.test", "shop.alias.test", "www.shop.test"])
        // The alias is served like its host, ssl-redirect included (the host has TLS).
        #expect(RequestSimulation.run(try OfflineRequest.parse("http://shop.alias.test/a").get(), snapshot: snapshot).status == 308)
        #expect(RequestSimulation.run(try OfflineRequest.parse("https://shop.alias.test/a").get(), snapshot: snapshot).ingress == "default/shop")
    }
}
