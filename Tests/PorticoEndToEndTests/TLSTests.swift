import Foundation
import PorticoDemoBackend
import Testing

/// TLS on the real binary: SNI selection, refused protocols, broken certificates, big bodies.
@Suite(.serialized) struct TLSTests {
    @Test func eachServerNameGetsItsCertificate() throws {
        let root = PorticoProcess.repositoryRoot
        let portico = try PorticoProcess(rules: root.appendingPathComponent("ingress-rules"), workingDirectory: root)
        defer { portico.terminate() }
        let expectations: [(String?, String)] = [
            ("192-168-100-100.nip.io", "CN = *.nip.io"),  // wildcard, RSA, from certs/nip-io.crt
            ("x.sslip.io", "CN = *.sslip.io"),  // ECDSA
            ("www.jeonj.xyz", "CN = *.jeonj.xyz"),  // certs/default/jeonj-tls/tls.crt
            ("WWW.JEONJ.XYZ.", "CN = *.jeonj.xyz"),  // case and trailing dot ignored
            ("unknown.example", "CN = Portico Default Certificate"),  // certs/default.crt
            (nil, "CN = Portico Default Certificate"),  // no SNI
        ]
        for (name, subject) in expectations {
            let result = try OpenSSLClient.connect(port: portico.httpsPort, serverName: name)
            #expect(result.subject == subject, "\(name ?? "no SNI")")
            #expect(result.output.contains("Verify return code: 0 (ok)"), "\(name ?? "no SNI") chains to certs/ca.crt")
        }
        let alpn = try OpenSSLClient.connect(port: portico.httpsPort, serverName: "a.nip.io", extra: ["-alpn", "h2,http/1.1"])
        #expect(alpn.output.contains("ALPN protocol: h2"))
    }

    @Test func oldProtocolsAndPlainHTTPAreRefusedOneConnectionAtATime() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.40.1"])
        let portico = proxy.portico
        for version in ["-tls1", "-tls1_1"] {
            let result = try OpenSSLClient.connect(port: portico.httpsPort, serverName: "a.test", extra: [version])
            #expect(result.subject == nil, "\(version) must not complete a handshake")
        }
        let tls12 = try OpenSSLClient.connect(port: portico.httpsPort, serverName: "a.test", extra: ["-tls1_2"])
        #expect(tls12.output.contains("Protocol  : TLSv1.2") || tls12.output.contains("TLSv1.2"))
        // Plain HTTP on the TLS port: that connection is closed, nothing else is affected.
        let plain = try RawHTTP.exchange(port: portico.httpsPort, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", timeout: 3)
        #expect(!plain.contains("HTTP/1.1 200"))
        #expect(try proxy.curl.get("a.test", "/", ["-k"], tls: true).status == 200)
        #expect(portico.log.contains("TLS handshake failed"))
        await proxy.stop()
    }

