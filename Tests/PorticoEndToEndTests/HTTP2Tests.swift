import Foundation
import PorticoDemoBackend
import Testing

/// HTTP/2 from the client side through the real binary: ALPN `h2` and prior knowledge on the
/// plain port with curl, openssl and h2load; bodies streamed both ways over one stream; and a
/// raw peer (Python `h2`, `Tests/Tools/h2_peer.py`) trying the attacks of the last years, with
/// a backend that records what reached it.
@Suite(.serialized) struct HTTP2Tests {
    static let tool = PorticoProcess.repositoryRoot.appendingPathComponent("Tests/Tools/h2_peer.py").path

    /// The JSON object the peer printed last for `arguments`.
    static func peer(port: Int, tls: Bool = false, _ arguments: [String]) throws -> [String: Any] {
        let output = try Command.output("/usr/bin/env", ["python3", Self.tool, "--port", String(port)] + (tls ? ["--tls"] : []) + arguments)
        guard let line = output.split(separator: "\n").last,
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { throw HarnessError("h2_peer \(arguments) printed: \(output)") }
        return object
    }

    /// The paths that reached the backend.
    static func received(_ proxy: SingleServiceProxy) -> [String] { proxy.backends.statistics.received }

    @Test func clientsNegotiateHTTP2AndThePlainPortTakesPriorKnowledge() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.80.1"])
        let portico = proxy.portico
        let h2 = try OpenSSLClient.connect(port: portico.httpsPort, serverName: "a.test", extra: ["-alpn", "h2,http/1.1"])
        #expect(h2.output.contains("ALPN protocol: h2"))
        let h1 = try OpenSSLClient.connect(port: portico.httpsPort, serverName: "a.test", extra: ["-alpn", "http/1.1"])
        #expect(h1.output.contains("ALPN protocol: http/1.1"))

