import NIOConcurrencyHelpers
import Foundation
import Testing

/// The real binary in front of real backends, driven by the real curl.
@Suite(.serialized) struct ProxyingTests {
    @Test func forwardedHeadersPathAndHostReachTheEndpoint() async throws {
        let backends = try await TestBackends(addresses: ["127.0.10.1"], page: "<h1>echo</h1>")
        let rules = try RulesDirectory([
            "rules.yaml": RulesDirectory.service("echo", port: backends.port, ready: ["127.0.10.1"])
                + RulesDirectory.ingress("echo", host: "*.nip.io", paths: [("/app", "Prefix", "echo")]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        let curl = Curl(port: portico.port, httpsPort: portico.httpsPort)

        let response = try curl.get(
            "10-0-0-1.nip.io", "/app/a%20b/c?q=1&r=2",
            ["-H", "X-Forwarded-For: 203.0.113.9", "-H", "X-Real-IP: 6.6.6.6", "-H", "X_Evil: 1", "-H", "X-Request-ID: req-42"])
        let report = response.report
        #expect(response.status == 200)
        #expect(report["endpoint"] == "127.0.10.1:\(backends.port)")  // straight to the endpoint
        #expect(report["path"] == "/app/a%20b/c?q=1&r=2")  // raw target kept, query included
        #expect(report["header host"] == "10-0-0-1.nip.io:\(portico.port)")  // client's Host, port kept
        #expect(report["header x-forwarded-for"] == "127.0.0.1")
        #expect(report["header x-original-forwarded-for"] == "203.0.113.9")
        #expect(report["header x-real-ip"] == "127.0.0.1")
        #expect(report["header x-forwarded-host"] == "10-0-0-1.nip.io:\(portico.port)")
        #expect(report["header x-forwarded-port"] == String(portico.port))
        #expect(report["header x-forwarded-proto"] == "http")
        #expect(report["header x-forwarded-scheme"] == "http")
        #expect(report["header x-scheme"] == "http")
        #expect(report["header x-request-id"] == "req-42")
        #expect(report["header x_evil"] == nil)

        let generated = try curl.get("a.nip.io", "/app").report["header x-request-id"] ?? ""
        #expect(generated.count == 32 && generated.allSatisfy(\.isHexDigit))

        portico.terminate()
        let log = try String(contentsOf: portico.accessLog, encoding: .utf8)
        #expect(log.contains("\"GET /app/a%20b/c?q=1&r=2 HTTP/1.1\" 200"))
        // ingress-nginx's upstreaminfo: upstream name, no canary, the endpoint, the client's request ID.
        #expect(log.contains("[default-echo-80] [] 127.0.10.1:\(backends.port) "), "\(log)")
        #expect(log.contains(" 200 req-42\n"), "\(log)")
        await backends.stop()
    }

    @Test func routingSemanticsThroughTheProxy() async throws {
        let backends = try await TestBackends(addresses: ["127.0.11.1", "127.0.11.2", "127.0.11.3"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("exact", port: backends.port, ready: ["127.0.11.1"])
                + RulesDirectory.service("prefix", port: backends.port, ready: ["127.0.11.2"])
                + RulesDirectory.service("root", port: backends.port, ready: ["127.0.11.3"])
                + RulesDirectory.service("empty", port: backends.port, ready: [], notReady: ["127.0.11.1"])
                + RulesDirectory.ingress(
                    "paths", host: "shop.test",
                    paths: [("/foo", "Exact", "exact"), ("/foo/", "Prefix", "prefix"), ("/", "Prefix", "root"),
                            ("/down", "Prefix", "empty"), ("/gone", "Prefix", "missing")]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port, httpsPort: portico.httpsPort)
        func endpoint(_ host: String, _ path: String) throws -> String? {
            try curl.get(host, path).report["endpoint"]?.split(separator: ":").first.map(String.init)
        }
        #expect(try endpoint("shop.test", "/foo") == "127.0.11.1")  // Exact beats Prefix
        #expect(try endpoint("SHOP.test", "/foo/") == "127.0.11.2")  // host is case-insensitive
        #expect(try endpoint("shop.test", "/foo/bar") == "127.0.11.2")
        #expect(try endpoint("shop.test", "/foobar") == "127.0.11.3")  // element-wise Prefix
        #expect(try endpoint("shop.test", "/foo/./bar/../baz") == "127.0.11.2")  // normalised before matching
        #expect(try curl.get("other.test", "/foo").status == 404)  // no rule for the host
        #expect(try curl.get("shop.test", "/down").status == 503)  // no ready endpoint
        #expect(try curl.get("shop.test", "/gone").status == 503)  // Service missing
        #expect(try curl.get("shop.test", "/../etc/passwd", ["--path-as-is"]).status == 400)
        await backends.stop()
    }

    @Test func rewriteForwardedPrefixAndAppRoot() async throws {
        let backends = try await TestBackends(addresses: ["127.0.16.1"], page: "x")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.16.1"]) + """
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata:
                  name: app
                  annotations:
                    nginx.ingress.kubernetes.io/rewrite-target: /$2
                    nginx.ingress.kubernetes.io/x-forwarded-prefix: /api
                    nginx.ingress.kubernetes.io/app-root: /app1
                spec:
                  rules:
                    - host: app.test
                      http: {paths: [{path: "/api(/|$)(.*)", pathType: ImplementationSpecific, backend: {service: {name: svc, port: {number: 80}}}}]}
                """,
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port, httpsPort: portico.httpsPort)
        let response = try curl.get("app.test", "/API/v1/items?page=2", ["-H", "X-Forwarded-Prefix: /spoofed"])
        #expect(response.report["path"] == "/v1/items?page=2")
        #expect(response.report["header x-forwarded-prefix"] == "/api")
        let root = try curl.get("app.test", "/?ignored=1")
        #expect(root.status == 302)
        #expect(root.headers["location"] == "http://app.test:\(portico.port)/app1")
        await backends.stop()
    }

    @Test func keepAliveOnBothSides() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.12.1"], extraArguments: ["--workers", "1"])
        let portico = proxy.portico
        // Three requests on one client connection (pipelined in one write): answered in order,
        // and the upstream connection is reused from the pool.
        let request = "GET /1 HTTP/1.1\r\nHost: k.test\r\n\r\nGET /2 HTTP/1.1\r\nHost: k.test\r\n\r\nGET /3 HTTP/1.1\r\nHost: k.test\r\nConnection: close\r\n\r\n"
        let answer = try RawHTTP.exchange(port: portico.port, request)
        #expect(answer.components(separatedBy: "HTTP/1.1 200 OK").count == 4)
        let paths = answer.split(separator: "\n").filter { $0.hasPrefix("path: ") }
        #expect(paths == ["path: /1", "path: /2", "path: /3"])
        let reuse = answer.split(separator: "\n").filter { $0.hasPrefix("connection-requests: ") }
        #expect(reuse.last == "connection-requests: 3")
        await proxy.stop()
    }

    @Test func expectContinueIsAnsweredByTheProxy() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.14.1"])
        let portico = proxy.portico
        // curl sends `Expect: 100-continue` for bodies over 1 KiB and waits up to 1 s for it.
        let file = try TemporaryDirectory.make().appendingPathComponent("body")
        try Data(repeating: UInt8(ascii: "a"), count: 200_000).write(to: file)
        let started = Date()
        let response = try Curl(port: portico.port, httpsPort: portico.httpsPort).get(
            "e.test", "/upload", ["--expect100-timeout", "5", "--data-binary", "@\(file.path)"])
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(response.report["body-bytes"] == "200000")
        #expect(response.report["header expect"] == nil)  // not forwarded, as nginx does
        let refused = try RawHTTP.exchange(port: portico.port, "POST / HTTP/1.1\r\nHost: e\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx")
        #expect(refused.hasPrefix("HTTP/1.1 417"))
        await proxy.stop()
    }

    @Test func bodiesOverProxyBodySizeGet413() async throws {
        let defaultLimit = try await SingleServiceProxy.start(addresses: ["127.0.17.1"])
        let file = try TemporaryDirectory.make().appendingPathComponent("body")
        try Data(count: 2 * 1024 * 1024).write(to: file)
        // ingress-nginx's default: 1 MiB.
        #expect(try defaultLimit.curl.get("b.test", "/", ["--data-binary", "@\(file.path)"]).status == 413)
        #expect(try defaultLimit.curl.get("b.test", "/", ["--data-binary", "@\(file.path)", "-H", "Transfer-Encoding: chunked"]).status == 413)
        #expect(try defaultLimit.curl.get("b.test", "/", ["--data", "small"]).status == 200)
        await defaultLimit.stop()

        let small = try await SingleServiceProxy.start(addresses: ["127.0.17.2"], annotations: ["proxy-body-size": "8k"])
        #expect(try small.curl.get("b.test", "/", ["--data-binary", "@\(file.path)"]).status == 413)
        #expect(try small.curl.get("b.test", "/", ["--data", String(repeating: "x", count: 8000)]).status == 200)
        await small.stop()
    }

    @Test func sourceAllowListGives403ToOthers() async throws {
        let proxy = try await SingleServiceProxy.start(
            addresses: ["127.0.18.1"], annotations: ["whitelist-source-range": "127.0.70.0/24, 127.0.71.5"])
        func status(from source: String) throws -> Int {
            try proxy.curl.get("w.test", "/", ["--interface", source]).status
        }
        #expect(try status(from: "127.0.70.9") == 200)
        #expect(try status(from: "127.0.71.5") == 200)
        #expect(try status(from: "127.0.71.6") == 403)
        #expect(try status(from: "127.0.0.1") == 403)
        await proxy.stop()
    }

    @Test func sourceDenyListGives403ToThose() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.18.2"], annotations: ["denylist-source-range": "127.0.72.0/24"])
        #expect(try proxy.curl.get("w.test", "/", ["--interface", "127.0.72.9"]).status == 403)
        #expect(try proxy.curl.get("w.test", "/", ["--interface", "127.0.73.1"]).status == 200)
        await proxy.stop()
    }

    @Test func forwardedForIsBelievedOnlyFromTrustedProxies() async throws {
        let proxy = try await SingleServiceProxy.start(
            addresses: ["127.0.19.1"], extraArguments: ["--trusted-proxies", "127.0.80.0/24"],
            annotations: ["allowlist-source-range": "203.0.113.0/24"])
        let chain = ["-H", "X-Forwarded-For: 203.0.113.7, 127.0.80.9"]
        // Through a trusted proxy: the client is the rightmost untrusted address, the chain grows.
        let trusted = try proxy.curl.get("t.test", "/", chain + ["--interface", "127.0.80.1"])
        #expect(trusted.status == 200)  // the allow-list sees 203.0.113.7
        #expect(trusted.report["header x-real-ip"] == "203.0.113.7")
        #expect(trusted.report["header x-forwarded-for"] == "203.0.113.7, 127.0.80.9, 127.0.80.1")
        // From anyone else the header is not believed.
        let untrusted = try proxy.curl.get("t.test", "/", chain + ["--interface", "127.0.81.1"])
        #expect(untrusted.status == 403)
        await proxy.stop()

        let open = try await SingleServiceProxy.start(addresses: ["127.0.19.2"], extraArguments: ["--trusted-proxies", "127.0.80.0/24"])
        let direct = try open.curl.get("t.test", "/", chain + ["--interface", "127.0.81.1"])
        #expect(direct.report["header x-real-ip"] == "127.0.81.1")
        #expect(direct.report["header x-forwarded-for"] == "127.0.81.1")
        #expect(direct.report["header x-original-forwarded-for"] == "203.0.113.7, 127.0.80.9")
        await open.stop()
    }

    @Test func http10ClientsGetADechunkedBodyAndAClose() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.15.1"])
        let portico = proxy.portico
        let answer = try RawHTTP.exchangeBytes(port: portico.port, "GET /__chunked/300 HTTP/1.0\r\nHost: o.test\r\n\r\n")
        let separator = try #require((0..<(answer.count - 3)).first { Array(answer[$0..<($0 + 4)]) == Array("\r\n\r\n".utf8) })
        let head = String(decoding: answer[..<separator], as: UTF8.self)
        let body = Array(answer[(separator + 4)...])
        #expect(head.hasPrefix("HTTP/1.1 200"))
        #expect(!head.lowercased().contains("transfer-encoding"))
        #expect(head.contains("Connection: close"))
        #expect(body == (0..<300).map { UInt8($0 % 251) })  // the data alone, no chunk framing
        await proxy.stop()
    }

    /// h2csmuggler's attack: `Upgrade: h2c` through an exposed path would become a raw tunnel
    /// to the whole backend. Only `websocket` is forwarded by default: h2c reaches the backend
    /// as a plain request, and a backend that switches anyway (a 101 nobody asked for) is 502.
    @Test func h2cUpgradesAreNeverForwarded() async throws {
        let heads = NIOLockedValueBox<[String]>([])
        let backend = try ScriptedServer(host: "127.0.19.10") { client, head in
            let text = String(decoding: head, as: UTF8.self)
            heads.withLockedValue { $0.append(text) }
            if text.contains("/rogue") {
                ScriptedServer.send(client, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n")
            } else {
                ScriptedServer.send(client, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nplain")
            }
        }
        let portico = try backend.behindPortico()
        defer { portico.terminate() }
        let smuggle = "GET /h2c HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\n"
        let answer = try RawHTTP.exchange(port: portico.port, smuggle)
        #expect(answer.hasPrefix("HTTP/1.1 200 "), "\(answer.prefix(60))")
        let forwarded = try #require(heads.withLockedValue { $0.first })
        #expect(!forwarded.lowercased().contains("upgrade"), "\(forwarded)")
        #expect(!forwarded.contains("HTTP2-Settings"))
        // A mixed list is refused as a whole; the rogue 101 is never relayed.
        let mixed = try RawHTTP.exchange(
            port: portico.port, "GET /rogue HTTP/1.1\r\nHost: h\r\nUpgrade: websocket, h2c\r\nConnection: Upgrade\r\n\r\n")
        #expect(mixed.hasPrefix("HTTP/1.1 502 "), "\(mixed.prefix(60))")
    }

    /// An upstream that answers before reading the body (401, 413, nginx `return 200`): the
    /// answer must say `Connection: close`, so a keep-alive client (ab -k) never sends its next
    /// request into a connection about to close.
    @Test func anEarlyUpstreamAnswerClosesTheConnectionItAnnounces() async throws {
        let backend = try ScriptedServer(host: "127.0.19.11") { client, _ in
            ScriptedServer.send(client, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nnope")
            usleep(300_000)
        }
        let portico = try backend.behindPortico(annotations: ["nginx.ingress.kubernetes.io/proxy-body-size": "0"])
        defer { portico.terminate() }
        let fd = try #require(RawHTTP.connect(port: portico.port))
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        ScriptedServer.send(fd, "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\n")
        ScriptedServer.send(fd, String(repeating: "b", count: 65536))  // the rest never comes
        let answer = String(decoding: ScriptedServer.receiveAll(fd), as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 401 "), "\(answer.prefix(60))")
        #expect(answer.lowercased().contains("\r\nconnection: close\r\n"), "\(answer)")
        #expect(answer.hasSuffix("nope"))  // then the connection closed, as announced
        // …and the operator is told, once a second at most.
        var logged = false
        for _ in 0..<20 where !logged {
            logged = portico.log.contains("1 upstream answer(s) came before the request body was complete")
            if !logged { usleep(100_000) }
        }
        #expect(logged, "\(portico.log.suffix(300))")
    }

    @Test func webSocketUpgradesBecomeATunnel() async throws {
        let echo = try UpgradeEchoServer.start(host: "127.0.19.9")
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("ws", port: echo.port, ready: ["127.0.19.9"])
                + RulesDirectory.ingress("ws", host: nil, paths: [("/", "Prefix", "ws")]),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--upstream-read-timeout", "1.5"])
        defer { portico.terminate() }
        let fd = try #require(RawHTTP.connect(port: portico.port))
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        func send(_ text: String) {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        func receive(until marker: String) -> String {
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !String(decoding: received, as: UTF8.self).contains(marker) {
                let count = recv(fd, &buffer, buffer.count, 0)
                guard count > 0 else { break }
                received += buffer[0..<count]
            }
            return String(decoding: received, as: UTF8.self)
        }
        send("GET /chat HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n")
        let handshake = receive(until: "\r\n\r\n")
        #expect(handshake.hasPrefix("HTTP/1.1 101 Switching Protocols"))
        #expect(handshake.contains("Upgrade: websocket"))
        #expect(handshake.lowercased().contains("connection: upgrade"))  // RFC 6455 §4.1
        // Bytes now flow both ways untouched, several round trips on the same connection.
        for message in ["ping-1", "ping-2 with more text", "ping-3"] {
            send(message)
            #expect(receive(until: message).hasSuffix(message))
        }
        // Traffic keeps the tunnel open past the read timeout (1.5 s here)…
        for index in 0..<5 {
            usleep(500_000)
            send("keep-\(index)")
            #expect(receive(until: "keep-\(index)").hasSuffix("keep-\(index)"))
        }
        // …and a tunnel idle both ways for it is closed, as ingress-nginx closes idle WebSockets.
        let idleStart = Date()
        var byte: UInt8 = 0
        #expect(recv(fd, &byte, 1, 0) == 0)  // orderly close, within the 5 s receive timeout
        let idle = Date().timeIntervalSince(idleStart)
        #expect(idle > 1 && idle < 4, "closed after \(idle) s")
    }

    @Test func smugglingAttemptsAreRefusedAndTheConnectionClosed() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.13.1"])
        let portico = proxy.portico
        let answer = try RawHTTP.exchange(
            port: portico.port,
            "POST / HTTP/1.1\r\nHost: s.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: s.test\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 400 Bad Request"))
        #expect(!answer.contains("smuggled"))
        #expect(answer.components(separatedBy: "HTTP/1.1").count == 2)  // one response, then close
        await proxy.stop()
    }
}
