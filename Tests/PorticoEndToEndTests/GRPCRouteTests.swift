import Foundation
import Testing

/// GRPCRoutes read from files and served by the real binary to a real grpcio client and
/// servers: service and method matches with the spec's precedence, header matches, a
/// RequestHeaderModifier, h2c to the backends, UNAVAILABLE for an unresolved backend,
/// UNIMPLEMENTED for a call no rule matches, and an HTTPS listener (ALPN h2). The model is
/// gateway-api's `conformance/tests/grpcroute-*`.
@Suite(.serialized) struct GRPCRouteTests {
    static func manifests(a: Int, b: Int, shadow: Int) throws -> String {
        let route = "apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\n"
        return RulesDirectory.service("grpc-a", port: a, ready: ["127.0.0.1"]) + RulesDirectory.service("grpc-b", port: b, ready: ["127.0.0.1"])
            + RulesDirectory.service("grpc-shadow", port: shadow, ready: ["127.0.0.1"])
            + (try GatewayAPITests.certificateAndClass()) + """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: rpc}
            spec:
              gatewayClassName: portico
              listeners:
              - {name: h2c, protocol: HTTP, port: 80}
              - {name: h2, protocol: HTTPS, port: 443, hostname: "*.nip.io", tls: {certificateRefs: [{name: gw-cert}]}}
            ---
            \(route)metadata: {name: echo}
            spec:
              parentRefs: [{name: rpc, sectionName: h2c}]
              hostnames: [echo.test]
              rules:
              - matches: [{method: {service: portico.test.Echo, method: Unary}}]
                backendRefs: [{name: grpc-a, port: 80}]
              - matches: [{method: {service: portico.test.Echo}, headers: [{name: x-lane, value: blue}]}]
                backendRefs: [{name: grpc-b, port: 80}]
              - matches: [{method: {service: other.v1.Echo}}]
                filters: [{type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: x-added, value: by-route}]}}]
                backendRefs: [{name: grpc-b, port: 80}]
              - matches: [{method: {service: gone.v1.Echo}}]
                backendRefs: [{name: not-a-service, port: 80}]
              - matches: [{method: {service: shadowed.v1.Echo}}]
                filters: [{type: RequestMirror, requestMirror: {backendRef: {name: grpc-shadow, port: 80}}}]
                backendRefs: [{name: grpc-a, port: 80}]
            ---
            \(route)metadata: {name: secure}
            spec:
              parentRefs: [{name: rpc, sectionName: h2}]
              hostnames: [grpc.nip.io]
              rules: [{backendRefs: [{name: grpc-a, port: 80}]}]

            """
    }

    static func servedBy(_ result: [String: Any]) -> String? { (result["trailers"] as? [String: String])?["served-by"] }

    @Test func callsAreRoutedByServiceMethodAndHeaders() async throws {
        let a = try GRPCTests.server(name: "a", services: ["portico.test.Echo", "other.v1.Echo", "gone.v1.Echo", "shadowed.v1.Echo"])
        defer { a.stop() }
        let b = try GRPCTests.server(name: "b", services: ["portico.test.Echo", "other.v1.Echo"])
        defer { b.stop() }
        let shadowLog = try TemporaryDirectory.make().appendingPathComponent("shadow.jsonl")
        let shadow = try GRPCTests.server(name: "shadow", services: ["shadowed.v1.Echo"], log: shadowLog)
        defer { shadow.stop() }
        let rules = try RulesDirectory(["rpc.yaml": try Self.manifests(a: a.port, b: b.port, shadow: shadow.port)])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let port = portico.port

        // Exact service and method; the same with the header: service and method characters
        // outrank a header match (GRPCRouteRule.matches precedence).
        let unary = try GRPCTests.call(port, authority: "echo.test", "Unary", "hello")
        #expect(unary["code"] as? String == "OK", "\(unary)\n\(portico.log)")
        #expect(GRPCTests.replies(unary) == ["hello"])
        #expect(Self.servedBy(unary) == "a")
        #expect(Self.servedBy(try GRPCTests.call(port, authority: "echo.test", headers: ["x-lane": "blue"], "Unary", "x")) == "a")
        // Any method of the service, with the header; every stream kind crosses.
        let stream = try GRPCTests.call(port, authority: "echo.test", headers: ["x-lane": "blue"], "ServerStream", "3")
        #expect(GRPCTests.replies(stream) == ["msg-0", "msg-1", "msg-2"], "\(stream)")
        #expect(Self.servedBy(stream) == "b")
        let bidi = try GRPCTests.call(port, authority: "echo.test", headers: ["x-lane": "blue"], "Bidi", "p,q")
        #expect(GRPCTests.replies(bidi) == ["P", "Q"], "\(bidi)")
        // Without the header, no rule takes ServerStream: UNIMPLEMENTED, as for an unknown host.
        let unmatched = try GRPCTests.call(port, authority: "echo.test", "ServerStream", "3")
        #expect(unmatched["code"] as? String == "UNIMPLEMENTED", "\(unmatched)")
        // A service-only match with a RequestHeaderModifier.
        let other = try GRPCTests.call(port, authority: "echo.test", service: "other.v1.Echo", "ClientStream", "a,b")
        #expect(GRPCTests.replies(other) == ["got 2: ab"], "\(other)")
        #expect(Self.servedBy(other) == "b")
        #expect((other["trailers"] as? [String: String])?["seen-x-added"] == "by-route", "\(other)")
        // The unresolved backendRef's share is UNAVAILABLE (GRPCRouteRule.backendRefs).
        let gone = try GRPCTests.call(port, authority: "echo.test", service: "gone.v1.Echo", "Unary", "x")
        #expect(gone["code"] as? String == "UNAVAILABLE", "\(gone)")
        #expect((gone["message"] as? String ?? "").contains("503"), "\(gone)")
        // A RequestMirror on a GRPCRoute: the mirror gets each call over h2c as the backends
        // do, a unary and a client stream alike; the answer is the backend's.
        let mirroredUnary = try GRPCTests.call(port, authority: "echo.test", service: "shadowed.v1.Echo", "Unary", "copied")
        #expect(GRPCTests.replies(mirroredUnary) == ["copied"] && Self.servedBy(mirroredUnary) == "a", "\(mirroredUnary)")
        let mirroredStream = try GRPCTests.call(port, authority: "echo.test", service: "shadowed.v1.Echo", "ClientStream", "s,t")
        #expect(GRPCTests.replies(mirroredStream) == ["got 2: st"] && Self.servedBy(mirroredStream) == "a", "\(mirroredStream)")
        #expect(LiveReloadTests.eventually(5) {
            let calls = PythonProcess.jsonLines(shadowLog).map { "\($0["kind"] ?? "") \($0["request"] ?? "")" }
            return calls.contains("Unary copied") && calls.contains("ClientStream st")
        }, "\(PythonProcess.jsonLines(shadowLog))\n\(portico.log)")
        // The HTTPS listener: TLS from the client with ALPN h2, h2c to the server.
        let secure = try GRPCTests.call(portico.httpsPort, authority: "grpc.nip.io", tls: true, "Unary", "over-tls")
        #expect(GRPCTests.replies(secure) == ["over-tls"], "\(secure)")
        #expect(Self.servedBy(secure) == "a")
        // `portico routes` names the GRPCRoute rule each route came from.
        let listing = try Command.output(PorticoProcess.binary.path, ["routes", "--rules", rules.url.path])
        #expect(listing.contains("GRPCRoute default/echo"), "\(listing)")
        #expect(listing.contains("/portico.test.Echo/Unary"), "\(listing)")
    }
}
