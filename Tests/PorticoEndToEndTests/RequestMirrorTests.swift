import Foundation
import Testing

/// An HTTPRoute's `RequestMirror` through the real binary: every request the route proxies is
/// also sent, head and body (streamed, chunked or not), to the mirror Service, whose answers
/// are ignored; a mirror that cannot be reached never changes the answer; the copies are
/// counted on `/metrics`. And ingress-nginx's `mirror-target` with `mirror-host` and
/// `mirror-request-body`. The model is gateway-api's `conformance/tests/httproute-request-mirror`.
@Suite(.serialized) struct RequestMirrorTests {
    static let main = "127.0.66.1"
    static let copy = "127.0.66.2"
    static let nowhere = "127.0.66.3"

    @Test func requestsAreCopiedToTheMirrorAndItsAnswersIgnored() async throws {
        let mainBackend = try await TestBackends(addresses: [Self.main], page: "main")
        let mirrorBackend = try await TestBackends(addresses: [Self.copy], page: "mirror")
        let route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
        let rules = try RulesDirectory([
            "gw.yaml": RulesDirectory.service("web", port: mainBackend.port, ready: [Self.main])
                + RulesDirectory.service("shadow", port: mirrorBackend.port, ready: [Self.copy])
                + RulesDirectory.service("gone", port: try FreePort.next(), ready: [Self.nowhere]) + (try GatewayAPITests.certificateAndClass()) + """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: gw}
                spec:
                  gatewayClassName: portico
                  listeners: [{name: http, protocol: HTTP, port: 80}]
                ---
                \(route)metadata: {name: mirrored}
                spec:
                  parentRefs: [{name: gw}]
                  hostnames: [mirror.test]
                  rules:
                  - matches: [{path: {value: /app}}]
                    filters:
                    - {type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}}
                    - {type: RequestMirror, requestMirror: {backendRef: {name: shadow, port: 80}}}
                    backendRefs: [{name: web, port: 80}]
                  - matches: [{path: {value: /lost}}]
                    filters: [{type: RequestMirror, requestMirror: {backendRef: {name: gone, port: 80}}}]
                    backendRefs: [{name: web, port: 80}]
                  - matches: [{path: {value: /both}}]
                    filters:
                    - {type: RequestMirror, requestMirror: {backendRef: {name: shadow, port: 80}}}
                    - {type: RequestMirror, requestMirror: {backendRef: {name: shadow, port: 80}}}
                    backendRefs: [{name: web, port: 80}]
                  - matches: [{path: {value: /never}}]
                    filters: [{type: RequestMirror, requestMirror: {backendRef: {name: shadow, port: 80}, percent: 0}}]
                    backendRefs: [{name: web, port: 80}]
                  - matches: [{path: {value: /half}}]
                    filters: [{type: RequestMirror, requestMirror: {backendRef: {name: shadow, port: 80}, fraction: {numerator: 1, denominator: 2}}}]
                    backendRefs: [{name: web, port: 80}]
                ---

                """
                + RulesDirectory.ingress(
                    "copied", host: "nginx-mirror.test", paths: [("/", "Prefix", "web")],
                    annotations: ["mirror-target": "http://shadow.default.svc.cluster.local$request_uri", "mirror-host": "copies.test"])
                + RulesDirectory.ingress(
                    "headless", host: "nginx-nobody.test", paths: [("/", "Prefix", "web")],
                    annotations: ["mirror-target": "http://shadow.default.svc/fixed", "mirror-request-body": "off"]),
        ])
        let healthPort = try FreePort.next()
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--health-port", String(healthPort)])
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        func mirrored(_ line: String) -> Bool { LiveReloadTests.eventually(5) { mirrorBackend.statistics.received.contains(line) } }

        // A GET: the answer is the main backend's; the copy has the rewritten path.
        let get = try curl.get("mirror.test", "/app/page?q=1")
        #expect(get.status == 200)
        #expect(get.report["endpoint"]?.hasPrefix(Self.main) == true, "\(get.body)")
        #expect(mirrored("END GET /v2/page?q=1 0"), "\(mirrorBackend.statistics.received)")
        #expect(mainBackend.statistics.received.contains("END GET /v2/page?q=1 0"))

        // Bodies: one of a known length past the buffered size (it streams), and a chunked one.
        let upload = try TemporaryDirectory.make().appendingPathComponent("upload")
        try Data(repeating: 0x61, count: 300_000).write(to: upload)
        let post = try curl.get("mirror.test", "/app/upload", ["--data-binary", "@\(upload.path)", "-H", "Content-Type: application/octet-stream"])
        #expect(post.status == 200)
        #expect(mirrored("END POST /v2/upload 300000"), "\(mirrorBackend.statistics.received)")
        let streamed = try Curl.run(
            ["--resolve", "mirror.test:\(portico.port):127.0.0.1", "http://mirror.test:\(portico.port)/app/chunks", "--data-binary", "@-",
             "-H", "Transfer-Encoding: chunked"],
            input: upload)
        #expect(streamed.status == 200)
        #expect(mirrored("END POST /v2/chunks 300000"), "\(mirrorBackend.statistics.received)")

        // ingress-nginx's mirror-target: the Service by its cluster DNS name, `$request_uri`
        // the client's target; with mirror-request-body off, a fixed path (the query kept) and no body.
        #expect(try curl.get("nginx-mirror.test", "/orig/x?y=2").status == 200)
        #expect(mirrored("END GET /orig/x?y=2 0"), "\(mirrorBackend.statistics.received)")
        let small = try curl.get("nginx-nobody.test", "/any?k=v", ["--data-binary", "hello"])
        #expect(small.status == 200)
        #expect(mirrored("END POST /fixed?k=v 0"), "\(mirrorBackend.statistics.received)")
        #expect(mainBackend.statistics.received.contains("END POST /any?k=v 5"))

        // A mirror that cannot be reached: the request is served all the same.
        for _ in 0..<3 { #expect(try curl.get("mirror.test", "/lost").status == 200) }
        func counted(_ result: String, _ value: Int) -> Bool {
            LiveReloadTests.eventually(5) {
                let text = (try? Curl.run(["http://127.0.0.1:\(healthPort)/metrics"]).body) ?? ""
                return text.split(separator: "\n").contains {
                    $0.hasPrefix("portico_mirror_requests_total{") && $0.contains("result=\"\(result)\"") && $0.hasSuffix(" \(value)")
                }
            }
        }
        #expect(counted("sent", 5))
        #expect(counted("dropped", 3))
        // `explain` says where copies go.
        let explain = try CheckCommandTests.portico(["explain", "--rules", rules.url.path, "http://mirror.test/app/x"])
        #expect(explain.output.contains("mirrored to default/shadow:80 (default/shadow:80, 1 ready endpoint(s)); its answer is ignored"), "\(explain.output)")
        let nobody = try CheckCommandTests.portico(["explain", "--rules", rules.url.path, "http://nginx-nobody.test/"])
        #expect(nobody.output.contains("mirrored to http://shadow.default.svc/fixed (default/shadow:80, 1 ready endpoint(s)) without the body"), "\(nobody.output)")

        // `percent: 0` mirrors nothing; `fraction: 1/2` about every other request, drawn per
        // request. A fully mirrored request sent last marks when the earlier copies are in.
        for index in 0..<40 {
            #expect(try curl.get("mirror.test", "/never/\(index)").status == 200)
            #expect(try curl.get("mirror.test", "/half/\(index)").status == 200)
        }
        #expect(try curl.get("mirror.test", "/app/last").status == 200)
        #expect(mirrored("END GET /v2/last 0"), "\(mirrorBackend.statistics.received)")
        try await Task.sleep(for: .milliseconds(300))
        let copies = mirrorBackend.statistics.received
        let halves = (0..<40).filter { copies.contains("END GET /half/\($0) 0") }.count
        #expect(halves > 0 && halves < 40, "\(halves) of 40 mirrored")
        #expect(!copies.contains { $0.hasPrefix("END GET /never/") })
        // Two mirrors on a rule: each gets its copy, body included.
        #expect(try curl.get("mirror.test", "/both/p", ["--data-binary", "@\(upload.path)"]).status == 200)
        #expect(LiveReloadTests.eventually(5) { mirrorBackend.statistics.received.filter { $0 == "END POST /both/p 300000" }.count == 2 },
                "\(mirrorBackend.statistics.received)")
        let half = try CheckCommandTests.portico(["explain", "--rules", rules.url.path, "http://mirror.test/half"])
        #expect(half.output.contains("for 1 of every 2 requests; its answer is ignored"), "\(half.output)")
        portico.terminate()
        await mainBackend.stop()
        await mirrorBackend.stop()
    }

