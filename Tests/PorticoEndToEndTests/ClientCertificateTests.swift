import Foundation
import Testing

/// `auth-tls-*` through the real binary with curl `--cert` and `openssl s_client`: per host on
/// the shared HTTPS listener (the CA chosen with the certificate by SNI), nginx's statuses
/// (400 without or with a refused certificate, 403 for a subject `auth-tls-match-cn` refuses,
/// 302 to `auth-tls-error-page`) and the `ssl-client-*` fields upstream.
@Suite(.serialized) struct ClientCertificateTests {
    static func secret(_ name: String, ca: URL) throws -> String {
        "apiVersion: v1\nkind: Secret\nmetadata: {name: \(name)}\ndata: {ca.crt: \(try Data(contentsOf: ca).base64EncodedString())}\n---\n"
    }

    /// An Ingress for `host` with TLS (the development `*.nip.io` certificate) and `annotations`.
    static func ingress(_ name: String, host: String, annotations: [String: String]) -> String {
        """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: \(name), annotations: {\(annotations.sorted { $0.key < $1.key }.map { "nginx.ingress.kubernetes.io/\($0.key): \"\($0.value)\"" }.joined(separator: ", "))}}
        spec:
          tls: [{hosts: [\(host)], secretName: nip-io}]
          rules: [{host: \(host), http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: svc, port: {number: 80}}}}]}}]
        ---

        """
    }

    /// `openssl x509 -noout -<which> -nameopt RFC2253` without its `subject=`/`issuer=` prefix.
    static func distinguishedName(_ certificate: URL, _ which: String) throws -> String {
        let line = try Command.output("/usr/bin/openssl", ["x509", "-in", certificate.path, "-noout", "-\(which)", "-nameopt", "RFC2253"])
        return String(line.drop { $0 != "=" }.dropFirst()).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func clientCertificatesPerHostOnTheSharedListener() async throws {
        let root = PorticoProcess.repositoryRoot
        let directory = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: directory) }
        let client = try UpstreamTLSTests.clientCertificate(in: directory)  // CN=portico-client, by the development CA
        let otherCA = try UpstreamTLSTests.otherCA(in: directory)
        let strangerPair = try UpstreamTLSTests.clientCertificate(
            in: directory, name: "stranger", ca: (otherCA, directory.appendingPathComponent("other-ca.key")))  // the other CA signed it
        let stranger = strangerPair.certificate
        let strangerKey = strangerPair.key

        let backends = try await TestBackends(addresses: ["127.0.90.1"], page: "x")
        let rules = try RulesDirectory([
            "rules.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.90.1"])
                + Self.secret("client-ca", ca: root.appendingPathComponent("certs/ca.crt"))
                + Self.ingress("strict", host: "strict.nip.io", annotations: [
                    "auth-tls-secret": "default/client-ca", "auth-tls-pass-certificate-to-upstream": "true",
                ])
                + Self.ingress("optional", host: "optional.nip.io", annotations: [
                    "auth-tls-secret": "client-ca", "auth-tls-verify-client": "optional",
                ])
                + Self.ingress("named", host: "named.nip.io", annotations: [
                    "auth-tls-secret": "client-ca", "auth-tls-match-cn": "CN=somebody-else",
                ])
                + Self.ingress("paged", host: "paged.nip.io", annotations: [
                    "auth-tls-secret": "client-ca", "auth-tls-error-page": "https://login.example.com/certificate",
                ])
                + Self.ingress("open", host: "open.nip.io", annotations: [:])
                + Self.ingress("broken", host: "broken.nip.io", annotations: ["auth-tls-secret": "no-such-secret"]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port, httpsPort: portico.httpsPort)
        let withCertificate = ["--cert", client.certificate.path, "--key", client.key.path]

        // The handshake of an auth-tls host names the CA; other hosts ask for nothing.
        let asked = try OpenSSLClient.connect(port: portico.httpsPort, serverName: "strict.nip.io")
        #expect(asked.output.contains("Acceptable client certificate CA names"), "\(asked.output)")
        let notAsked = try OpenSSLClient.connect(port: portico.httpsPort, serverName: "open.nip.io")
        #expect(notAsked.output.contains("No client certificate CA names sent"), "\(notAsked.output)")

        // on: a valid certificate passes with the ssl-client-* fields; none or a stranger's is 400.
        let passed = try curl.get("strict.nip.io", "/who", withCertificate, tls: true)
        #expect(passed.status == 200)
        let report = passed.report
        #expect(report["header ssl-client-verify"] == "SUCCESS", "\(passed.body)")
        #expect(report["header ssl-client-subject-dn"] == "CN=portico-client")
        #expect(report["header ssl-client-issuer-dn"] == (try Self.distinguishedName(root.appendingPathComponent("certs/ca.crt"), "subject")))
        let expectedPEM = try String(contentsOf: client.certificate, encoding: .utf8)
        #expect(report["header ssl-client-cert"]?.removingPercentEncoding == expectedPEM, "the PEM, URL-encoded")
        #expect(try curl.get("strict.nip.io", "/who", [], tls: true).status == 400)
        #expect(try curl.get("strict.nip.io", "/who", ["--cert", stranger.path, "--key", strangerKey.path], tls: true).status == 400)
        // Over HTTP/2 the streams carry the connection's certificate.
        let h2 = try curl.get("strict.nip.io", "/who-h2", withCertificate + ["--http2"], tls: true)
        #expect(h2.statusLine.hasPrefix("HTTP/2 200"))
        #expect(h2.report["header ssl-client-subject-dn"] == "CN=portico-client")

        // optional: no certificate passes as NONE, and a forged field is not believed.
        let anonymous = try curl.get("optional.nip.io", "/who", ["-H", "ssl-client-verify: SUCCESS", "-H", "ssl-client-subject-dn: CN=admin"], tls: true)
        #expect(anonymous.status == 200)
        #expect(anonymous.report["header ssl-client-verify"] == "NONE", "\(anonymous.body)")
        #expect(anonymous.report["header ssl-client-subject-dn"] == nil)
        #expect(try curl.get("optional.nip.io", "/who", ["--cert", stranger.path, "--key", strangerKey.path], tls: true).status == 400)

        // match-cn: the right CA but the wrong subject is 403.
        #expect(try curl.get("named.nip.io", "/who", withCertificate, tls: true).status == 403)
        // error page: a 302 there instead of the 400.
        let paged = try curl.get("paged.nip.io", "/who", [], tls: true)
        #expect(paged.status == 302)
        #expect(paged.headers["location"] == "https://login.example.com/certificate")
        // A host without auth-tls on the same listener takes anyone; a broken secret refuses all.
        let open = try curl.get("open.nip.io", "/who", [], tls: true)
        #expect(open.status == 200)
        #expect(open.report["header ssl-client-verify"] == nil)
        #expect(try curl.get("broken.nip.io", "/who", withCertificate, tls: true).status == 403)
        #expect(portico.log.contains("Secret default/no-such-secret not found"), "\(portico.log)")
        await backends.stop()
    }
}
