import Foundation
import Testing

/// Broken endpoints, timeouts and shutdown.
@Suite(.serialized) struct ResilienceTests {
    /// An access log nobody reads (a full pipe) must not stall the event loops: requests keep
    /// being answered, lines are dropped and counted. Before the writer thread, the first full
    /// pipe buffer blocked every connection of the loop.
    @Test func aStalledAccessLogNeverStallsRequests() async throws {
        let directory = try TemporaryDirectory.make()
        let fifo = directory.appendingPathComponent("access.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)  // held open, never read
        #expect(reader >= 0)
        defer { close(reader) }
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.20.30"], extraArguments: ["--access-log", fifo])
        let client = KeepAliveClient(port: proxy.port)
        let started = Date()
        var answered = 0
        let longTarget = "/" + String(repeating: "p", count: 4000)  // ~4 KiB of log a request: 6 MB, over the 4 MiB queue
        for _ in 0..<1500 {
            guard let response = client.get(host: "h", path: longTarget), response.status == 200 else { break }
            answered += 1
        }
        #expect(answered == 1500)
        #expect(Date().timeIntervalSince(started) < 60)
        var reported = false
        for _ in 0..<30 where !reported {
            reported = proxy.portico.log.contains("line(s) dropped")
            if !reported { usleep(100_000) }
        }
        #expect(reported, "\(proxy.portico.log.suffix(400))")
        await proxy.stop()
    }

    @Test func aDeadEndpointAmongLiveOnesCostsNoFailedRequest() async throws {
        let backends = try await TestBackends(addresses: ["127.0.20.1", "127.0.20.2"], page: "x")
        // 127.0.20.9 is listed as ready but nothing listens there.
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.20.1", "127.0.20.2", "127.0.20.9"])
                + RulesDirectory.ingress("ing", host: nil, paths: [("/", "Prefix", "svc")]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port, httpsPort: portico.httpsPort)
        var endpoints = Set<String>()
        for index in 0..<30 {
            let response = try curl.get("d.test", "/\(index)")
            #expect(response.status == 200, "request \(index)")
            endpoints.insert(response.report["endpoint"] ?? "")
        }
        #expect(endpoints == ["127.0.20.1:\(backends.port)", "127.0.20.2:\(backends.port)"])
        await backends.stop()
    }

    @Test func aBackendKilledMidLoadCostsNoIdempotentRequest() async throws {
        // Two Pods in separate processes' worth of event loops: one is killed outright (its
        // listener and every open connection), as when a Pod's node dies.
        let survivor = try await TestBackends(addresses: ["127.0.25.1"], page: "x")
        let victim = try await TestBackends(addresses: ["127.0.25.2"], page: "x", port: survivor.port)
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: survivor.port, ready: ["127.0.25.1", "127.0.25.2"])
                + RulesDirectory.ingress("ing", host: nil, paths: [("/", "Prefix", "svc")]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let log = LoadLog.start(port: portico.port, host: "k.test", clients: 3)
        try await Task.sleep(for: .milliseconds(700))
        await victim.stop()  // no reload: Portico must route around it by itself
        try await Task.sleep(for: .milliseconds(1500))
        log.stopAndWait()
        let all = log.entries
        let failed = all.filter { $0.1 != 200 }
        print("killed backend mid-load: \(all.count) GET requests, \(failed.count) failed")
        #expect(all.count > 100)
        #expect(failed.isEmpty)
        await survivor.stop()
    }

    @Test func proxyNextUpstreamOffExposesADeadEndpoint() async throws {
        let backends = try await TestBackends(addresses: ["127.0.26.1"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.26.1", "127.0.26.9"])
                + RulesDirectory.ingress("off", host: "off.test", paths: [("/", "Prefix", "svc")], annotations: ["proxy-next-upstream": "off"])
                + RulesDirectory.ingress("on", host: "on.test", paths: [("/", "Prefix", "svc")]),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--workers", "1"])
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        // Round-robin sends one of the first two requests to the dead 127.0.26.9: without
        // next-upstream that request fails; with the default it is retried on the live one.
        let off = try (0..<2).map { _ in try curl.get("off.test", "/").status }
        #expect(off.contains(502))
        portico.terminate()
        let again = try PorticoProcess(rules: rules.url, extraArguments: ["--workers", "1"])
        defer { again.terminate() }
        let on = try (0..<2).map { _ in try Curl(port: again.port).get("on.test", "/").status }
        #expect(on == [200, 200])
        await backends.stop()
    }

    @Test func proxyNextUpstreamHTTPStatusesAreTriedElsewhere() async throws {
        let backends = try await TestBackends(addresses: ["127.0.27.1", "127.0.27.2"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.27.1", "127.0.27.2"])
                + RulesDirectory.ingress("retry", host: "retry.test", paths: [("/", "Prefix", "svc")], annotations: ["proxy-next-upstream": "error timeout http_503"])
                + RulesDirectory.ingress("plain", host: "plain.test", paths: [("/", "Prefix", "svc")]),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--workers", "1"])
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        // 127.0.27.1 answers 503: with http_503 the request goes on to 127.0.27.2.
        for _ in 0..<4 {
            let response = try curl.get("retry.test", "/__fail-on/127.0.27.1/503")
            #expect(response.status == 200)
            #expect(response.report["endpoint"]?.hasPrefix("127.0.27.2:") == true)
        }
        // Without it the 503 is relayed as it is, for the requests that reach 127.0.27.1.
        let plain = try (0..<4).map { _ in try curl.get("plain.test", "/__fail-on/127.0.27.1/503").status }
        #expect(plain.contains(503))
        // Both answer 503: the last try's answer is relayed.
        #expect(try curl.get("retry.test", "/__fail-on/127.0.27.1/503/__fail-on/127.0.27.2/503").status == 503)
        await backends.stop()
    }

    @Test func allEndpointsDeadIs502AndSlowUpstreamIs504() async throws {
        let backends = try await TestBackends(addresses: ["127.0.21.1"], page: "x")
        let deadPort = try FreePort.next()
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("slow", port: backends.port, ready: ["127.0.21.1"])
                + RulesDirectory.service("dead", port: deadPort, ready: ["127.0.21.5", "127.0.21.6"])
                + RulesDirectory.ingress("ing", host: nil, paths: [("/", "Prefix", "slow"), ("/dead", "Prefix", "dead")]),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--upstream-read-timeout", "1"])
        defer { portico.terminate() }
        let curl = Curl(port: portico.port, httpsPort: portico.httpsPort)
        #expect(try curl.get("t.test", "/dead").status == 502)
        let started = Date()
        #expect(try curl.get("t.test", "/__sleep/3000").status == 504)
        #expect(Date().timeIntervalSince(started) < 2.9)
        #expect(try curl.get("t.test", "/__sleep/100").status == 200)
        await backends.stop()
    }

    @Test func proxyReadTimeoutAnnotationAppliesPerIngress() async throws {
        let backends = try await TestBackends(addresses: ["127.0.24.1"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.24.1"])
                + RulesDirectory.ingress("impatient", host: "fast.test", paths: [("/", "Prefix", "svc")], annotations: ["proxy-read-timeout": "1"])
                + RulesDirectory.ingress("patient", host: "slow.test", paths: [("/", "Prefix", "svc")]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port, httpsPort: portico.httpsPort)
        // Warm the connection's timer on the default timeouts first, then a short-timeout route.
        #expect(try curl.get("slow.test", "/__sleep/10").status == 200)
        let started = Date()
        #expect(try curl.get("fast.test", "/__sleep/2500").status == 504)
        #expect(Date().timeIntervalSince(started) < 2.2)
        #expect(try curl.get("slow.test", "/__sleep/2500").status == 200)
        await backends.stop()
    }

    @Test func proxySendTimeoutEndsAnUploadTheUpstreamStoppedTaking() async throws {
        let hole = try BlackHoleServer(host: "127.0.28.1")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: hole.port, ready: ["127.0.28.1"])
                + RulesDirectory.ingress("ing", host: nil, paths: [("/", "Prefix", "svc")],
                                         annotations: ["proxy-send-timeout": "1", "proxy-body-size": "0"]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let file = try TemporaryDirectory.make().appendingPathComponent("upload")
        try Data(count: 64 * 1024 * 1024).write(to: file)
        let started = Date()
        _ = try Curl(port: portico.port).get("h.test", "/upload", ["--data-binary", "@\(file.path)", "--max-time", "20"])
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(LiveReloadTests.eventually(2) {
            ((try? String(contentsOf: portico.accessLog, encoding: .utf8)) ?? "").contains("\"POST /upload HTTP/1.1\" 504")
        })
    }

    @Test func connectionChurnDoesNotGrowMemory() async throws {
        // One connection per request: a handler that outlived its connection (a reference cycle
        // through its ChannelHandlerContext) leaked about 4 KiB each, 24 MiB here.
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.23.1"])
        func churn(_ count: Int) throws {
            for index in 0..<count {
                let answer = try RawHTTP.exchange(port: proxy.port, "GET /\(index) HTTP/1.1\r\nHost: c.test\r\nConnection: close\r\n\r\n")
                #expect(answer.hasPrefix("HTTP/1.1 200"))
            }
        }
        try churn(500)
        let baseline = proxy.portico.peakRSSKiB
        try churn(6000)
        let growth = proxy.portico.peakRSSKiB - baseline
        print("connection churn: peak RSS grew by \(growth) KiB over 6,000 connections")
        #expect(growth < 8 * 1024, "peak RSS grew by \(growth) KiB over 6,000 connections")
        await proxy.stop()
    }

    @Test func sigtermLetsInFlightRequestsFinish() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.22.1"])
        let portico = proxy.portico
        let curl = proxy.curl
        async let slow = Task.detached { try curl.get("g.test", "/__sleep/1500") }.value
        // SIGTERM only once the request is in flight (it has reached the backend).
        for _ in 0..<200 where proxy.backends.statistics.requestsStarted == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(proxy.backends.statistics.requestsStarted == 1)
        portico.process.terminate()  // SIGTERM
        let response = try await slow
        #expect(response.status == 200)
        portico.process.waitUntilExit()
        #expect(portico.process.terminationStatus == 0)
        #expect(!RawHTTP.canConnect(port: portico.port))
        await proxy.stop()
    }

    /// A POST may not be re-sent if its pooled connection turns out closed, so it takes only a
    /// connection idle for under 2 s (an upstream closing an idle connection as the request goes
    /// out is then not a race it can lose); GETs reuse any live one.
    @Test func nonIdempotentRequestsReuseOnlyFreshConnections() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.21.7"], extraArguments: ["--workers", "1"])
        func connectionRequests(_ arguments: [String], _ path: String) throws -> String? {
            try proxy.curl.get("r.test", path, arguments).report["connection-requests"]
        }
        #expect(try connectionRequests([], "/a") == "1")
        #expect(try connectionRequests(["-X", "POST", "-d", "x"], "/b") == "2")  // idle a moment: reused
        try await Task.sleep(for: .milliseconds(2300))
        #expect(try connectionRequests(["-X", "POST", "-d", "x"], "/c") == "1")  // idle 2.3 s: a fresh one
        #expect(try connectionRequests([], "/d") == "2")  // the fresh one, now pooled
        try await Task.sleep(for: .milliseconds(2300))
        #expect(try connectionRequests([], "/e") == "3")  // GETs take an older one
        await proxy.stop()
    }
}