    /// A mirror that accepts the connection and never reads: once its socket is full the copy
    /// is dropped, and the request's 20 MB body still reaches the upstream at full speed.
    @Test func aMirrorThatStopsReadingIsDroppedAndNeverSlowsTheRequest() async throws {
        let mainBackend = try await TestBackends(addresses: [Self.main], page: "main")
        let sink = try PythonProcess {
            ["-c", """
            import socket
            server = socket.socket()
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            server.bind(("127.0.0.1", \($0)))
            server.listen()
            held = []
            while True:
                held.append(server.accept()[0])
            """]
        }
        defer { sink.stop() }
        let rules = try RulesDirectory([
            "a.yaml": RulesDirectory.service("web", port: mainBackend.port, ready: [Self.main])
                + RulesDirectory.ingress(
                    "big", host: "big.test", paths: [("/", "Prefix", "web")],
                    annotations: ["mirror-target": "http://127.0.0.1:\(sink.port)$request_uri", "proxy-body-size": "0"]),
        ])
        let healthPort = try FreePort.next()
        // A URL's host is resolved like an ExternalName's; a loopback answer needs the flag.
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--health-port", String(healthPort), "--allow-loopback-external-names"])
        let upload = try TemporaryDirectory.make().appendingPathComponent("upload")
        try Data(repeating: 0x62, count: 20_000_000).write(to: upload)
        let started = Date()
        let post = try Curl.run(
            ["--resolve", "big.test:\(portico.port):127.0.0.1", "http://big.test:\(portico.port)/big", "--data-binary", "@\(upload.path)"])
        let seconds = Date().timeIntervalSince(started)
        #expect(post.status == 200, "\(post.statusLine)")
        #expect(mainBackend.statistics.received.contains("END POST /big 20000000"), "\(mainBackend.statistics.received)")
        #expect(seconds < 20, "the upload took \(seconds) s")  // far under the 60 s read timeout a held-back copy would wait out
        #expect(LiveReloadTests.eventually(5) {
            let text = (try? Curl.run(["http://127.0.0.1:\(healthPort)/metrics"]).body) ?? ""
            return text.split(separator: "\n").contains { $0.hasPrefix("portico_mirror_requests_total{") && $0.contains("result=\"dropped\"") && $0.hasSuffix(" 1") }
        }, "\(((try? Curl.run(["http://127.0.0.1:\(healthPort)/metrics"]).body) ?? "").split(separator: "\n").filter { $0.contains("mirror") })")
        portico.terminate()
        await mainBackend.stop()
    }
}
