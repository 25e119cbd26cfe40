import NIOConcurrencyHelpers
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hostile clients and broken backends, over raw sockets, with a backend that records what
/// reached it: nothing malformed gets through, nothing takes Portico down.
@Suite(.serialized) struct HostileClientTests {
    /// Each request is refused with its status, and its marker path never reaches the backend.
    static let refused: [(name: String, request: String, status: Int)] = [
        ("CL and TE", "POST /m1 HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("two CL", "POST /m2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
        ("CL list", "POST /m3 HTTP/1.1\r\nHost: h\r\nContent-Length: 4, 4\r\n\r\nabcd", 400),
        ("CL sign", "POST /m4 HTTP/1.1\r\nHost: h\r\nContent-Length: +4\r\n\r\nabcd", 400),
        ("TE not chunked", "POST /m5 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("TE chunked not last", "POST /m6 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 501),
        ("TE on 1.0", "POST /m7 HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("obs-fold", "GET /m8 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n 2\r\n\r\n", 400),
        ("space before colon", "GET /m9 HTTP/1.1\r\nHost: h\r\nX-A : 1\r\n\r\n", 400),
        ("bare LF", "GET /m10 HTTP/1.1\nHost: h\n\n", 400),
        ("NUL in value", "GET /m11 HTTP/1.1\r\nHost: h\r\nX-A: a\u{0}b\r\n\r\n", 400),
        ("CTL in name", "GET /m12 HTTP/1.1\r\nHost: h\r\nX\u{1}A: 1\r\n\r\n", 400),
        ("CTL in target", "GET /m13\u{7f}x HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("no Host", "GET /m14 HTTP/1.1\r\n\r\n", 400),
        ("two Hosts", "GET /m15 HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n", 400),
        ("invalid Host", "GET /m16 HTTP/1.1\r\nHost: h/../x\r\n\r\n", 400),
        ("HTTP/2 request line", "GET /m17 HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        ("header too large", "GET /m18 HTTP/1.1\r\nHost: h\r\nX-A: \(String(repeating: "a", count: 40_000))\r\n\r\n", 431),
        ("two equal Content-Lengths", "POST /m19 HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd", 400),
        ("HTTP/0.9 request line", "GET /m25\r\n", 400),
        ("URI too long", "GET /m20/\(String(repeating: "a", count: 10_000)) HTTP/1.1\r\nHost: h\r\n\r\n", 414),
        ("body too large", "POST /m21 HTTP/1.1\r\nHost: h\r\nContent-Length: 2000000\r\n\r\n", 413),
        ("absolute https target, bad host", "GET http:///m22 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("encoded NUL in path", "GET /m23%00 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("dot segments above root", "GET /../m24 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    ]

    @Test func malformedRequestsAreRefusedAndNeverReachTheBackend() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.70.1"])
        var wrong: [String] = []
        for (name, request, status) in Self.refused {
            let answer = try RawHTTP.exchange(port: proxy.port, request, timeout: 3)
            if !answer.hasPrefix("HTTP/1.1 \(status) ") { wrong.append("\(name): \(answer.prefix(40))") }
            // Portico's own answers carry Date (RFC 9110 §6.6.1).
            if answer.range(of: "\r\nDate: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT\r\n", options: .regularExpression) == nil {
                wrong.append("\(name): no Date")
            }
            // One answer, then the connection closes (nothing left in it is read as a request).
            if answer.components(separatedBy: "HTTP/1.1 ").count != 2 { wrong.append("\(name): more than one response") }
        }
        #expect(wrong.isEmpty, "\(wrong)")
        // Canonical requests still pass on the same server, and only those reached the backend.
        #expect(try RawHTTP.exchange(port: proxy.port, "GET /ok HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").hasPrefix("HTTP/1.1 200 "))
        #expect(try RawHTTP.exchange(port: proxy.port, "GET http://h HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").hasPrefix("HTTP/1.1 200 "))
        // A fragment is never part of the target sent upstream.
        #expect(try RawHTTP.exchange(port: proxy.port, "GET /frag?q=1#secret HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").hasPrefix("HTTP/1.1 200 "))
        let received = proxy.backends.statistics.received
        #expect(received.contains("END GET /frag?q=1 0"), "\(received)")
        #expect(!received.contains { $0.contains("secret") })
        #expect(received.contains("END GET /ok 0"))
        #expect(received.contains("END GET / 0"))  // http://h arrives as origin-form `/`
        let leaked = received.filter { line in line.contains(" /m") }
        #expect(leaked.isEmpty, "reached the backend: \(leaked)")
        await proxy.stop()
    }

    @Test func invalidChunkedBodiesNeverCompleteUpstream() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.70.2"])
        let bodies = [
            ("bad size", "zz\r\nhello\r\n0\r\n\r\n"),
            ("size overflow", "fffffffffffffffffff\r\nx\r\n0\r\n\r\n"),
            ("CTL in extension", "5;a=\u{1}\r\nhello\r\n0\r\n\r\n"),
            ("missing CRLF after data", "5\r\nhelloX0\r\n\r\n"),
            ("bare LF size line", "5\nhello\r\n0\r\n\r\n"),
        ]
        for (index, (name, body)) in bodies.enumerated() {
            let answer = try RawHTTP.exchange(
                port: proxy.port, "POST /chunk\(index) HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\(body)", timeout: 3)
            #expect(answer.isEmpty || answer.hasPrefix("HTTP/1.1 400 ") || answer.hasPrefix("HTTP/1.1 502 "), "\(name): \(answer.prefix(60))")
        }
        let completed = proxy.backends.statistics.received.filter { $0.hasPrefix("END POST /chunk") }
        #expect(completed.isEmpty, "completed upstream: \(completed)")
        await proxy.stop()
    }

    /// Request trailers are checked like head fields and dropped (nginx drops them); bytes
    /// posing as trailers, a second request after the last chunk, fail the body with 400 and the
    /// upstream never gets a complete message.
    @Test func chunkedTrailersAreDroppedAndFakeOnesRefused() async throws {
        let received = NIOLockedValueBox<[String]>([])
        let backend = try ScriptedServer(host: "127.0.70.10") { client, head in
            var bytes = head
            var buffer = [UInt8](repeating: 0, count: 4096)
            // Read until the chunked body ends (or the proxy closes the connection).
            while !String(decoding: bytes, as: UTF8.self).hasSuffix("0\r\n\r\n") {
                let count = recv(client, &buffer, buffer.count, 0)
                guard count > 0 else { break }
                bytes += buffer[0..<count]
            }
            received.withLockedValue { $0.append(String(decoding: bytes, as: UTF8.self)) }
            ScriptedServer.send(client, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        }
        let portico = try backend.behindPortico()
        defer { portico.terminate() }
        let head = "POST /t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        let good = try RawHTTP.exchange(port: portico.port, head + "5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n")
        #expect(good.hasPrefix("HTTP/1.1 200 "), "\(good.prefix(60))")
        let forwarded = try #require(received.withLockedValue { $0.first })
        #expect(forwarded.hasSuffix("5\r\nhello\r\n0\r\n\r\n"), "\(forwarded)")
        #expect(!forwarded.contains("X-Checksum"))
        for fake in ["0\r\nX: y\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n", "0\r\nX-A : 1\r\n\r\n", "0\r\nX-A: 1\n\r\n"] {
            // The backend never answers an unfinished body, so the 400 is Portico's, every time.
            let answer = try RawHTTP.exchange(port: portico.port, head + "5\r\nhello\r\n" + fake, timeout: 3)
            #expect(answer.hasPrefix("HTTP/1.1 400 "), "\(fake): \(answer.prefix(60))")
        }
        let all = received.withLockedValue { $0 }
        #expect(!all.contains { $0.contains("smuggled") || $0.contains("X-A") }, "\(all)")
        // Only the good body was ever complete upstream.
        #expect(all.filter { $0.hasSuffix("0\r\n\r\n") }.count == 1, "\(all)")
    }

    /// A byte every 300 ms resets client_body_timeout on every read; the minimum rate still
    /// ends it (408) once a window has passed, while a normal upload on the same server passes.
    @Test func aDribbledBodyIsCutOffByTheMinimumRate() async throws {
        let proxy = try await SingleServiceProxy.start(
            addresses: ["127.0.70.11"],
            extraArguments: ["--client-body-min-rate", "100", "--client-body-rate-window", "1", "--client-body-timeout", "30"])
        guard let fd = RawHTTP.connect(port: proxy.port) else { throw CocoaError(.fileReadUnknown) }
        defer { close(fd) }
        ScriptedServer.send(fd, "POST /dribble HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n")
        let started = Date()
        var answer = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        var flags = fcntl(fd, F_GETFL)
        flags |= O_NONBLOCK
        _ = fcntl(fd, F_SETFL, flags)
        while Date().timeIntervalSince(started) < 8, answer.isEmpty {
            ScriptedServer.send(fd, "x")
            usleep(300_000)
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 { answer = String(decoding: buffer[0..<count], as: UTF8.self) }
        }
        #expect(answer.hasPrefix("HTTP/1.1 408 "), "\(answer.prefix(60))")
        #expect(Date().timeIntervalSince(started) < 4)
        let upload = String(repeating: "u", count: 50_000)
        let ok = try RawHTTP.exchange(
            port: proxy.port, "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 50000\r\nConnection: close\r\n\r\n\(upload)")
        #expect(ok.hasPrefix("HTTP/1.1 200 "), "\(ok.prefix(60))")
        await proxy.stop()
    }

    @Test func slowAndIdleClientsAreCutOff() async throws {
        let proxy = try await SingleServiceProxy.start(
            addresses: ["127.0.70.3"],
            extraArguments: ["--client-header-timeout", "1", "--client-body-timeout", "1", "--keepalive-timeout", "1.5"])
        // Slowloris: a head that never ends → 408 after the header timeout.
        var started = Date()
        let head = try RawHTTP.exchange(port: proxy.port, "GET /slow-head HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n", timeout: 6)
        #expect(head.hasPrefix("HTTP/1.1 408 "))
        #expect(Date().timeIntervalSince(started) < 4)
        // A body that stops halfway → 408 after the body timeout; the upstream never gets it whole.
        started = Date()
        let body = try RawHTTP.exchange(port: proxy.port, "POST /slow-body HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n0123456789", timeout: 6)
        #expect(body.hasPrefix("HTTP/1.1 408 "), "\(body.prefix(60))")
        #expect(Date().timeIntervalSince(started) < 4)
        #expect(!proxy.backends.statistics.received.contains { $0.hasPrefix("END POST /slow-body") })
        // An idle keep-alive connection is closed after the keep-alive timeout.
        started = Date()
        let idle = try RawHTTP.exchange(port: proxy.port, "GET /idle HTTP/1.1\r\nHost: h\r\n\r\n", timeout: 8)
        #expect(idle.hasPrefix("HTTP/1.1 200 "))
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed > 1 && elapsed < 5, "closed after \(elapsed) s")
        await proxy.stop()
    }

    @Test func connectionsBeyondTheCapAreClosedAndIdleOnesAreCheap() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.70.4"], extraArguments: ["--workers", "1", "--max-worker-connections", "400"])
        let before = Self.residentKiB(proxy.portico)
        var open: [Int32] = []
        for _ in 0..<400 {
            guard let fd = RawHTTP.connect(port: proxy.port) else { break }
            open.append(fd)
        }
        #expect(open.count == 400)
        // Every idle connection costs little: a handler and no buffers.
        try await Task.sleep(for: .milliseconds(500))
        let perConnection = Double(Self.residentKiB(proxy.portico) - before) / 400
        print("idle connection cost: \(perConnection) KiB")
        #expect(perConnection < 16)
        // The 401st is closed at once, without an answer.
        let refused = try RawHTTP.exchange(port: proxy.port, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", timeout: 3)
        #expect(refused.isEmpty)
        #expect(proxy.portico.log.contains("connection limit reached"))
        // Room again once some close.
        for fd in open.prefix(10) { close(fd) }
        #expect(LiveReloadTests.eventually(3) {
            (try? RawHTTP.exchange(port: proxy.port, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"))?.hasPrefix("HTTP/1.1 200 ") == true
        })
        for fd in open.dropFirst(10) { close(fd) }
        await proxy.stop()
    }

    static func residentKiB(_ portico: PorticoProcess) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(portico.process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
    }

    /// Upstream answers no proxy may pass on as they are.
    @Test(arguments: [
        ("invalid status line", "HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok", true),
        ("truncated head", "HTTP/1.1 200 OK\r\nContent-Len", true),
        ("differing Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nokokok", true),
        ("CL and TE", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", true),
        ("not HTTP", "SSH-2.0-OpenSSH_9.2\r\n\r\n", true),
        ("bare LF head, upstream keeps the connection open", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", true),
        ("40 KiB head", "HTTP/1.1 200 OK\r\nX-Big: \(String(repeating: "b", count: 40_000))\r\nContent-Length: 2\r\n\r\nok", false),
        ("body shorter than Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", false),
    ])
    func brokenUpstreamAnswersBecome502OrATruncatedClose(name: String, answer: String, expect502: Bool) async throws {
        let backend = try ScriptedServer(host: "127.0.70.9") { client, _ in
            ScriptedServer.send(client, answer)
            // Held open, a head Portico waited on would only end with the read timeout (60 s).
            if !answer.contains("\r") { usleep(6_000_000) }
        }
        let portico = try backend.behindPortico(annotations: ["nginx.ingress.kubernetes.io/proxy-next-upstream": "off"])
        defer { portico.terminate() }
        let response = try RawHTTP.exchange(port: portico.port, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", timeout: 5)
        if expect502 {
            #expect(response.hasPrefix("HTTP/1.1 502 "), "\(name): \(response.prefix(80))")
        } else {
            // Relayed. A body shorter than its Content-Length: the client gets fewer bytes and
            // the connection closes, so it cannot mistake it for a whole body. A head between the
            // request limit (32 KiB) and the response limit (64 KiB) passes whole.
            #expect(response.hasPrefix("HTTP/1.1 200 "), "\(name): \(response.prefix(80))")
            #expect(response.hasSuffix(answer.hasSuffix("only this") ? "only this" : "ok"))
        }
        _ = backend
    }

    /// Found by Benchmarks/soak.sh: a response that ended while its client was slow left the
    /// upstream connection with reading paused; pooled like that, the next request on it never
    /// saw its answer (504 after 60 s). Each slow download is followed by a request that must
    /// be answered at once on the same event loop's pool.
    @Test func aSlowClientsDownloadLeavesThePooledConnectionReading() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.70.5"], extraArguments: ["--workers", "1"])
        for round in 0..<3 {
            let fd = try #require(RawHTTP.connect(port: proxy.port, receiveBuffer: 4096))
            let request = Array("GET /__download/2000000 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n".utf8)
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            var received = 0
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count <= 0 { break }
                received += count
                usleep(200)  // slower than the upstream: back-pressure all the way to the end
            }
            close(fd)
            #expect(received > 2_000_000, "round \(round): \(received) bytes")
            let started = Date()
            let next = try proxy.curl.get("h", "/after-\(round)", ["--max-time", "5"])
            #expect(next.status == 200, "round \(round): \(next.status) after \(Date().timeIntervalSince(started)) s")
        }
        await proxy.stop()
    }

    /// proxy-read-timeout starts once the request is sent, as nginx's: an upload slower than it
    /// (but never silent for the client-body timeout) still gets the backend's answer.
    @Test func aSlowUploadIsNotCutByTheReadTimeout() async throws {
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.70.6"], extraArguments: ["--upstream-read-timeout", "1"])
        let fd = try #require(RawHTTP.connect(port: proxy.port))
        defer { close(fd) }
        func send(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) } }
        send("POST /slow-upload HTTP/1.1\r\nHost: h\r\nContent-Length: 6000\r\nConnection: close\r\n\r\n")
        for _ in 0..<6 {
            send(String(repeating: "u", count: 1000))
            usleep(400_000)  // 2.4 s in all, over twice the read timeout
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &buffer, buffer.count, 0)
        let answer = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 200 "), "\(answer.prefix(60))")
        #expect(proxy.backends.statistics.received.contains("END POST /slow-upload 6000"))
        await proxy.stop()
    }
}