        let overTLS = try proxy.curl.get("a.test", "/h2?x=1", ["--http2", "-k", "-H", "X-Custom: one", "-b", "a=1; b=2"], tls: true)
        #expect(overTLS.statusLine.hasPrefix("HTTP/2 200"), "\(overTLS.statusLine)")
        let report = overTLS.report
        #expect(report["path"] == "/h2?x=1")
        #expect(report["version"] == "HTTP/1.1")  // proxied to the HTTP/1.1 upstream
        #expect(report["header host"] == "a.test:\(portico.httpsPort)")
        #expect(report["header x-custom"] == "one")
        #expect(report["header cookie"] == "a=1; b=2")
        #expect(report["header x-forwarded-proto"] == "https")
        let plain = try proxy.curl.get("a.test", "/prior", ["--http2-prior-knowledge"])
        #expect(plain.statusLine.hasPrefix("HTTP/2 200"), "\(plain.statusLine)")
        #expect(plain.report["header x-forwarded-proto"] == "http")
        let http1 = try proxy.curl.get("a.test", "/h1", ["--http1.1", "-k"], tls: true)
        #expect(http1.statusLine.hasPrefix("HTTP/1.1 200"))
        // Portico's own answers too (no route → 404 as HTML; HEAD has no body).
        let head = try proxy.curl.get("a.test", "/h2-head", ["--http2-prior-knowledge", "-I"])
        #expect(head.statusLine.hasPrefix("HTTP/2 200"))
        #expect(head.headers["content-length"] != nil)
        #expect(head.headers["connection"] == nil && head.headers["keep-alive"] == nil)
        // The access log says HTTP/2.0 as nginx does.
        try await Task.sleep(for: .milliseconds(300))
        let log = (try? String(contentsOf: portico.accessLog, encoding: .utf8)) ?? ""
        #expect(log.contains("\"GET /h2?x=1 HTTP/2.0\" 200"), "\(log)")
        #expect(log.contains("\"GET /h1 HTTP/1.1\" 200"))
        await proxy.stop()
    }

    @Test func twentyMebibytesStreamBothWaysOverOneStream() async throws {
        let size = 20 * 1024 * 1024
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("portico-h2-pattern-\(size)")
        var data = Data(count: size)
        data.withUnsafeMutableBytes { DemoPattern.fill($0, offset: 0) }
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let expectedHash = String(data.withUnsafeBytes { DemoPattern.fnv1a($0) }, radix: 16)
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.80.2"], annotations: ["proxy-body-size": "0"])
        let portico = proxy.portico
        // With content-length (curl knows the file's size), then without (from standard input:
        // Portico frames it chunked for the HTTP/1.1 upstream).
        let sized = try proxy.curl.get("b.test", "/upload", ["--http2", "-k", "--data-binary", "@\(file.path)"], tls: true)
        #expect(sized.statusLine.hasPrefix("HTTP/2 200"))
        #expect(sized.report["body-bytes"] == String(size))
        #expect(sized.report["body-fnv1a"] == expectedHash)
        let unsized = try Curl.run(
            ["--http2-prior-knowledge", "--resolve", "b.test:\(portico.port):127.0.0.1", "http://b.test:\(portico.port)/upload",
             "-T", "-"], input: file)
        #expect(unsized.report["body-bytes"] == String(size))
        #expect(unsized.report["body-fnv1a"] == expectedHash)
        #expect(unsized.report["header transfer-encoding"] == "chunked")
        for path in ["/__download/\(size)", "/__chunked/\(size)"] {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("portico-h2-download-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: output) }
            let download = try Curl.run(
                ["--http2", "-k", "--resolve", "b.test:\(portico.httpsPort):127.0.0.1", "https://b.test:\(portico.httpsPort)\(path)"],
                output: output)
            #expect(download.exitCode == 0, "\(path): curl exit \(download.exitCode)")
            #expect(download.statusLine.hasPrefix("HTTP/2 200"))
            #expect(try Data(contentsOf: output) == data, "\(path) arrived intact")
        }
        await proxy.stop()
    }

    @Test func h2loadCompletesEveryRequest() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.80.3"])
        let portico = proxy.portico
        for url in ["http://127.0.0.1:\(portico.port)/load", "https://127.0.0.1:\(portico.httpsPort)/load"] {
            let output = try Command.output("/usr/bin/h2load", ["-n", "2000", "-c", "4", "-m", "16", url])
            #expect(output.contains("requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored"), "\(url): \(output)")
            #expect(output.contains("status codes: 2000 2xx"), "\(url)")
        }
        await proxy.stop()
    }

    @Test func floodsAndResetsEndOnlyTheAttackersConnection() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.80.4"])
        let port = proxy.port
        // Rapid reset (CVE-2023-44487): swift-nio-http2 allows 200 RST_STREAM in 30 s.
        let reset = try Self.peer(port: port, ["rapid-reset", "--count", "2000"])
        #expect(reset["goaway"] as? String == "ENHANCE_YOUR_CALM", "\(reset)")
        #expect((reset["sent"] as? Int ?? 0) < 2000)
        #expect(reset["after"] as? Bool == true)
        // CONTINUATION flood (CVE-2024-27316 class): at most 5 in a row.
        let continuation = try Self.peer(port: port, ["continuation-flood"])
        #expect(["ENHANCE_YOUR_CALM", "PROTOCOL_ERROR"].contains(continuation["goaway"] as? String), "\(continuation)")
        #expect(continuation["after"] as? Bool == true)
        // HPACK bomb: 5 KiB on the wire, 8 MB decoded, past SETTINGS_MAX_HEADER_LIST_SIZE.
        let bomb = try Self.peer(port: port, ["hpack-bomb"])
        #expect(bomb["goaway"] as? String != nil || !((bomb["resets"] as? [String: Int]) ?? [:]).isEmpty, "\(bomb)")
        #expect(bomb["headers"] as? Int == 0)
        #expect(bomb["after"] as? Bool == true)
        // SETTINGS flood: the control-frame rate limit.
        let settings = try Self.peer(port: port, ["settings-flood"])
        #expect(settings["goaway"] as? String == "ENHANCE_YOUR_CALM", "\(settings)")
        #expect(settings["after"] as? Bool == true)
        let leaked = Self.received(proxy).filter { $0.contains("/continuation") || $0.contains("/hpack-bomb") }
        #expect(leaked.isEmpty, "\(leaked)")
        // Reset streams never reached the backend as whole exchanges beyond the few in flight.
        let resetRequests = Self.received(proxy).filter { $0.contains("/rapid-reset-") }.count
        #expect(resetRequests < 250, "\(resetRequests) reset requests reached the backend")
        #expect(proxy.portico.process.isRunning)
        await proxy.stop()
    }

    /// `http2-max-concurrent-streams` is advertised; a client that respects it (h2load asking
    /// for 32 at once) is served in full, one that opens more is cut off (swift-nio-http2 makes
    /// it a connection error, PROTOCOL_ERROR; nginx refuses the extra streams one by one), and
    /// no more than the limit reached the backend.
    @Test func streamsPastTheLimitAreRefused() async throws {
        let proxy = try await Self.proxyWithConfigMap(["http2-max-concurrent-streams": "8"], address: "127.0.80.5")
        let limit = try Self.peer(port: proxy.port, ["stream-limit", "--count", "20"])
        #expect(limit["advertised"] as? Int == 8, "\(limit)")
        let resets = limit["resets"] as? [String: Int] ?? [:]
        #expect(limit["goaway"] as? String == "PROTOCOL_ERROR" || resets["REFUSED_STREAM"] ?? 0 >= 12, "\(limit)")
        try await Task.sleep(for: .milliseconds(300))
        let reached = Self.received(proxy).filter { $0.contains("/stream-limit-") }.count
        #expect(reached <= 8, "\(reached) streams reached the backend")
        let output = try Command.output("/usr/bin/h2load", ["-n", "500", "-c", "1", "-m", "32", "http://127.0.0.1:\(proxy.port)/load"])
        #expect(output.contains("500 succeeded, 0 failed, 0 errored"), "\(output)")
        await proxy.stop()
    }

    @Test func h2ToH1SmugglingNeverReachesTheBackend() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.80.6"])
        let cases = try Self.peer(port: proxy.port, ["smuggle"])
        #expect(cases.count >= 15)
        for (name, value) in cases {
            let result = value as? [String: Any] ?? [:]
            let reset = result["reset"] as? String
            let status = result["status"] as? Int
            #expect(reset == "PROTOCOL_ERROR" || status == 400, "\(name): \(result)")
            #expect(result["goaway"] == nil || result["goaway"] is NSNull, "\(name): only the stream fails: \(result)")
            #expect(result["usable"] as? Bool == true, "\(name): the connection still serves")
        }
        let received = Self.received(proxy)
        let leaked = received.filter { $0.contains(" /m-") || $0.contains("/smuggled") }
        #expect(leaked.isEmpty, "reached the backend: \(leaked)")
        #expect(received.contains { $0.contains("/still-usable") })
        await proxy.stop()
    }

    /// `http2-max-header-size` is the SETTINGS_MAX_HEADER_LIST_SIZE a header block must fit.
    @Test func http2MaxHeaderSizeBoundsTheHeaderList() async throws {
        let proxy = try await Self.proxyWithConfigMap(["http2-max-header-size": "2k"], address: "127.0.80.12")
        let small = try Self.peer(port: proxy.port, ["get", "--path", "/small", "--header-bytes", "1000"])
        #expect(small["statuses"] as? [Int] == [200], "\(small)")
        let big = try Self.peer(port: proxy.port, ["get", "--path", "/big", "--header-bytes", "3000"])
        #expect(big["statuses"] as? [Int] == [], "\(big)")
        #expect(big["goaway"] as? String != nil || !(big["resets"] as? [String] ?? []).isEmpty, "\(big)")
        #expect(!Self.received(proxy).contains { $0.contains("/big") })
        await proxy.stop()
    }

    @Test func useHTTP2FalseTurnsItOff() async throws {
        let proxy = try await Self.proxyWithConfigMap(["use-http2": "false"], address: "127.0.80.7")
        let portico = proxy.portico
        let alpn = try OpenSSLClient.connect(port: portico.httpsPort, serverName: "a.test", extra: ["-alpn", "h2,http/1.1"])
        #expect(alpn.output.contains("ALPN protocol: http/1.1"), "\(alpn.output)")
        let preface = try RawHTTP.exchange(port: portico.port, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", timeout: 3)
        #expect(preface.hasPrefix("HTTP/1.1 505 "), "\(preface.prefix(40))")
        await proxy.stop()
    }

    /// SIGTERM: GOAWAY (NO_ERROR) at once, the stream in flight (open on the server: it acknowledged
    /// a PING sent after its HEADERS) still gets its whole answer, then the connection closes.
    @Test func shutdownSendsGoAwayAndFinishesTheRequestInFlight() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.80.8"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.tool, "--port", String(proxy.port), "goaway-in-flight", "--seconds", "15"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reader = pipe.fileHandleForReading
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while !text.contains("\"ready\"") && Date() < deadline {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        #expect(text.contains("\"ready\": true"), "\(text)")
        proxy.portico.terminate()
        text += String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(text.contains("\"goaway\": \"NO_ERROR\""), "\(text)")
        #expect(text.contains("\"slow\": 200, \"slow_ended\": true"), "the request in flight finished: \(text)")
        #expect(text.contains("\"closed\": true"), "then the connection closed: \(text)")
        await proxy.backends.stop()
    }

    /// nginx ≥ 1.19.7 ends an HTTP/2 connection after `keepalive_requests` streams and when it
    /// has been idle for `keepalive_timeout`: GOAWAY (NO_ERROR) both times.
    @Test func keepAliveRequestsAndTimeoutEndConnectionsWithGoAway() async throws {
        let counting = try await Self.proxyWithConfigMap(["keep-alive-requests": "3"], address: "127.0.80.9")
        let counted = try Self.peer(port: counting.port, ["many-then-goaway", "--count", "10", "--seconds", "3"])
        #expect(counted["goaway"] as? String == "NO_ERROR", "\(counted)")
        // GOAWAY follows the third stream; a stream or two the client opened before it read the
        // GOAWAY may still be served (the graceful GOAWAY is two-step, RFC 9113 §6.8).
        let answered = counted["answered"] as? Int ?? 0
        #expect(answered >= 3 && answered < 10, "\(counted)")
        await counting.stop()
        let idling = try await Self.proxyWithConfigMap(["keep-alive": "1"], address: "127.0.80.10")
        let idle = try Self.peer(port: idling.port, ["many-then-goaway", "--count", "1", "--seconds", "5"])
        #expect(idle["goaway"] as? String == "NO_ERROR", "\(idle)")
        let waited = idle["waited"] as? Double ?? 99
        #expect(waited > 0.5 && waited < 3, "GOAWAY after the 1 s keep-alive timeout, not \(waited) s")
        await idling.stop()
    }

    /// A reload while an HTTP/2 connection is open: its next streams take the new routes, and
    /// the connection stays (no GOAWAY).
    @Test func aReloadAppliesToTheNextStreamsOfAnOpenConnection() async throws {
        let backends = try await TestBackends(addresses: ["127.0.80.11"], page: "x")
        let service = RulesDirectory.service("svc", port: backends.port, ready: ["127.0.80.11"])
        let rules = try RulesDirectory([
            "rules.yaml": service + RulesDirectory.ingress("ing", host: nil, paths: [("/live", "Prefix", "svc")]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.tool, "--port", String(portico.port), "sequence", "--count", "160", "--interval", "0.25", "--path", "/live", "--until", "404"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        // After the first answers, the Ingress's path moves elsewhere.
        try await Task.sleep(for: .milliseconds(800))
        try (service + RulesDirectory.ingress("ing", host: nil, paths: [("/elsewhere", "Prefix", "svc")]))
            .write(to: rules.url.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let report = text.split(separator: "\n").last,
            let object = try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any]
        else { throw HarnessError("h2_peer sequence printed: \(text)") }
        let statuses = object["sequence"] as? [Int] ?? []
        // Up to 40 s for the reload: a debug build under the whole suite on two cores is slow.
        #expect(statuses.count < 160, "the reload never reached the open connection: \(text)")
        #expect(statuses.first == 200 && statuses.last == 404, "old routes first, the new ones after the reload: \(statuses)")
        #expect(object["goaway"] is NSNull && object["closed"] as? Bool == false, "one connection throughout: \(object)")
        await backends.stop()
    }

    /// One Service behind one Ingress, with the controller ConfigMap `data`.
    static func proxyWithConfigMap(_ data: [String: String], address: String) async throws -> SingleServiceProxy {
        let backends = try await TestBackends(addresses: [address], page: "x")
        let rules = try RulesDirectory([
            "rules.yaml": RulesDirectory.service("svc", port: backends.port, ready: [address])
                + RulesDirectory.ingress("ing", host: nil, paths: [("/", "Prefix", "svc")]),
            "configmap.yaml": ControllerSettingsTests.configMap(data),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ControllerSettingsTests.arguments)
        return SingleServiceProxy(backends: backends, portico: portico)
    }
}
