import Foundation
import Testing

/// `--enable-ssl-passthrough` with `ssl-passthrough: "true"`, through the real binary: the
/// HTTPS listener reads the ClientHello's SNI, splices the passthrough host's connection to a
/// real HTTPS backend (Python `ssl`, holding the `*.sslip.io` certificate, so its own
/// certificate is the one `openssl s_client` sees), and terminates every other host as usual
/// on the same port.
@Suite(.serialized) struct PassthroughTests {
    static func rules(backendPort: Int) throws -> RulesDirectory {
        try RulesDirectory([
            "rules.yaml": RulesDirectory.service("secure", port: backendPort, ready: ["127.0.0.1"])
                + """
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata: {name: pass, annotations: {nginx.ingress.kubernetes.io/ssl-passthrough: "true"}}
                spec:
                  rules: [{host: pass.nip.io, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: secure, port: {number: 80}}}}]}}]
                ---
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata: {name: terminated}
                spec:
                  tls: [{hosts: [term.nip.io], secretName: nip-io}]
                  rules: [{host: term.nip.io, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: secure, port: {number: 80}}}}]}}]

                """,
        ])
    }

    static func backend() throws -> PythonProcess {
        let root = PorticoProcess.repositoryRoot
        return try PythonProcess {
            [
                root.appendingPathComponent("Tests/Tools/https_backend.py").path, "--port", String($0),
                "--cert", root.appendingPathComponent("certs/sslip-io.crt").path, "--key", root.appendingPathComponent("certs/sslip-io.key").path,
                "--max-tls", "1.3",
            ]
        }
    }

    @Test func passthroughHostsReachTheirBackendsOwnTLS() async throws {
        let backend = try Self.backend()
        defer { backend.stop() }
        let rules = try Self.rules(backendPort: backend.port)
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--enable-ssl-passthrough"])
        defer { portico.terminate() }
        // The backend's own certificate answers for the passthrough host…
        let passed = try OpenSSLClient.connect(port: portico.httpsPort, serverName: "pass.nip.io")
        #expect(passed.subject == "CN = *.sslip.io", "\(passed.output)")
        // …and Portico's for every other host on the same port.
        let terminated = try OpenSSLClient.connect(port: portico.httpsPort, serverName: "term.nip.io")
        #expect(terminated.subject == "CN = *.nip.io", "\(terminated.output)")
        let other = try OpenSSLClient.connect(port: portico.httpsPort, serverName: "unknown.example")
        #expect(other.subject == "CN = Portico Default Certificate")
        // A whole HTTPS exchange with the backend through the splice: it saw the client's SNI.
        let through = try Curl.run(["-k", "--resolve", "pass.nip.io:\(portico.httpsPort):127.0.0.1", "https://pass.nip.io:\(portico.httpsPort)/spliced"])
        #expect(through.status == 200)
        #expect(through.body.contains("path: /spliced"), "\(through.body)")
        #expect(through.body.contains("sni: pass.nip.io"))
        // Several at once, and a big download does not matter to the splice: bytes go as they come.
        for index in 0..<5 {
            let again = try Curl.run(["-k", "--resolve", "pass.nip.io:\(portico.httpsPort):127.0.0.1", "https://pass.nip.io:\(portico.httpsPort)/\(index)"])
            #expect(again.body.contains("path: /\(index)"))
        }
    }

    @Test func withoutTheFlagTheAnnotationIsIgnoredWithAWarning() async throws {
        let backend = try Self.backend()
        defer { backend.stop() }
        let rules = try Self.rules(backendPort: backend.port)
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let terminated = try OpenSSLClient.connect(port: portico.httpsPort, serverName: "pass.nip.io")
        #expect(terminated.subject == "CN = Portico Default Certificate", "\(terminated.output)")
        #expect(portico.log.contains("ignored without --enable-ssl-passthrough"), "\(portico.log)")
    }
}
