import Foundation
import Testing

/// gRPC through the real binary: a real grpcio client and server (`Tests/Tools/grpc_peer.py`,
/// raw-bytes messages, no generated code) with Portico between them, `backend-protocol: GRPC`
/// (h2c to the server) and `GRPCS` (h2 over TLS, ALPN h2): the four stream kinds, a non-OK
/// status with its message, trailers relayed, and Portico's own failures as gRPC statuses.
@Suite(.serialized) struct GRPCTests {
    static let tool = PorticoProcess.repositoryRoot.appendingPathComponent("Tests/Tools/grpc_peer.py").path

    /// A grpcio server on a free port; with `tls`, it serves the development `*.nip.io`
    /// certificate; with `name`, its answers say `served-by: name`; `services` are the service
    /// names its methods answer under; with `log`, it records each Unary and ClientStream call there.
    static func server(tls: Bool = false, name: String? = nil, services: [String] = ["portico.test.Echo"], log: URL? = nil) throws -> PythonProcess {
        let root = PorticoProcess.repositoryRoot
        return try PythonProcess {
            [Self.tool, "serve", "--port", String($0), "--services", services.joined(separator: ",")]
                + (tls ? ["--tls", root.appendingPathComponent("certs/nip-io.crt").path, root.appendingPathComponent("certs/nip-io.key").path] : [])
                + (name.map { ["--name", $0] } ?? []) + (log.map { ["--log", $0.path] } ?? [])
        }
    }

    /// One call through Portico (to `service`'s method `kind`, with `headers` as metadata);
    /// the JSON the client printed.
    static func call(
        _ port: Int, authority: String, tls: Bool = false, timeout: Double = 10, service: String = "portico.test.Echo", headers: [String: String] = [:],
        _ kind: String, _ argument: String = ""
    ) throws -> [String: Any] {
        let trust = tls ? ["--ca", PorticoProcess.repositoryRoot.appendingPathComponent("certs/ca.crt").path] : []
        let metadata = headers.sorted { $0.key < $1.key }.flatMap { ["--header", "\($0.key)=\($0.value)"] }
        let output = try Command.output(
            "/usr/bin/env",
            ["python3", Self.tool, "call", "--target", "127.0.0.1:\(port)", "--authority", authority, "--timeout", String(timeout), "--service", service]
                + trust + metadata + [kind, argument])
        guard let line = output.split(separator: "\n").last,
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { throw HarnessError("grpc_peer call \(kind) printed: \(output)") }
        return object
    }

    /// Rules for `host`: the gRPC Service at `port` (ready on 127.0.0.1) with `protocol`, and a
    /// Service without ready endpoints on `/portico.test.Down/`.
    static func rules(host: String, port: Int, protocol: String, tls: Bool) throws -> RulesDirectory {
        let tlsBlock = tls ? "  tls: [{hosts: [\(host)], secretName: nip-io}]\n" : ""
        return try RulesDirectory([
            "rules.yaml": RulesDirectory.service("grpc", port: port, ready: ["127.0.0.1"])
                + RulesDirectory.service("down", port: port, ready: [], notReady: ["127.0.0.1"])
                + """
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata: {name: grpc, annotations: {nginx.ingress.kubernetes.io/backend-protocol: "\(`protocol`)", nginx.ingress.kubernetes.io/ssl-redirect: "false"}}
                spec:
                \(tlsBlock)  rules:
                    - host: \(host)
                      http:
                        paths:
                          - {path: /, pathType: Prefix, backend: {service: {name: grpc, port: {number: 80}}}}
                          - {path: /portico.test.Down/, pathType: Prefix, backend: {service: {name: down, port: {number: 80}}}}

                """,
        ])
    }

    static func replies(_ result: [String: Any]) -> [String] { result["replies"] as? [String] ?? [] }

    /// The four stream kinds and a non-OK status, through `port`.
    static func exerciseEveryKind(port: Int, authority: String, tls: Bool) throws {
        let unary = try Self.call(port, authority: authority, tls: tls, "Unary", "hello")
        #expect(unary["code"] as? String == "OK", "\(unary)")
        #expect(Self.replies(unary) == ["hello"])
        let trailers = unary["trailers"] as? [String: String] ?? [:]
        #expect(trailers["seen-x-forwarded-for"] == "127.0.0.1", "the server saw a proxied call: \(trailers)")
        #expect(trailers["seen-x-custom"] == "one")
        let server = try Self.call(port, authority: authority, tls: tls, "ServerStream", "5")
        #expect(Self.replies(server) == (0..<5).map { "msg-\($0)" }, "\(server)")
        let client = try Self.call(port, authority: authority, tls: tls, "ClientStream", "a,b,c,d")
        #expect(Self.replies(client) == ["got 4: abcd"], "\(client)")
        let bidi = try Self.call(port, authority: authority, tls: tls, "Bidi", "x,y,z")
        #expect(Self.replies(bidi) == ["X", "Y", "Z"], "\(bidi)")
        let missing = try Self.call(port, authority: authority, tls: tls, "Unary", "missing-thing")
        #expect(missing["code"] as? String == "NOT_FOUND", "\(missing)")
        #expect(missing["message"] as? String == "no such thing: missing-thing")
    }

    @Test func grpcOverH2CToTheServerServesEveryStreamKind() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let rules = try Self.rules(host: "grpc.test", port: server.port, protocol: "GRPC", tls: false)
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        try Self.exerciseEveryKind(port: portico.port, authority: "grpc.test", tls: false)
        // Portico's own failures are gRPC statuses, not HTML.
        let unknown = try Self.call(portico.port, authority: "nobody.test", "Unary", "x")
        #expect(unknown["code"] as? String == "UNIMPLEMENTED", "\(unknown)")
        #expect((unknown["message"] as? String ?? "").contains("404"))
        let downCall = try Command.output(
            "/usr/bin/env",
            ["python3", "-c", """
            import grpc, json
            channel = grpc.insecure_channel("127.0.0.1:\(portico.port)", options=[("grpc.default_authority", "grpc.test")])
            try:
                channel.unary_unary("/portico.test.Down/Unary")(b"x", timeout=10)
                print(json.dumps({"code": "OK"}))
            except grpc.RpcError as error:
                print(json.dumps({"code": error.code().name, "message": error.details()}))
            """])
        #expect(downCall.contains("\"code\": \"UNAVAILABLE\""), "no ready endpoint: \(downCall)")
        #expect(downCall.contains("503"), "\(downCall)")
        // The access log has the calls as HTTP/2.0 POSTs.
        try await Task.sleep(for: .milliseconds(300))
        let log = (try? String(contentsOf: portico.accessLog, encoding: .utf8)) ?? ""
        #expect(log.contains("\"POST /portico.test.Echo/Bidi HTTP/2.0\" 200"), "\(log)")
    }

    @Test func grpcsOverTLSBothWays() async throws {
        let server = try Self.server(tls: true)
        defer { server.stop() }
        let rules = try Self.rules(host: "grpc.nip.io", port: server.port, protocol: "GRPCS", tls: true)
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        // TLS from the client (ALPN h2 on Portico's HTTPS port), TLS to the server (ALPN h2).
        try Self.exerciseEveryKind(port: portico.httpsPort, authority: "grpc.nip.io", tls: true)
        // The same Service without GRPCS would speak HTTP/1.1 to a gRPC server: not this route.
        #expect(!portico.log.contains("TLS handshake failed"), "\(portico.log)")
    }
}
