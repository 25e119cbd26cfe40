import Foundation
import Testing

/// `backend-protocol: HTTPS` through the real binary to a real HTTPS backend (Python's `ssl`)
/// holding the development `*.nip.io` certificate (RSA, TLS 1.2 at most): unverified by default (nginx's
/// `proxy_ssl_verify off`, no SNI), verified against `proxy-ssl-secret`'s CA with the name and
/// SNI the annotations give, and a CA that does not sign the backend's certificate: 502, with
/// a log line naming the server.
@Suite(.serialized) struct UpstreamTLSTests {
    /// A `proxy-ssl-secret`: `ca.crt`, and `tls.crt`/`tls.key` when a client certificate is given.
    static func secret(_ name: String, ca: URL, client: (certificate: URL, key: URL)? = nil) throws -> String {
        var data = ["ca.crt: \(try Data(contentsOf: ca).base64EncodedString())"]
        if let client {
            data.append("tls.crt: \(try Data(contentsOf: client.certificate).base64EncodedString())")
            data.append("tls.key: \(try Data(contentsOf: client.key).base64EncodedString())")
        }
        return "apiVersion: v1\nkind: Secret\nmetadata: {name: \(name)}\ndata: {\(data.joined(separator: ", "))}\n---\n"
    }

    /// A client certificate `CN=<name>` (default `portico-client`) signed by `ca` (default the
    /// development CA) with openssl.
    static func clientCertificate(in directory: URL, name: String = "portico-client", ca: (certificate: URL, key: URL)? = nil) throws -> (certificate: URL, key: URL) {
        let root = PorticoProcess.repositoryRoot
        let key = directory.appendingPathComponent("\(name).key")
        let request = directory.appendingPathComponent("\(name).csr")
        let certificate = directory.appendingPathComponent("\(name).crt")
        _ = try Command.output("/usr/bin/openssl", [
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=\(name)",
            "-keyout", key.path, "-out", request.path,
        ])
        let signer = ca ?? (root.appendingPathComponent("certs/ca.crt"), root.appendingPathComponent("certs/ca.key"))
        _ = try Command.output("/usr/bin/openssl", [
            "x509", "-req", "-in", request.path, "-CA", signer.certificate.path,
            "-CAkey", signer.key.path, "-set_serial", "4242", "-days", "2", "-out", certificate.path,
        ])
        return (certificate, key)
    }

