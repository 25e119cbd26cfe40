import PorticoConfig
import PorticoDiagnostics
import PorticoKube
import PorticoRouting
import Testing

/// GRPCRoutes compiled into the routing table, without sockets: service and method matches as
/// paths, the spec's precedence, UNAVAILABLE for unresolved backends, the HTTPRoute conflict
/// rule, and the CRD's validation naming the field.
@Suite struct GRPCRouteCompilerTests {
    static let route = "apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\n"

    static func compile(_ text: String) -> (output: IngressCompiler.Output, issues: [Diagnostic]) {
        GatewayCompilerTests.compile(text)
    }

    static func call(_ output: IngressCompiler.Output, _ host: String, _ path: String, headers: [String: String] = [:]) -> SimulatedOutcome {
        GatewayCompilerTests.run(output, "POST http://\(host)\(path)", headers: headers)
    }

    @Test func serviceAndMethodMatchTheCallPath() {
        let (output, issues) = Self.compile("""
            \(Self.route)metadata: {name: calls}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [g.test]
              rules:
              - matches: [{method: {service: shop.v1.Cart, method: Add}}]
                backendRefs: [{name: a, port: 80}]
              - matches: [{method: {service: shop.v1.Cart}}]
                backendRefs: [{name: b, port: 80}]
              - matches: [{method: {method: Health}}]
                backendRefs: [{name: a, port: 80}]
              - matches: [{method: {type: RegularExpression, service: "shop\\\\.v[0-9]+\\\\.Orders", method: "List.*"}}]
                backendRefs: [{name: b, port: 80}]
            """)
        #expect(issues.isEmpty)
        #expect(output.diagnostics.filter { $0.severity == .error }.isEmpty)
        #expect(Self.call(output, "g.test", "/shop.v1.Cart/Add").service == "default/a:80")
        #expect(Self.call(output, "g.test", "/shop.v1.Cart/Remove").service == "default/b:80")
        #expect(Self.call(output, "g.test", "/shop.v1.CartX/Remove").status == 404)  // whole segments
        #expect(Self.call(output, "g.test", "/any.Service/Health").service == "default/a:80")
        #expect(Self.call(output, "g.test", "/shop.v2.Orders/ListAll").service == "default/b:80")
        #expect(Self.call(output, "g.test", "/shop.v2.Orders/Get").status == 404)
        #expect(Self.call(output, "g.test", "/unknown.Svc/Call").status == 404)  // UNIMPLEMENTED to a gRPC client
        // Backends speak HTTP/2 with prior knowledge, as gRPC servers do.
        #expect(Self.call(output, "g.test", "/shop.v1.Cart/Add").backend?.http2 == true)
        let listed = output.snapshot.routes.listed.filter { $0.host == "g.test" }
        #expect(!listed.isEmpty && listed.allSatisfy { $0.route.source.listingName == "GRPCRoute default/calls" })
    }

    @Test func precedenceIsServiceThenMethodThenHeaders() {
        // A service-only match (more service characters) beats an older method-only match; among
        // equal services and methods, more header matches win; then the older route.
        let (output, _) = Self.compile("""
            \(Self.route)metadata: {name: methods, creationTimestamp: "2026-01-01T00:00:00Z"}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [p.test]
              rules:
              - matches: [{method: {method: Get}}]
                backendRefs: [{name: a, port: 80}]
              - matches: [{method: {service: pkg.Svc, method: Put}}]
                backendRefs: [{name: a, port: 80}]
            ---
            \(Self.route)metadata: {name: services, creationTimestamp: "2026-02-01T00:00:00Z"}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [p.test]
              rules:
              - matches: [{method: {service: pkg.Svc}}]
                backendRefs: [{name: b, port: 80}]
              - matches: [{method: {service: pkg.Svc, method: Put}, headers: [{name: x-lane, value: blue}]}]
                backendRefs: [{name: b, port: 80}]
            """)
        #expect(Self.call(output, "p.test", "/pkg.Svc/Get").service == "default/b:80")
        #expect(Self.call(output, "p.test", "/other.Svc/Get").service == "default/a:80")
        #expect(Self.call(output, "p.test", "/pkg.Svc/Put").service == "default/a:80")  // a method beats none
        #expect(Self.call(output, "p.test", "/pkg.Svc/Put", headers: ["X-Lane": "blue"]).service == "default/b:80")
    }

    @Test func unresolvedBackendsAnswerUnavailable() {
        let (output, _) = Self.compile("""
            \(Self.route)metadata: {name: broken}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [u.test]
              rules:
              - matches: [{method: {service: a.Missing}}]
                backendRefs: [{name: ghost, port: 80}]
              - matches: [{method: {service: a.Empty}}]
            """)
        #expect(Self.call(output, "u.test", "/a.Missing/Call").status == 503)
        #expect(Self.call(output, "u.test", "/a.Empty/Call").status == 503)
        let parents = output.gatewayStatus.grpcRoutes["default/broken"]?.first?.conditions ?? []
        #expect(parents.map { "\($0.type) \($0.status) \($0.reason)" } == ["Accepted true Accepted", "ResolvedRefs false BackendNotFound"])
        #expect(output.diagnostics.contains { $0.object == "GRPCRoute default/broken" && $0.message.contains("UNAVAILABLE") })
    }

