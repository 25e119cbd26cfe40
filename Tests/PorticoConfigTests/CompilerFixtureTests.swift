import Foundation
import PorticoConfig
import PorticoDiagnostics
import PorticoKube
import PorticoRouting
import Testing

/// Fixture manifests → compiled routes and diagnostics, no sockets. Each fixture is named after
/// its case.
@Suite struct CompilerFixtureTests {
    static func compile(_ fixture: String, options: CompileOptions = CompileOptions()) throws -> FixtureResult {
        let (output, issues) = try Fixture.compile(fixture, options: options)
        return FixtureResult(output: output, issues: issues)
    }


    func backend(_ result: FixtureResult, _ host: String, _ path: String) -> Backend? {
        result.output.snapshot.routes.resolve(host: host, path: path).map { result.output.snapshot.backends[$0.backend] }
    }

    @Test func seedTyposAreLocatedAndTheRestServes() throws {
        let result = try Self.compile("seed-typos")
        let messages = result.issues.map(\.description)
        // `type: External Name` names the file, line, object and field, and suggests the fix.
        let typo = try #require(result.issues.first { $0.object == "Service default/weather-ext-svc" })
        #expect(typo.severity == .error)
        #expect(typo.line == 14)
        #expect(typo.field == "spec.type")
        #expect(typo.message.contains("did you mean \"ExternalName\""))
        // A path without a backend drops only its own Ingress.
        let missing = try #require(result.issues.first { $0.object == "Ingress default/broken-ing" })
        #expect(missing.field == "spec.rules[0].http.paths[1].backend")
        #expect(missing.line == 47)
        // A quoted port number is a string, which the API server would refuse.
        let quoted = try #require(result.issues.first { $0.object == "Ingress default/good-ing" })
        #expect(quoted.field == "spec.rules[0].http.paths[0].backend.service.port.number")
        #expect(quoted.message.contains("expected an integer"))
        // Bad YAML loses only its document; v1beta1 Ingress is explained; the ReplicaSet is skipped.
        #expect(messages.contains { $0.contains("seed-typos.yaml:78: error: invalid YAML") })
        #expect(messages.contains { $0.contains("v1beta1 Ingress is no longer served") })
        #expect(result.issues.contains { $0.severity == .info && $0.object == "ReplicaSet default/myweb-rs-named" })
        // What was fine still routes, straight to the endpoint.
        #expect(self.backend(result, "good2.example.com", "/x")?.endpoints == [Endpoint(address: "10.0.0.1", port: 8080)])
        #expect(self.backend(result, "broken.example.com", "/ok") == nil)
    }

    @Test func ingressClassFilter() throws {
        let result = try Self.compile("ingress-class")
        let routes = result.output.snapshot.routes
        #expect(routes.resolve(host: "none.test", path: "/") != nil)  // no class: served
        #expect(routes.resolve(host: "byname.test", path: "/") != nil)  // --ingress-class
        #expect(routes.resolve(host: "bycontroller.test", path: "/") != nil)  // IngressClass with our controller
        #expect(routes.resolve(host: "theirs.test", path: "/") == nil)
        #expect(routes.resolve(host: "legacy.test", path: "/") == nil)
        let ignored = result.output.diagnostics.filter { $0.message.hasPrefix("ignored:") }.compactMap(\.object)
        #expect(Set(ignored) == ["Ingress default/theirs", "Ingress default/legacy-annotation"])

        // A name alone is ours only while no IngressClass of that name says otherwise: the
        // "nginx" IngressClass belongs to ingress-nginx, so --ingress-class nginx does not take it.
        let asNginx = try Self.compile("ingress-class", options: CompileOptions(ingressClass: "nginx"))
        #expect(asNginx.output.snapshot.routes.resolve(host: "legacy.test", path: "/") == nil)
        #expect(asNginx.output.snapshot.routes.resolve(host: "byname.test", path: "/") == nil)
        let asMine = try Self.compile("ingress-class", options: CompileOptions(ingressClass: "mine", controllerName: "other/controller"))
        #expect(asMine.output.snapshot.routes.resolve(host: "bycontroller.test", path: "/") == nil)
    }