    /// Most clients close without close_notify. OpenSSL evicts the session of a connection freed
    /// without a shutdown (`ssl_clear_bad_session`), and OpenSSL 3 counts such an EOF as fatal;
    /// nginx marks these connections quietly shut down and keeps the session. Ten TLS 1.2
    /// connections in a row, closed by the client with a bare FIN, resume by session ID from the
    /// cache, with and without a request (nginx: 10 of 10; Portico was 0 and 1).
    @Test func tls12SessionsResumeAfterAnUncleanClose() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.40.2"])
        let script = """
            import socket, ssl, sys
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            ctx.options |= ssl.OP_NO_TICKET  # session-ID resumption only
            for request in [False, True]:
                session, reused = None, 0
                for _ in range(10):
                    raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                    tls = ctx.wrap_socket(raw, server_hostname="a.test", session=session)
                    if request:
                        tls.sendall(b"GET / HTTP/1.1\\r\\nHost: a.test\\r\\n\\r\\n")
                        tls.recv(65536)
                    reused += tls.session_reused
                    session = tls.session
                    tls.close()  # a FIN without close_notify
                print(reused)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, "\(proxy.portico.httpsPort)"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(text.split(separator: "\n") == ["9", "9"], "resumed (handshake only, after a request): \(text)")
        // Key exchange groups: X25519, P-256, P-384 only (Mozilla intermediate).
        let x448 = try OpenSSLClient.connect(port: proxy.portico.httpsPort, serverName: "a.test", extra: ["-groups", "X448:secp521r1"])
        #expect(x448.subject == nil)
        let x25519 = try OpenSSLClient.connect(port: proxy.portico.httpsPort, serverName: "a.test", extra: ["-groups", "X25519"])
        #expect(x25519.subject != nil)
        await proxy.stop()
    }

    @Test func secretsBrokenCertificatesAndTheDefaultFallback() async throws {
        let backends = try await TestBackends(addresses: ["127.0.41.1"], page: "x")
        let certs = PorticoProcess.repositoryRoot.appendingPathComponent("certs")
        func base64(_ file: String) throws -> String {
            try Data(contentsOf: certs.appendingPathComponent(file)).base64EncodedString()
        }
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.41.1"]) + """
                apiVersion: v1
                kind: Secret
                metadata: {name: sslip-secret}
                type: kubernetes.io/tls
                data: {tls.crt: \(try base64("sslip-io.crt")), tls.key: \(try base64("sslip-io.key"))}
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: mismatched}
                type: kubernetes.io/tls
                data: {tls.crt: \(try base64("nip-io.crt")), tls.key: \(try base64("sslip-io.key"))}
                ---
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata: {name: tls}
                spec:
                  tls:
                    - {hosts: ["*.sslip.io"], secretName: sslip-secret}
                    - {hosts: ["*.nip.io"], secretName: mismatched}
                    - {hosts: [missing.test], secretName: nowhere}
                  rules:
                    - {host: "*.sslip.io", http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc, port: {number: 80}}}}]}}
                    - {host: "*.nip.io", http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc, port: {number: 80}}}}]}}
                    - {host: missing.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc, port: {number: 80}}}}]}}
                """,
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        // From a Secret (base64 as Kubernetes stores it).
        #expect(try OpenSSLClient.connect(port: portico.httpsPort, serverName: "a.sslip.io").subject == "CN = *.sslip.io")
        // A key that does not belong to its certificate: a diagnostic naming the Secret, and the
        // default certificate for that host; a missing Secret likewise.
        #expect(try OpenSSLClient.connect(port: portico.httpsPort, serverName: "a.nip.io").subject == "CN = Portico Default Certificate")
        #expect(portico.log.contains("Secret default/mismatched"))
        #expect(portico.log.contains("keyMismatch"))
        #expect(portico.log.contains("Secret default/nowhere not found"))
        // Still TLS hosts: plain HTTP is redirected for all three.
        #expect(try Curl(port: portico.port, httpsPort: portico.httpsPort).get("missing.test", "/").status == 308)
        await backends.stop()
    }

    @Test func certificatesSwapLiveWithoutDroppingConnections() async throws {
        let repository = PorticoProcess.repositoryRoot.appendingPathComponent("certs")
        let certs = try TemporaryDirectory.make()
        for file in ["default.crt", "default.key"] {
            try FileManager.default.copyItem(at: repository.appendingPathComponent(file), to: certs.appendingPathComponent(file))
        }
        let backends = try await TestBackends(addresses: ["127.0.43.1"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.43.1"])
                + RulesDirectory.ingress("ing", host: nil, paths: [("/", "Prefix", "svc")]),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--watch-interval", "100"], certs: certs)
        defer { portico.terminate() }
        #expect(try OpenSSLClient.connect(port: portico.httpsPort, serverName: "any.test").subject == "CN = Portico Default Certificate")
        let client = KeepAliveClient(port: portico.port)
        #expect(client.get(host: "k.test", path: "/")?.status == 200)

        // Replace the default certificate on disk: new handshakes get the new one.
        for (source, target) in [("nip-io.key", "default.key"), ("nip-io.crt", "default.crt")] {
            let data = try Data(contentsOf: repository.appendingPathComponent(source))
            try data.write(to: certs.appendingPathComponent(target), options: .atomic)
        }
        #expect(try LiveReloadTests.eventually(3) {
            try OpenSSLClient.connect(port: portico.httpsPort, serverName: "any.test").subject == "CN = *.nip.io"
        })
        // The keep-alive connection opened before the swap still works.
        #expect(client.get(host: "k.test", path: "/")?.status == 200)
        await backends.stop()
    }

    @Test func aHundredMebibytesOverTLS() async throws {
        let file = try StreamingTests.patternFile()
        let expectedHash = String(try Data(contentsOf: file).withUnsafeBytes { DemoPattern.fnv1a($0) }, radix: 16)
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.42.1"], annotations: ["proxy-body-size": "0"])
        let upload = try proxy.curl.get("t.test", "/upload", ["-k", "--data-binary", "@\(file.path)"], tls: true)
        #expect(upload.report["body-bytes"] == String(StreamingTests.size))
        #expect(upload.report["body-fnv1a"] == expectedHash)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("portico-tls-download-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let download = try Curl.run(
            ["-k", "--resolve", "t.test:\(proxy.portico.httpsPort):127.0.0.1", "https://t.test:\(proxy.portico.httpsPort)/__download/\(StreamingTests.size)"],
            output: output)
        #expect(download.exitCode == 0)
        #expect((try? FileManager.default.attributesOfItem(atPath: output.path)[.size] as? Int) == StreamingTests.size)
        await proxy.stop()
    }
}
