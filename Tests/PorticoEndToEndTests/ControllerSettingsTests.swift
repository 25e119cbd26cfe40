import Foundation
import Testing

/// The controller ConfigMap (`--configmap`) in a directory of manifests, through the real
/// binary and curl: what its keys change on the wire, and that a change applies live, a bad
/// value keeps the last good one.
@Suite(.serialized) struct ControllerSettingsTests {
    static func configMap(_ data: [String: String]) -> String {
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: portico-controller, namespace: ingress-nginx}
        data: {\(data.sorted { $0.key < $1.key }.map { "\($0.key): \"\($0.value)\"" }.joined(separator: ", "))}

        """
    }

    static let arguments = ["--configmap", "ingress-nginx/portico-controller"]

    static func headers(_ namespace: String, _ name: String, _ data: [String: String]) -> String {
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: \(name), namespace: \(namespace)}
        data: {\(data.sorted { $0.key < $1.key }.map { "\($0.key): '\($0.value)'" }.joined(separator: ", "))}
        ---

        """
    }

    /// `add-headers`, `proxy-set-headers` and an Ingress's `custom-headers` (allowed by
    /// `global-allowed-response-headers`; otherwise its paths are denied, 503).
    @Test func headerConfigMapsReachAnswersAndUpstreams() async throws {
        let backends = try await TestBackends(addresses: ["127.0.63.4"], page: "x")
        let rules = try RulesDirectory([
            "app.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.63.4"])
                + RulesDirectory.ingress("app", host: "app.test", paths: [("/", "Prefix", "svc")])
                + RulesDirectory.ingress("custom", host: "custom.test", paths: [("/", "Prefix", "svc")], annotations: ["custom-headers": "brand"])
                + RulesDirectory.ingress("refused", host: "refused.test", paths: [("/", "Prefix", "svc")], annotations: ["custom-headers": "leaky"]),
            "headers.yaml": Self.headers("ingress-nginx", "answer-headers", ["X-Frame-Options": "DENY", "X-Variable": "$host"])
                + Self.headers("ingress-nginx", "upstream-headers", ["X-Tenant": "blue", "X-Frame-Options": "from-upstream-set"])
                + Self.headers("default", "brand", ["X-Brand": "portico $1", "X-Frame-Options": "SAMEORIGIN"])
                + Self.headers("default", "leaky", ["X-Internal": "yes"]),
            "settings.yaml": Self.configMap([
                "add-headers": "ingress-nginx/answer-headers", "proxy-set-headers": "ingress-nginx/upstream-headers",
                "global-allowed-response-headers": "X-Brand, X-Frame-Options",
            ]),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: Self.arguments)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port, httpsPort: portico.httpsPort)

        let plain = try curl.get("app.test", "/")
        #expect(plain.status == 200)
        #expect(plain.headers["x-frame-options"] == "DENY")
        #expect(plain.headers["x-variable"] == nil, "a value with an nginx variable is left out")
        #expect(plain.report["header x-tenant"] == "blue")
        let custom = try curl.get("custom.test", "/")
        #expect(custom.headers["x-brand"] == "portico $1", "custom-headers keeps a literal $")
        #expect(custom.headers["x-frame-options"] == "SAMEORIGIN", "the Ingress's field replaces the controller's")
        #expect(try curl.get("refused.test", "/").status == 503)
        #expect(portico.log.contains("header X-Internal is not allowed"))
        #expect(portico.log.contains("X-Variable's value holds an nginx variable"))
        portico.terminate()
        await backends.stop()
    }

    @Test func keysChangeWhatGoesOverTheWire() async throws {
        let backends = try await TestBackends(addresses: ["127.0.63.1"], page: "x")
        let rules = try RulesDirectory([
            "app.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.63.1"])
                + RulesDirectory.ingress("app", host: "app.test", paths: [("/", "Prefix", "svc")])
                + RulesDirectory.ingress("secure", host: "secure.test", paths: [("/", "Prefix", "svc")], annotations: ["force-ssl-redirect": "true"]),
            "settings.yaml": Self.configMap([
                "hsts-max-age": "600", "hsts-include-subdomains": "false", "server-tokens": "true", "proxy-body-size": "1k",
                "large-client-header-buffers": "2 1k", "use-forwarded-headers": "true", "compute-full-forwarded-for": "true",
                // Heads arrive in 64-byte reads: each below is parsed across many of them.
                "client-header-buffer-size": "64",
            ]),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: Self.arguments)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port, httpsPort: portico.httpsPort)

        // HSTS as the ConfigMap writes it, on proxied and own answers; server-tokens on both.
        let proxied = try curl.get("app.test", "/", ["-k"], tls: true)
        #expect(proxied.status == 200)
        #expect(proxied.headers["strict-transport-security"] == "max-age=600")
        #expect(proxied.headers["server"] == "portico", "the upstream's Server is replaced")
        let own = try curl.get("nowhere.test", "/", ["-k"], tls: true)
        #expect(own.status == 404)
        #expect(own.headers["strict-transport-security"] == "max-age=600")
        #expect(own.headers["server"] == "portico")

        // proxy-body-size is every route's default; large-client-header-buffers bounds a field line.
        #expect(try curl.get("app.test", "/", ["--data-binary", String(repeating: "x", count: 2048)]).status == 413)
        #expect(try curl.get("app.test", "/", ["-H", "X-Big: " + String(repeating: "y", count: 1500)]).status == 431)
        #expect(try curl.get("app.test", "/", ["-H", "X-Small: " + String(repeating: "y", count: 500)]).status == 200)

        // use-forwarded-headers: a TLS-terminating balancer's scheme counts (no redirect loop),
        // and is passed on; compute-full-forwarded-for extends its chain.
        #expect(try curl.get("secure.test", "/").status == 308)
        let behindBalancer = try curl.get(
            "secure.test", "/", ["-H", "X-Forwarded-Proto: https", "-H", "X-Forwarded-For: 203.0.113.9", "-H", "X-Forwarded-Host: shop.example"])
        #expect(behindBalancer.status == 200)
        #expect(behindBalancer.report["header x-forwarded-proto"] == "https")
        #expect(behindBalancer.report["header x-forwarded-for"] == "203.0.113.9, 127.0.0.1")
        #expect(behindBalancer.report["header x-real-ip"] == "203.0.113.9")
        #expect(behindBalancer.report["header x-forwarded-host"] == "shop.example")
        portico.terminate()
        await backends.stop()
    }

    @Test func changesApplyLiveAndABadValueKeepsTheLastGood() async throws {
        let backends = try await TestBackends(addresses: ["127.0.63.2"], page: "x")
        let rules = try RulesDirectory([
            "app.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.63.2"])
                + RulesDirectory.ingress("app", host: "app.test", paths: [("/", "Prefix", "svc")]),
            "settings.yaml": Self.configMap(["proxy-body-size": "4k"]),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: Self.arguments)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port, httpsPort: portico.httpsPort)
        let upload = ["--data-binary", String(repeating: "x", count: 2048)]

        // ingress-nginx's defaults where the ConfigMap is silent: HSTS a year with subdomains,
        // no Server field at all (the upstream's removed too).
        let first = try curl.get("app.test", "/", ["-k"] + upload, tls: true)
        #expect(first.status == 200)
        #expect(first.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains")
        #expect(first.headers["server"] == nil)

        try Self.configMap(["proxy-body-size": "1k", "hsts": "false"])
            .write(to: rules.url.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        #expect(LiveReloadTests.eventually(5) { (try? curl.get("app.test", "/", upload))?.status == 413 })
        #expect(try curl.get("app.test", "/", ["-k"], tls: true).headers["strict-transport-security"] == nil)

        // A typo keeps "1k" in force and is logged, naming the file, object and key.
        try Self.configMap(["proxy-body-size": "1kb", "hsts": "false", "proxy-bodysize": "2m"])
            .write(to: rules.url.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        #expect(LiveReloadTests.eventually(5) { portico.log.contains("data.proxy-bodysize") })
        #expect(portico.log.contains("ConfigMap ingress-nginx/portico-controller: data.proxy-body-size: \"1kb\" is not a size"))
        #expect(portico.log.contains("its last good value \"1k\" stays in force"))
        #expect(try curl.get("app.test", "/", upload).status == 413)
        portico.terminate()
        await backends.stop()
    }

    /// `ssl-protocols` and `ssl-ciphers` rebuild the TLS contexts live; a cipher list OpenSSL
    /// refuses keeps TLS serving on the defaults, with an error.
    @Test func tlsProtocolsAndCiphersApplyLive() async throws {
        let backends = try await TestBackends(addresses: ["127.0.63.3"], page: "x")
        let rules = try RulesDirectory([
            "app.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.63.3"])
                + RulesDirectory.ingress("app", host: "app.test", paths: [("/", "Prefix", "svc")]),
            "settings.yaml": Self.configMap(["ssl-protocols": "TLSv1.3"]),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: Self.arguments)
        defer { portico.terminate() }
        #expect(try OpenSSLClient.connect(port: portico.httpsPort, serverName: "app.test", extra: ["-tls1_2"]).subject == nil)
        #expect(try OpenSSLClient.connect(port: portico.httpsPort, serverName: "app.test", extra: ["-tls1_3"]).subject != nil)

        try Self.configMap(["ssl-protocols": "TLSv1.2 TLSv1.3", "ssl-ciphers": "ECDHE-RSA-AES256-GCM-SHA384"])
            .write(to: rules.url.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        #expect(LiveReloadTests.eventually(5) {
            (try? OpenSSLClient.connect(port: portico.httpsPort, serverName: "app.test", extra: ["-tls1_2"]))?.output
                .contains("ECDHE-RSA-AES256-GCM-SHA384") == true
        })
        #expect(try OpenSSLClient.connect(
            port: portico.httpsPort, serverName: "app.test", extra: ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]).subject == nil)

        try Self.configMap(["ssl-ciphers": "NO-SUCH-CIPHER"])
            .write(to: rules.url.appendingPathComponent("settings.yaml"), atomically: true, encoding: .utf8)
        #expect(LiveReloadTests.eventually(5) { portico.log.contains("OpenSSL refused them") })
        #expect(try OpenSSLClient.connect(
            port: portico.httpsPort, serverName: "app.test", extra: ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]).subject != nil)
        portico.terminate()
        await backends.stop()
    }
}