    /// In a cluster (no --watch-ingress-without-class), an Ingress without a class is ours only
    /// when one of our IngressClasses is the default.
    @Test func ingressesWithoutClassNeedOurDefaultClass() throws {
        let strict = CompileOptions(watchIngressWithoutClass: false)
        let result = try Self.compile("ingress-class", options: strict)
        #expect(result.output.snapshot.routes.resolve(host: "none.test", path: "/") == nil)
        #expect(result.output.snapshot.routes.resolve(host: "bycontroller.test", path: "/") != nil)
        #expect(result.output.servedIngresses.contains("default/by-controller"))
        #expect(!result.output.servedIngresses.contains("default/no-class"))

        let url = try #require(Bundle.module.url(forResource: "ingress-class", withExtension: "yaml", subdirectory: "Fixtures"))
        var text = try String(contentsOf: url, encoding: .utf8)
        text = text.replacingOccurrences(of: "metadata: {name: mine}", with: "metadata: {name: mine, annotations: {ingressclass.kubernetes.io/is-default-class: \"true\"}}")
        var state = ClusterState()
        for (object, _) in ManifestDecoder.decode(file: "x.yaml", text: text).objects { state.add(object) }
        let withDefault = IngressCompiler.compile(state, options: strict)
        #expect(withDefault.snapshot.routes.resolve(host: "none.test", path: "/") != nil)
        #expect(withDefault.servedIngresses.contains("default/no-class"))
    }

    @Test func oldestIngressWinsAndDefaultBackendAnswersTheRest() throws {
        let result = try Self.compile("merge-and-defaults")
        #expect(self.backend(result, "shared.test", "/api/x")?.ref.service == "old-svc")  // older wins the same Prefix
        #expect(self.backend(result, "shared.test", "/api")?.ref.service == "new-svc")  // Exact beats Prefix
        #expect(self.backend(result, "shared.test", "/new/y")?.ref.service == "new-svc")  // ImplementationSpecific = Prefix
        #expect(self.backend(result, "shared.test", "/zzz")?.ref.service == "default-svc")  // its own host's default
        let conflict = try #require(result.output.diagnostics.first { $0.severity == .warning && $0.object == "Ingress default/newer" })
        #expect(conflict.object == "Ingress default/newer")
        #expect(conflict.message.contains("older Ingress default/older"))
    }

    @Test func defaultBackendsStayWithTheirOwnHosts() throws {
        let result = try Self.compile("merge-and-defaults")
        // A host no rule names gets the catch-all (no rules), not the default of an Ingress with rules.
        #expect(self.backend(result, "other.test", "/")?.ref.service == "catch-svc")
        #expect(self.backend(result, "other.test", "/zzz")?.ref.service == "catch-svc")
        // Another tenant's host: its path, else 404; neither default-svc nor the catch-all.
        #expect(self.backend(result, "tenant.test", "/app/x")?.ref.service == "app")
        #expect(self.backend(result, "tenant.test", "/zzz") == nil)
        // `host: ""` rules answer hosts no rule names; their unmatched paths go on to the catch-all.
        #expect(self.backend(result, "other.test", "/anyhost/x")?.ref.service == "app")
        #expect(self.backend(result, "shared.test", "/anyhost")?.ref.service == "default-svc")  // a named host keeps its own
        #expect(result.output.diagnostics.filter { $0.severity == .error }.isEmpty)  // `host: ""` is not an error
        let loser = try #require(result.output.diagnostics.first { $0.object == "Ingress default/late-catch-all" })
        #expect(loser.severity == .warning)
        #expect(loser.field == "spec.defaultBackend")
        #expect(loser.message.contains("older Ingress default/catch-all is already the catch-all"))
    }

    @Test func endpointsResolveStraightToPods() throws {
        let result = try Self.compile("endpoints")
        #expect(self.backend(result, "e.test", "/named")?.endpoints == [Endpoint(address: "10.1.0.1", port: 8080, podName: "web-1")])
        #expect(self.backend(result, "e.test", "/https-by-name")?.endpoints.map(\.description) == ["10.2.0.1:8443", "10.2.0.3:8443"])
        #expect(self.backend(result, "e.test", "/http-by-number")?.endpoints.map(\.description) == ["10.2.0.1:8080", "10.2.0.3:8080"])
        let missing = try #require(self.backend(result, "e.test", "/missing"))
        #expect(missing.endpoints.isEmpty)
        #expect(missing.unavailableReason == "Service default/nowhere not found")
        #expect(self.backend(result, "e.test", "/wrong-port")?.unavailableReason?.contains("has no port 81") == true)
        #expect(result.output.diagnostics.filter { $0.severity == .warning }.count == 2)
    }
}

struct FixtureResult {
    var output: IngressCompiler.Output
    var issues: [Diagnostic]
}