    @Test func anHTTPRouteAndAGRPCRouteDoNotShareAHostname() {
        // The older (the HTTPRoute) is accepted; the GRPCRoute is refused on that listener, and
        // still attaches where its hostname does not intersect.
        let (output, _) = Self.compile("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: web, creationTimestamp: "2026-01-01T00:00:00Z"}
            spec:
              parentRefs: [{name: gw}]
              hostnames: ["*.shared.test"]
              rules: [{backendRefs: [{name: a, port: 80}]}]
            ---
            \(Self.route)metadata: {name: rpc, creationTimestamp: "2026-02-01T00:00:00Z"}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [api.shared.test]
              rules: [{backendRefs: [{name: b, port: 80}]}]
            ---
            \(Self.route)metadata: {name: alone, creationTimestamp: "2026-03-01T00:00:00Z"}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [rpc.test]
              rules: [{backendRefs: [{name: b, port: 80}]}]
            """)
        #expect(Self.call(output, "api.shared.test", "/pkg.Svc/M").service == "default/a:80")
        let refused = output.gatewayStatus.grpcRoutes["default/rpc"]?.first?.conditions.first
        #expect(refused?.status == false)
        #expect(refused?.reason == "NotAllowedByListeners")
        #expect(refused?.message.contains("HTTPRoute default/web") == true)
        #expect(output.gatewayStatus.httpRoutes["default/web"]?.first?.conditions.first?.status == true)
        #expect(output.gatewayStatus.grpcRoutes["default/alone"]?.first?.conditions.first?.status == true)
        #expect(Self.call(output, "rpc.test", "/pkg.Svc/M").service == "default/b:80")
        let listener = output.gatewayStatus.gateways["default/gw"]?.listeners.first
        #expect(listener?.supportedKinds == ["HTTPRoute", "GRPCRoute"])
        #expect(listener?.attachedRoutes == 2)
    }

    @Test func listenerKindsNarrowWhatAttaches() {
        let (output, _) = Self.compile("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: rpc-only}
            spec:
              gatewayClassName: portico
              listeners: [{name: h2c, protocol: HTTP, port: 8080, allowedRoutes: {kinds: [{kind: GRPCRoute}, {kind: TCPRoute}]}}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: web}
            spec:
              parentRefs: [{name: rpc-only}]
              hostnames: [k.test]
              rules: [{backendRefs: [{name: a, port: 80}]}]
            ---
            \(Self.route)metadata: {name: rpc}
            spec:
              parentRefs: [{name: rpc-only}]
              hostnames: [k.test]
              rules: [{backendRefs: [{name: b, port: 80}]}]
            """)
        let listener = output.gatewayStatus.gateways["default/rpc-only"]?.listeners.first
        #expect(listener?.supportedKinds == ["GRPCRoute"])
        #expect(listener?.conditions.first { $0.type == "ResolvedRefs" }.map { "\($0.status) \($0.reason)" } == "false InvalidRouteKinds")
        #expect(output.gatewayStatus.httpRoutes["default/web"]?.first?.conditions.first?.reason == "NotAllowedByListeners")
        #expect(Self.call(output, "k.test", "/a.B/C").service == "default/b:80")
    }

    @Test func decodingRefusesWhatTheCRDRefuses() {
        let cases: [(spec: String, field: String, text: String)] = [
            ("rules: [{matches: [{method: {type: Exact}}]}]", "spec.rules[0].matches[0].method", "one or both of 'service' or 'method'"),
            ("rules: [{matches: [{method: {service: \"a/b\"}}]}]", "spec.rules[0].matches[0].method.service", "not a gRPC service name"),
            ("rules: [{matches: [{method: {service: a.B, method: \"1x\"}}]}]", "spec.rules[0].matches[0].method.method", "not a gRPC method name"),
            ("rules: [{matches: [{method: {type: Prefix, service: a}}]}]", "spec.rules[0].matches[0].method.type", "must be Exact or RegularExpression"),
            ("rules: [{filters: [{type: URLRewrite, urlRewrite: {}}]}]", "spec.rules[0].filters[0].type", "must be RequestHeaderModifier"),
            ("rules: [{backendRefs: [{name: a, port: 80, weight: -1}]}]", "spec.rules[0].backendRefs[0].weight", "between 0 and 1000000"),
        ]
        for item in cases {
            let (_, issues) = Self.compile("\(Self.route)metadata: {name: bad}\nspec:\n  parentRefs: [{name: gw}]\n  \(item.spec)\n")
            #expect(issues.contains { $0.field == item.field && $0.message.contains(item.text) }, "\(item.spec): \(issues.map { "\($0.field ?? "") \($0.message)" })")
        }
    }
}
