import Foundation
import PorticoRouting
import PorticoTLS
import Testing

/// The API server is reached over TLS on the system OpenSSL, verified against the kubeconfig's
/// CA, the way every real cluster is reached.
@Suite(.serialized) struct APIServerTLSTests {
    /// A self-signed certificate for IP 127.0.0.1 (the API server's), made with the openssl CLI.
    static func apiServerCertificate() throws -> (certificate: String, key: String) {
        let directory = try TemporaryDirectory.make()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=fake-apiserver", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", directory.appendingPathComponent("key.pem").path, "-out", directory.appendingPathComponent("cert.pem").path,
        ]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (
            try String(contentsOf: directory.appendingPathComponent("cert.pem"), encoding: .utf8),
            try String(contentsOf: directory.appendingPathComponent("key.pem"), encoding: .utf8)
        )
    }

    @Test func verifiedTLSToTheAPIServer() async throws {
        let (certificate, key) = try Self.apiServerCertificate()
        let source = CertificateSource(origin: "fake-apiserver", certificatePEM: Array(certificate.utf8), keyPEM: Array(key.utf8))
        let store = try CertificateStore.build(bindings: [], defaultCertificate: source, options: TLSOptions()).store
        let api = try await FakeAPIServer(tls: store)
        let backends = try await TestBackends(addresses: ["127.0.60.1"], page: "web")
        api.apply("ingressclasses", KubeObjects.ingressClass("portico"))
        api.apply("services", KubeObjects.service("web", targetPort: backends.port))
        api.apply("endpointslices", KubeObjects.endpointSlice("web", port: backends.port, ready: ["127.0.60.1"]))
        api.apply("ingresses", KubeObjects.ingress("web", host: "web.test", paths: [("/", "web")]))
        let empty = try RulesDirectory([:])

        // The right CA: synced over TLS, serving.
        let trusted = try PorticoProcess(
            rules: empty.url, extraArguments: ["--kubeconfig", try api.kubeconfig(scheme: "https", caPEM: certificate).path], certs: empty.url)
        #expect((try Curl(port: trusted.port).get("web.test", "/")).status == 200)
        api.apply("ingresses", KubeObjects.ingress("web", host: "web.test", paths: [("/moved", "web")]))
        #expect(LiveReloadTests.eventually(5) { (try? Curl(port: trusted.port).get("web.test", "/"))?.status == 404 })
        trusted.terminate()

        // Another CA: the handshake is refused, nothing is served, and the log says why.
        let otherCA = try String(contentsOf: PorticoProcess.repositoryRoot.appendingPathComponent("certs/ca.crt"), encoding: .utf8)
        let untrusted = try PorticoProcess(
            rules: empty.url, extraArguments: ["--kubeconfig", try api.kubeconfig(scheme: "https", caPEM: otherCA).path], certs: empty.url,
            waitUntilListening: false)
        #expect(LiveReloadTests.eventually(5) { untrusted.log.contains("certificate verify failed") })
        #expect(!RawHTTP.canConnect(port: untrusted.port))
        untrusted.terminate()
        await backends.stop()
        await api.stop()
    }
}