    /// A CA of its own (openssl), which signed nothing the backend holds.
    static func otherCA(in directory: URL) throws -> URL {
        let certificate = directory.appendingPathComponent("other-ca.crt")
        _ = try Command.output("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=Other CA",
            "-keyout", directory.appendingPathComponent("other-ca.key").path, "-out", certificate.path,
        ])
        return certificate
    }

    /// The backend, TLS 1.2 at most unless `maxTLS` says otherwise.
    /// With `clientCA`, it requires a client certificate signed by it.
    static func backend(maxTLS: String = "1.2", clientCA: String? = nil) throws -> PythonProcess {
        let root = PorticoProcess.repositoryRoot
        return try PythonProcess {
            [
                root.appendingPathComponent("Tests/Tools/https_backend.py").path, "--port", String($0),
                "--cert", root.appendingPathComponent("certs/nip-io.crt").path, "--key", root.appendingPathComponent("certs/nip-io.key").path,
                "--max-tls", maxTLS,
            ] + (clientCA.map { ["--client-ca", root.appendingPathComponent($0).path] } ?? [])
        }
    }

    /// `proxy-ssl-secret` with `tls.crt`/`tls.key`: Portico presents that certificate to a
    /// backend that requires one; without it the backend refuses the handshake (502).
    @Test func theSecretsClientCertificateIsPresented() throws {
        let backend = try Self.backend(clientCA: "certs/ca.crt")
        defer { backend.stop() }
        let directory = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: directory) }
        let ca = PorticoProcess.repositoryRoot.appendingPathComponent("certs/ca.crt")
        let annotations = ["backend-protocol": "HTTPS", "proxy-ssl-verify": "on", "proxy-ssl-name": "app.nip.io"]
        let rules = try RulesDirectory([
            "app.yaml": RulesDirectory.service("app", port: backend.port, ready: ["127.0.0.1"])
                + Self.secret("mutual", ca: ca, client: try Self.clientCertificate(in: directory)) + Self.secret("ca-only", ca: ca)
                + RulesDirectory.ingress(
                    "mutual", host: "mutual.test", paths: [("/", "Prefix", "app")],
                    annotations: annotations.merging(["proxy-ssl-secret": "mutual"]) { _, new in new })
                + RulesDirectory.ingress(
                    "anonymous", host: "anonymous.test", paths: [("/", "Prefix", "app")],
                    annotations: annotations.merging(["proxy-ssl-secret": "ca-only"]) { _, new in new }),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        let mutual = try curl.get("mutual.test", "/")
        #expect(mutual.status == 200, "\(portico.log)")
        #expect(mutual.report["client"] == "portico-client")
        #expect(try curl.get("anonymous.test", "/").status == 502)
    }

    /// With no idle pool (`upstream-keepalive-connections: 0`) every request opens a
    /// connection; after the first, each resumes the endpoint's last session — the TLS 1.2
    /// handshake's, or a TLS 1.3 ticket.
    @Test(arguments: ["1.2", "1.3"])
    func newConnectionsResumeTheEndpointsSession(maxTLS: String) throws {
        let backend = try Self.backend(maxTLS: maxTLS)
        defer { backend.stop() }
        let rules = try RulesDirectory([
            "app.yaml": RulesDirectory.service("app", port: backend.port, ready: ["127.0.0.1"])
                + RulesDirectory.ingress("tls", host: "tls.test", paths: [("/", "Prefix", "app")], annotations: ["backend-protocol": "HTTPS"]),
            "settings.yaml": ControllerSettingsTests.configMap(["upstream-keepalive-connections": "0"]),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ControllerSettingsTests.arguments)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        var reused: [String] = []
        for _ in 0..<4 {
            let response = try curl.get("tls.test", "/")
            #expect(response.status == 200)
            reused.append(response.report["reused"] ?? "?")
        }
        #expect(reused == ["False", "True", "True", "True"], "\(reused)")
    }

    @Test func httpsBackendsUnverifiedVerifiedAndRefused() throws {
        let root = PorticoProcess.repositoryRoot
        let backend = try Self.backend()
        defer { backend.stop() }
        let directory = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: directory) }
        let verified = [
            "backend-protocol": "HTTPS", "proxy-ssl-secret": "upstream-ca", "proxy-ssl-verify": "on", "proxy-ssl-name": "app.nip.io",
            "proxy-ssl-server-name": "on",
        ]
        let rules = try RulesDirectory([
            "app.yaml": RulesDirectory.service("app", port: backend.port, ready: ["127.0.0.1"])
                + Self.secret("upstream-ca", ca: root.appendingPathComponent("certs/ca.crt"))
                + Self.secret("other-ca", ca: try Self.otherCA(in: directory))
                + RulesDirectory.ingress("plain", host: "plain.test", paths: [("/", "Prefix", "app")])
                + RulesDirectory.ingress("plain-tls", host: "unverified.test", paths: [("/", "Prefix", "app")], annotations: ["backend-protocol": "https"])
                + RulesDirectory.ingress("verified", host: "verified.test", paths: [("/", "Prefix", "app")], annotations: verified)
                + RulesDirectory.ingress(
                    "wrong-ca", host: "wrong.test", paths: [("/", "Prefix", "app")],
                    annotations: verified.merging(["proxy-ssl-secret": "other-ca"]) { _, new in new })
                + RulesDirectory.ingress(
                    "tls13-only", host: "tls13.test", paths: [("/", "Prefix", "app")],
                    annotations: verified.merging(["proxy-ssl-protocols": "TLSv1.3"]) { _, new in new })
                + RulesDirectory.ingress(
                    "ecdsa-only", host: "ecdsa.test", paths: [("/", "Prefix", "app")],
                    annotations: verified.merging(["proxy-ssl-ciphers": "ECDHE-ECDSA-AES128-GCM-SHA256"]) { _, new in new })
                + RulesDirectory.ingress(
                    "rsa-gcm", host: "rsa.test", paths: [("/", "Prefix", "app")],
                    annotations: verified.merging(["proxy-ssl-ciphers": "ECDHE-RSA-AES128-GCM-SHA256", "proxy-ssl-protocols": "TLSv1.2 TLSv1.3"]) { _, new in new })
                + RulesDirectory.ingress(
                    "wrong-name", host: "name.test", paths: [("/", "Prefix", "app")],
                    annotations: verified.merging(["proxy-ssl-name": "app.example.com"]) { _, new in new }),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)

        // Unverified, no SNI (nginx's proxy_ssl_server_name off); the body came over TLS.
        let unverified = try curl.get("unverified.test", "/items?x=1")
        #expect(unverified.status == 200, "\(portico.log)")
        #expect(unverified.body.contains("path: /items?x=1"))
        #expect(unverified.body.contains("sni: -"))
        // Verified against the Secret's CA, the name covered by *.nip.io, sent as SNI; the
        // pooled connection serves the next request too.
        for _ in 0..<3 {
            let response = try curl.get("verified.test", "/")
            #expect(response.status == 200, "\(portico.log)")
            #expect(response.body.contains("sni: app.nip.io"))
        }
        // The same Service without backend-protocol speaks plain HTTP to the TLS port (502): it
        // is another backend, and never takes the pooled TLS connections.
        #expect(try curl.get("plain.test", "/").status == 502)
        // A CA that did not sign the backend's certificate, and a name it does not cover: 502.
        let wrong = try curl.get("wrong.test", "/")
        #expect(wrong.status == 502, "\(wrong.status) \(wrong.body) \(portico.log)")
        #expect(try curl.get("name.test", "/").status == 502)
        // proxy-ssl-protocols and -ciphers: TLS 1.3 only, or an ECDSA suite, cannot reach this
        // TLS 1.2, RSA backend; an RSA suite can.
        #expect(try curl.get("tls13.test", "/").status == 502)
        #expect(try curl.get("ecdsa.test", "/").status == 502)
        #expect(try curl.get("rsa.test", "/").status == 200)
        #expect(LiveReloadTests.eventually(3) { portico.log.contains("TLS handshake failed") && portico.log.contains("app.example.com") }, "\(portico.log)")
    }
}
