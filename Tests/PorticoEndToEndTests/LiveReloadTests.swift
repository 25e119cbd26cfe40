import Foundation
import Testing

/// Changes to ingress-rules/ take effect while serving, without losing a request.
@Suite(.serialized) struct LiveReloadTests {
    static func pods(port: Int, ready: Set<Int>) -> String {
        // The seed's readiness scenario: three Pods behind one Service, ready or not.
        let service = """
            apiVersion: v1
            kind: Service
            metadata: {name: myweb-svc-lb}
            spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80, targetPort: \(port)}]}
            ---

            """
        return service + (1...3).map { index in
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: myweb-rs-\(index), labels: {app: web, env: dev}}
            spec: {containers: [{name: myweb, ports: [{containerPort: \(port)}]}]}
            status: {podIP: 127.0.50.\(index), conditions: [{type: Ready, status: "\(ready.contains(index) ? "True" : "False")"}]}
            """
        }.joined(separator: "\n---\n")
    }

    /// Polls until `condition` holds or `seconds` pass.
    static func eventually(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }

    @Test func seedReadinessScenarioWorksLive() async throws {
        let backends = try await TestBackends(addresses: ["127.0.50.1", "127.0.50.2", "127.0.50.3"], page: "myweb")
        let rules = try RulesDirectory([
            "pods.yaml": Self.pods(port: backends.port, ready: []),
            "ing.yaml": RulesDirectory.ingress("myweb", host: nil, paths: [("/", "Prefix", "myweb-svc-lb")]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let client = KeepAliveClient(port: portico.port)
        #expect(client.get(host: "r.test", path: "/")?.status == 503)  // none ready yet

        // kubectl exec <pod> -- touch /tmp/ready: myweb-rs-2 passes its probe.
        try Self.pods(port: backends.port, ready: [2]).write(to: rules.url.appendingPathComponent("pods.yaml"), atomically: true, encoding: .utf8)
        #expect(Self.eventually(3) { client.get(host: "r.test", path: "/")?.status == 200 })
        for _ in 0..<5 { #expect(client.get(host: "r.test", path: "/")?.body.contains("endpoint: 127.0.50.2:") == true) }

        // It fails its probe and another passes: traffic follows within one reload.
        try Self.pods(port: backends.port, ready: [3]).write(to: rules.url.appendingPathComponent("pods.yaml"), atomically: true, encoding: .utf8)
        #expect(Self.eventually(3) { client.get(host: "r.test", path: "/")?.body.contains("127.0.50.3:") == true })
        for _ in 0..<5 { #expect(client.get(host: "r.test", path: "/")?.body.contains("endpoint: 127.0.50.3:") == true) }
        #expect(portico.log.contains("reloaded (files changed)"))
        await backends.stop()
    }

    /// `--watch-interval 0`: nothing is watched; SIGHUP wakes the loop and reloads at once. A
    /// reload that compiles to the serving snapshot (a file rewritten unchanged) installs
    /// nothing.
    @Test func sighupReloadsAndAnUnchangedSnapshotIsNotInstalled() async throws {
        let backends = try await TestBackends(addresses: ["127.0.55.5", "127.0.55.6"], page: "hup")
        let rules = try RulesDirectory([
            "svc.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.55.5"]),
            "ing.yaml": RulesDirectory.ingress("ing", host: nil, paths: [("/", "Prefix", "svc")]),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--watch-interval", "0", "--log-level", "debug"])
        defer { portico.terminate() }
        let client = KeepAliveClient(port: portico.port)
        #expect(client.get(host: "h.test", path: "/")?.body.contains("127.0.55.5:") == true)
        let file = rules.url.appendingPathComponent("svc.yaml")
        try RulesDirectory.service("svc", port: backends.port, ready: ["127.0.55.6"]).write(to: file, atomically: true, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(600))
        #expect(client.get(host: "h.test", path: "/")?.body.contains("127.0.55.5:") == true)  // not watched
        kill(portico.process.processIdentifier, SIGHUP)
        #expect(Self.eventually(3) { client.get(host: "h.test", path: "/")?.body.contains("127.0.55.6:") == true })
        #expect(Self.eventually(2) { portico.log.contains("reloaded (SIGHUP)") })
        // The same bytes again, then SIGHUP: compiled, equal, not installed.
        try RulesDirectory.service("svc", port: backends.port, ready: ["127.0.55.6"]).write(to: file, atomically: true, encoding: .utf8)
        kill(portico.process.processIdentifier, SIGHUP)
        #expect(Self.eventually(3) { portico.log.contains("compiled to the serving snapshot; nothing installed") })
        #expect(portico.log.components(separatedBy: "reloaded (SIGHUP)").count == 2)  // still only the first
        await backends.stop()
    }

    @Test func inotifyAppliesAChangeBeforeTheNextPoll() async throws {
        let backends = try await TestBackends(addresses: ["127.0.55.1", "127.0.55.2"], page: "inotify")
        let rules = try RulesDirectory([
            "svc.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.55.1"]),
            "ing.yaml": RulesDirectory.ingress("ing", host: nil, paths: [("/", "Prefix", "svc")]),
        ])
        // Polling every 5 s: only inotify can apply the change within a second.
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--watch-interval", "5000"])
        defer { portico.terminate() }
        let client = KeepAliveClient(port: portico.port)
        #expect(client.get(host: "i.test", path: "/")?.body.contains("127.0.55.1:") == true)
        try await Task.sleep(for: .milliseconds(300))
        let written = Date()
        try RulesDirectory.service("svc", port: backends.port, ready: ["127.0.55.2"])
            .write(to: rules.url.appendingPathComponent("svc.yaml"), atomically: true, encoding: .utf8)
        #expect(Self.eventually(1) { client.get(host: "i.test", path: "/")?.body.contains("127.0.55.2:") == true })
        print("inotify: change serving after \(Int(Date().timeIntervalSince(written) * 1000)) ms")
        #expect(portico.log.contains("inotify=true"))
        // inotify named the file and only Endpoints changed: no route was compiled again.
        #expect(Self.eventually(1) { portico.log.contains("compiled=backends only") })

        // A directory moved in brings files inotify does not name: the tree is walked. Its
        // Ingress names team.test with only /only, so team.test/ turns from the host-less
        // rule's 200 into 404 once it is loaded.
        #expect(client.get(host: "team.test", path: "/")?.status == 200)
        let staging = rules.url.deletingLastPathComponent().appendingPathComponent("staging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        try RulesDirectory.ingress("team", host: "team.test", paths: [("/only", "Exact", "svc")])
            .write(to: staging.appendingPathComponent("team.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.moveItem(at: staging, to: rules.url.appendingPathComponent("team"))
        #expect(Self.eventually(2) { client.get(host: "team.test", path: "/")?.status == 404 })
        #expect(client.get(host: "team.test", path: "/only")?.body.contains("127.0.55.2:") == true)
        #expect(Self.eventually(1) { portico.log.contains("compiled=routes and backends") })
        await backends.stop()
    }

    @Test func clientIPAffinityHoldsWhileTheEndpointStaysReady() async throws {
        let addresses = ["127.0.52.1", "127.0.52.2", "127.0.52.3"]
        let backends = try await TestBackends(addresses: addresses, page: "ses")
        let rules = try RulesDirectory([
            "svc.yaml": RulesDirectory.service("myweb-svc-ses", port: backends.port, ready: addresses, clientIPAffinity: true),
            "ing.yaml": RulesDirectory.ingress("ses", host: nil, paths: [("/", "Prefix", "myweb-svc-ses")]),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--watch-interval", "100"])
        defer { portico.terminate() }
        let curl = Curl(port: portico.port, httpsPort: portico.httpsPort)
        func endpoint(from client: String) throws -> String {
            try curl.get("s.test", "/", ["--interface", client]).report["endpoint"] ?? "-"
        }
        let clients = (10..<18).map { "127.0.60.\($0)" }
        var pinned: [String: String] = [:]
        for client in clients {
            let first = try endpoint(from: client)
            for _ in 0..<4 { #expect(try endpoint(from: client) == first, "\(client) stays on \(first)") }
            pinned[client] = first
        }
        #expect(Set(pinned.values).count > 1)  // clients spread over the endpoints

        // One endpoint stops being ready: only its clients move.
        let gone = pinned[clients[0]]!.components(separatedBy: ":")[0]
        try RulesDirectory.service("myweb-svc-ses", port: backends.port, ready: addresses.filter { $0 != gone }, notReady: [gone], clientIPAffinity: true)
            .write(to: rules.url.appendingPathComponent("svc.yaml"), atomically: true, encoding: .utf8)
        #expect(try LiveReloadTests.eventually(3) { try endpoint(from: clients[0]) != pinned[clients[0]] })
        for client in clients {
            let now = try endpoint(from: client)
            if pinned[client]!.hasPrefix(gone + ":") {
                #expect(!now.hasPrefix(gone + ":"))
            } else {
                #expect(now == pinned[client], "\(client) must not move when another endpoint leaves")
            }
        }
        await backends.stop()
    }

    @Test func upstreamHashByPinsEachKey() async throws {
        let addresses = ["127.0.53.1", "127.0.53.2", "127.0.53.3"]
        let backends = try await TestBackends(addresses: addresses, page: "hash")
        let rules = try RulesDirectory([
            "svc.yaml": RulesDirectory.service("svc", port: backends.port, ready: addresses),
            "ing.yaml": RulesDirectory.ingress("by-uri", host: "uri.test", paths: [("/", "Prefix", "svc")], annotations: ["upstream-hash-by": "$request_uri"])
                + RulesDirectory.ingress("by-user", host: "user.test", paths: [("/", "Prefix", "svc")], annotations: ["upstream-hash-by": "$http_x_user"]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let client = KeepAliveClient(port: portico.port)
        func endpoint(_ host: String, _ path: String, user: String? = nil) -> String {
            let response = user.map { client.get(host: host, path: path, headers: "X-User: \($0)\r\n") } ?? client.get(host: host, path: path)
            return response?.body.split(separator: "\n").first { $0.hasPrefix("endpoint: ") }.map(String.init) ?? "-"
        }
        var spread = Set<String>()
        for index in 0..<12 {
            let first = endpoint("uri.test", "/item/\(index)?q=1")
            for _ in 0..<3 { #expect(endpoint("uri.test", "/item/\(index)?q=1") == first) }
            spread.insert(first)
        }
        #expect(spread.count > 1)
        for user in ["alice", "bob", "carol"] {
            let first = endpoint("user.test", "/\(UUID().uuidString)", user: user)
            for _ in 0..<3 { #expect(endpoint("user.test", "/\(UUID().uuidString)", user: user) == first, "\(user) stays") }
        }
        await backends.stop()
    }

    @Test func externalNameServicesResolveOffTheEventLoop() async throws {
        let backends = try await TestBackends(addresses: ["127.0.0.1"], page: "weather")
        let rules = try RulesDirectory([
            "ext.yaml": """
                apiVersion: v1
                kind: Service
                metadata: {name: weather-ext-svc}
                spec: {type: ExternalName, externalName: localhost, ports: [{port: 80, targetPort: \(backends.port)}]}
                ---

                """ + RulesDirectory.ingress("weather", host: "weather.test", paths: [("/", "Prefix", "weather-ext-svc")], annotations: ["upstream-vhost": "www.google.com"]),
        ])
        // By default a loopback answer is refused (as ingress-nginx refuses localhost): 503.
        let strict = try PorticoProcess(rules: rules.url)
        #expect(try Curl(port: strict.port).get("weather.test", "/").status == 503)
        #expect(strict.log.contains("ExternalName localhost"))
        strict.terminate()

        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--allow-loopback-external-names"])
        defer { portico.terminate() }
        let response = try Curl(port: portico.port).get("weather.test", "/forecast")
        #expect(response.status == 200)
        #expect(response.report["endpoint"] == "127.0.0.1:\(backends.port)")
        #expect(response.report["header host"] == "www.google.com")  // upstream-vhost
        #expect(response.report["header x-forwarded-host"] == "weather.test:\(portico.port)")
        await backends.stop()
    }

    /// `affinity-mode: persistent`: the cookie names its endpoint; when it leaves, the client
    /// moves and gets a new cookie. `balanced` (the default): the cookie's key is hashed onto
    /// the endpoints; when its endpoint leaves, the same key lands on another and stays there,
    /// no new cookie needed (sticky_balanced.lua).
    @Test(arguments: ["persistent", "balanced"])
    func cookieAffinityStaysUntilTheEndpointLeaves(mode: String) async throws {
        let addresses = mode == "persistent" ? ["127.0.54.1", "127.0.54.2", "127.0.54.3"] : ["127.0.54.5", "127.0.54.6", "127.0.54.7"]
        let backends = try await TestBackends(addresses: addresses, page: "sticky")
        let annotations = [
            "affinity": "cookie", "session-cookie-name": "route", "session-cookie-max-age": "3600", "session-cookie-samesite": "lax",
            "session-cookie-expires": "7200", "affinity-mode": mode,
        ]
        let rules = try RulesDirectory([
            "svc.yaml": RulesDirectory.service("svc", port: backends.port, ready: addresses),
            "ing.yaml": RulesDirectory.ingress("sticky", host: "sticky.test", paths: [("/", "Prefix", "svc")], annotations: annotations),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--watch-interval", "100"])
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        let jar = try TemporaryDirectory.make().appendingPathComponent("cookies").path
        let first = try curl.get("sticky.test", "/", ["-c", jar, "-b", jar])
        let cookie = try #require(first.headers["set-cookie"])
        #expect(cookie.hasPrefix("route="))
        // lua-resty-cookie's attributes; the path is the Ingress path when no session-cookie-path.
        #expect(cookie.contains("; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax"))
        #expect(cookie.range(of: #"; Expires=[A-Z][a-z]{2}, \d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2} GMT; "#, options: .regularExpression) != nil, "\(cookie)")
        let pinned = try #require(first.report["endpoint"])
        for _ in 0..<6 {
            let again = try curl.get("sticky.test", "/", ["-c", jar, "-b", jar])
            #expect(again.report["endpoint"] == pinned)
            #expect(again.headers["set-cookie"] == nil)  // already pinned: no new cookie
        }
        // Without the cookie, requests are spread as usual.
        let spread = Set(try (0..<6).map { _ in try curl.get("sticky.test", "/").report["endpoint"] ?? "" })
        #expect(spread.count > 1)

        // The pinned endpoint stops being ready: the client moves and gets a new cookie.
        let gone = pinned.components(separatedBy: ":")[0]
        try RulesDirectory.service("svc", port: backends.port, ready: addresses.filter { $0 != gone }, notReady: [gone])
            .write(to: rules.url.appendingPathComponent("svc.yaml"), atomically: true, encoding: .utf8)
        #expect(try LiveReloadTests.eventually(3) {
            try curl.get("sticky.test", "/", ["-b", jar]).report["endpoint"] != pinned
        })
        let moved = try curl.get("sticky.test", "/", ["-c", jar, "-b", jar])
        #expect((moved.headers["set-cookie"] != nil) == (mode == "persistent"))
        let newHome = try #require(moved.report["endpoint"])
        #expect(try curl.get("sticky.test", "/", ["-c", jar, "-b", jar]).report["endpoint"] == newHome)
        await backends.stop()
    }

    @Test func rewritingRulesUnderLoadLosesNoRequest() async throws {
        let addresses = ["127.0.51.1", "127.0.51.2", "127.0.51.3", "127.0.51.4"]
        let backends = try await TestBackends(addresses: addresses, page: "load")
        func endpoints(ready: [Int], notReady: [Int] = []) -> String {
            RulesDirectory.service("svc", port: backends.port, ready: ready.map { addresses[$0 - 1] }, notReady: notReady.map { addresses[$0 - 1] })
        }
        let rules = try RulesDirectory([
            "svc.yaml": endpoints(ready: [1, 2, 3]),
            "ing.yaml": RulesDirectory.ingress("main", host: "load.test", paths: [("/", "Prefix", "svc")]),
        ])
        let repositoryCerts = PorticoProcess.repositoryRoot.appendingPathComponent("certs")
        let certs = try TemporaryDirectory.make()
        for file in ["default.crt", "default.key"] {
            try FileManager.default.copyItem(at: repositoryCerts.appendingPathComponent(file), to: certs.appendingPathComponent(file))
        }
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--watch-interval", "100"], certs: certs)
        defer { portico.terminate() }
        func swapDefaultCertificate() throws {
            for (source, target) in [("nip-io.key", "default.key"), ("nip-io.crt", "default.crt")] {
                try Data(contentsOf: repositoryCerts.appendingPathComponent(source)).write(to: certs.appendingPathComponent(target), options: .atomic)
            }
        }

        // Two keep-alive clients run the whole time, recording (time, status, endpoint).
        let log = LoadLog.start(port: portico.port, host: "load.test", clients: 2)
        func write(_ name: String, _ text: String) throws {
            try text.write(to: rules.url.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        // Each phase: a change, then a settled window in which only the listed endpoints may answer.
        let phases: [LoadLog.Phase] = [
            .init(change: { try write("svc.yaml", endpoints(ready: [2, 3, 4])) }, allowed: ["127.0.51.2", "127.0.51.3", "127.0.51.4"]),
            .init(change: { try write("svc.yaml", endpoints(ready: [3, 4], notReady: [2])) }, allowed: ["127.0.51.3", "127.0.51.4"]),
            .init(change: { try write("other.yaml", RulesDirectory.ingress("other", host: "other.test", paths: [("/", "Prefix", "svc")])) }, allowed: ["127.0.51.3", "127.0.51.4"]),
            .init(change: { try swapDefaultCertificate() }, allowed: ["127.0.51.3", "127.0.51.4"]),
            .init(change: { try write("svc.yaml", endpoints(ready: [1])) }, allowed: ["127.0.51.1"]),
            .init(change: { try FileManager.default.removeItem(at: rules.url.appendingPathComponent("other.yaml")) }, allowed: ["127.0.51.1"]),
            .init(change: { try write("svc.yaml", endpoints(ready: [1, 2, 3, 4])) }, allowed: Set(addresses)),
        ]
        try await log.check(phases, window: .milliseconds(700), label: "live reload under load")
        #expect(try OpenSSLClient.connect(port: portico.httpsPort, serverName: "any.test").subject == "CN = *.nip.io")
        await backends.stop()
    }
}
