import Foundation
import PorticoKube
import Testing

@testable import PorticoKubernetes

@Suite struct KubeconfigTests {
    static func write(_ text: String, files: [String: String] = [:]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubeconfig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, contents) in files { try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let path = directory.appendingPathComponent("config").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static var caPEM: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("certs/ca.crt"), encoding: .utf8)) ?? ""
    }

    @Test func currentContextWithTokenFileAndCAFile() throws {
        let path = try Self.write(
            """
            apiVersion: v1
            kind: Config
            current-context: dev
            clusters:
            - {name: other, cluster: {server: "https://10.0.0.9:6443"}}
            - name: kind
              cluster: {server: "https://127.0.0.1:36443", certificate-authority: ca.crt, tls-server-name: kubernetes}
            users:
            - {name: me, user: {tokenFile: token}}
            contexts:
            - {name: dev, context: {cluster: kind, user: me, namespace: team-a}}
            """, files: ["ca.crt": Self.caPEM, "token": "abc.def\n"])
        let config = try Kubeconfig.load(path: path)
        #expect(config.url == "https://127.0.0.1:36443")
        #expect(config.serverName == "kubernetes")
        #expect(config.namespace == "team-a")
        #expect(config.tls != nil)
        #expect(try config.token?.read() == "abc.def")
    }

    /// The error loading `path` gives, or "loaded" (which no expectation accepts).
    static func failure(_ path: String) -> String {
        do {
            _ = try Kubeconfig.load(path: path)
            return "loaded"
        } catch {
            return error.description
        }
    }

    @Test func clearErrors() throws {
        let exec = try Self.write(
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}}]
            users: [{name: u, user: {exec: {command: aws}}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """)
        #expect(Self.failure(exec).contains("exec or auth-provider plugin"))

        let missing = try Self.write("current-context: nope\ncontexts: []\n")
        #expect(Self.failure(missing).contains("contexts: no entry named \"nope\""))

        let badCA = try Self.write(
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: "bm90IGEgY2VydA=="}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """)
        #expect(Self.failure(badCA).contains("no PEM CA certificate"))

        let notURL = try Self.write(
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "127.0.0.1:6443"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """)
        #expect(Self.failure(notURL).contains("server must be an http(s):// URL"))
    }

    @Test func inClusterReadsTheServiceAccount() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "token-1".write(to: directory.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        try Self.caPEM.write(to: directory.appendingPathComponent("ca.crt"), atomically: true, encoding: .utf8)
        try "ingress-system".write(to: directory.appendingPathComponent("namespace"), atomically: true, encoding: .utf8)
        let environment = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        let config = try APIServerConfig.inCluster(environment: environment, directory: directory.path)
        #expect(config.url == "https://10.96.0.1:443")
        #expect(config.namespace == "ingress-system")
        // The token file is read on each request: a rotated token is picked up.
        try "token-2".write(to: directory.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        #expect(try config.token?.read() == "token-2")

        #expect(throws: APIServerConfig.ConfigError.self) { try APIServerConfig.inCluster(environment: [:], directory: directory.path) }
    }
}

@Suite struct WatchPieceTests {
    @Test func listItemsWithoutKindDecodeLikeManifests() throws {
        let list = try APIPayload.parse(
            #"{"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"abc"},"items":[{"metadata":{"name":"web","namespace":"shop","resourceVersion":"40"},"spec":{"ports":[{"name":"http","port":80,"targetPort":"http"}]}}]}"#)
        #expect(list.resourceVersion == "42")
        #expect(list["metadata"]?["continue"]?.string == "abc")
        let item = try #require(list["items"]?.items.first)
        let decoded = item.decodeObject(kind: "Service", apiVersion: "v1", source: "kubernetes")
        guard case .service(let service)? = decoded.objects.first?.object else {
            Issue.record("not decoded: \(decoded.issues)")
            return
        }
        #expect(service.metadata.namespace == "shop")
        #expect(service.ports.first?.targetPort == .string("http"))  // a JSON string stays a name

        let bad = try APIPayload.parse(#"{"metadata":{"name":"x"},"spec":{"ports":[{"port":"80"}]}}"#)
        let issue = try #require(bad.decodeObject(kind: "Service", apiVersion: "v1", source: "kubernetes").issues.first)
        #expect(issue.description.contains("spec.ports[0].port: expected an integer"))
    }

    @Test func loadBalancerStatus() throws {
        let ingress = try APIPayload.parse(#"{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.1"},{"hostname":"lb.example.com"}]}}}"#)
        #expect(ingress.loadBalancerAddresses == ["192.0.2.1", "lb.example.com"])
    }

    @Test func backoffGrowsWithJitterUpToItsCap() {
        var backoff = Backoff(initial: 1, cap: 8)
        let waits = (0..<8).map { _ in backoff.next() }
        for (index, wait) in waits.enumerated() {
            let ceiling = min(8.0, pow(2.0, Double(index)))
            #expect(wait >= .milliseconds(Int(ceiling * 500)) && wait <= .milliseconds(Int(ceiling * 1000)))
        }
        backoff.reset()
        #expect(backoff.next() <= .seconds(1))
    }

    @Test func resourcePaths() {
        #expect(ResourceKind.ingresses.collectionPath(namespace: nil) == "/apis/networking.k8s.io/v1/ingresses")
        #expect(ResourceKind.services.collectionPath(namespace: "shop") == "/api/v1/namespaces/shop/services")
        #expect(ResourceKind.ingressClasses.collectionPath(namespace: "shop") == "/apis/networking.k8s.io/v1/ingressclasses")
        #expect(Reflector.escape("type=kubernetes.io/tls") == "type%3Dkubernetes.io%2Ftls")
    }
}

@Suite struct KubeconfigClientCertificateTests {
    static func certs(_ name: String) -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("certs/\(name)"), encoding: .utf8)) ?? ""
    }

    static func config(certificate: String, key: String?) -> String {
        var user = "client-certificate-data: \(Data(certificate.utf8).base64EncodedString())"
        if let key { user += ", client-key-data: \(Data(key.utf8).base64EncodedString())" }
        return """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: \(Data(Self.certs("ca.crt").utf8).base64EncodedString())}}]
            users: [{name: u, user: {\(user)}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """
    }

    @Test func clientCertificateDataIsLoadedAndCheckedAgainstItsKey() throws {
        let good = try KubeconfigTests.write(Self.config(certificate: Self.certs("nip-io.crt"), key: Self.certs("nip-io.key")))
        #expect(try Kubeconfig.load(path: good).tls != nil)
        let mismatched = try KubeconfigTests.write(Self.config(certificate: Self.certs("nip-io.crt"), key: Self.certs("sslip-io.key")))
        #expect(KubeconfigTests.failure(mismatched).contains("private key does not belong"))
        let keyless = try KubeconfigTests.write(Self.config(certificate: Self.certs("nip-io.crt"), key: nil))
        #expect(KubeconfigTests.failure(keyless).contains("client-certificate without client-key"))
    }
}
