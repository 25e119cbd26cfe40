import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `proxy-request-buffering` (on by default, as ingress-nginx) through the real binary: a body
/// that fits the buffer reaches the upstream only once it is complete, so a slow client holds
/// no upstream connection; `off` streams it as it comes.
@Suite(.serialized) struct RequestBufferingTests {
    /// Sends a head and half a body, then the rest a moment later; returns how many requests the
    /// backend had begun before the rest was sent, and the answer.
    static func halfThenRest(port: Int, host: String, backends: TestBackends) throws -> (startedEarly: Int, answer: String) {
        guard let fd = RawHTTP.connect(port: port) else { throw CocoaError(.fileReadUnknown) }
        defer { close(fd) }
        let before = backends.statistics.requestsStarted
        ScriptedServer.send(fd, "POST /upload HTTP/1.1\r\nHost: \(host)\r\nContent-Length: 2000\r\nConnection: close\r\n\r\n" + String(repeating: "a", count: 1000))
        usleep(400_000)
        let early = backends.statistics.requestsStarted - before
        ScriptedServer.send(fd, String(repeating: "b", count: 1000))
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return (early, String(decoding: ScriptedServer.receiveAll(fd), as: UTF8.self))
    }

    @Test func aSlowBodyReachesTheUpstreamWholeUnlessBufferingIsOff() async throws {
        let backends = try await TestBackends(addresses: ["127.0.64.1"], page: "x")
        let rules = try RulesDirectory([
            "app.yaml": RulesDirectory.service("svc", port: backends.port, ready: ["127.0.64.1"])
                + RulesDirectory.ingress("buffered", host: "buffered.test", paths: [("/", "Prefix", "svc")])
                + RulesDirectory.ingress(
                    "streamed", host: "streamed.test", paths: [("/", "Prefix", "svc")], annotations: ["proxy-request-buffering": "off"])
                + RulesDirectory.ingress(
                    "small", host: "small.test", paths: [("/", "Prefix", "svc")], annotations: ["client-body-buffer-size": "1k"]),
        ])
        let portico = try PorticoProcess(rules: rules.url)
        defer { portico.terminate() }

        let buffered = try Self.halfThenRest(port: portico.port, host: "buffered.test", backends: backends)
        #expect(buffered.startedEarly == 0, "the upstream saw nothing before the body was whole")
        #expect(buffered.answer.hasPrefix("HTTP/1.1 200 "))
        #expect(buffered.answer.contains("body-bytes: 2000"))

        let streamed = try Self.halfThenRest(port: portico.port, host: "streamed.test", backends: backends)
        #expect(streamed.startedEarly == 1, "off: the request went upstream at once")
        #expect(streamed.answer.contains("body-bytes: 2000"))

        // 1k is below Portico's 64 KiB floor: nginx would still buffer the body (spooled to
        // disk), so Portico buffers it too.
        let small = try Self.halfThenRest(port: portico.port, host: "small.test", backends: backends)
        #expect(small.startedEarly == 0)
        #expect(small.answer.contains("body-bytes: 2000"))
        portico.terminate()
        await backends.stop()
    }
}
