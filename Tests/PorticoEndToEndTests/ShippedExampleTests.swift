import Foundation
import Testing

/// The README's run command on the shipped `ingress-rules/`: the seed's example answers through
/// the real binary, straight from the Pods' addresses, round-robin.
@Suite(.serialized) struct ShippedExampleTests {
    @Test func seedHelloExampleAnswersRoundRobin() throws {
        let root = PorticoProcess.repositoryRoot
        let portico = try PorticoProcess(
            rules: root.appendingPathComponent("ingress-rules"), extraArguments: ["--demo"], workingDirectory: root)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port, httpsPort: portico.httpsPort)

        var seen: [String] = []
        for _ in 0..<3 {
            let response = try curl.get("192-168-100-100.nip.io", "/one", tls: true)
            #expect(response.status == 200)
            #expect(response.body.hasPrefix("<h1>Hello One</h1>"))
            seen.append(response.report["endpoint"] ?? "")
        }
        // Three requests, three different Pods: round-robin over the ready endpoints.
        #expect(Set(seen) == ["127.0.1.1:9080", "127.0.1.2:9080", "127.0.1.3:9080"])

        // The seed's first version: rewrite-target "/" replaces the whole path.
        let two = try curl.get("192-168-100-100.nip.io", "/two/aaa", tls: true)
        #expect(two.body.hasPrefix("<h1>Hello Two</h1>"))
        #expect(two.report["path"] == "/")
        #expect(two.report["endpoint"] != "127.0.2.4:9080")  // not ready

        // The seed's second version: /one(/|$)(.*) with rewrite-target /$2; the upstream sees
        // the capture, the query string kept.
        for (path, upstream) in [("/one", "/"), ("/one/", "/"), ("/one/aaa", "/aaa"), ("/one/aaa/bbb?q=1", "/aaa/bbb?q=1")] {
            let response = try curl.get("192-168-100-100.sslip.io", path, tls: true)
            #expect(response.body.hasPrefix("<h1>Hello One</h1>"), "\(path)")
            #expect(response.report["path"] == upstream, "\(path) → \(upstream)")
            #expect(response.report["header host"] == "192-168-100-100.sslip.io:\(portico.httpsPort)")
            #expect(response.report["header x-forwarded-proto"] == "https")
            #expect(response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains")
        }
        #expect(try curl.get("192-168-100-100.sslip.io", "/two/x/y", tls: true).report["path"] == "/x/y")
        #expect(try curl.get("192-168-100-100.sslip.io", "/three", tls: true).status == 404)

        // The hosts have TLS: plain HTTP is redirected, path and query kept, to the HTTPS port.
        let redirect = try curl.get("192-168-100-100.nip.io", "/one/x?y=1")
        #expect(redirect.status == 308)
        #expect(redirect.headers["location"] == "https://192-168-100-100.nip.io:\(portico.httpsPort)/one/x?y=1")
        #expect(redirect.headers["strict-transport-security"] == nil)  // HSTS only over HTTPS

        // *.nip.io matches one label only.
        // (The certificate covers one label too, hence -k for this request.)
        #expect(try curl.get("192.168.100.100.nip.io", "/one", ["-k"], tls: true).status == 404)
        // Named targetPort (web8080) resolved through the Pod's container port names; this
        // Ingress sets ssl-redirect: "false", so plain HTTP is served.
        let named = try curl.get("www.jeonj.xyz", "/")
        #expect(named.report["endpoint"] == "127.0.3.1:18080")
        let multi = try curl.get("www.jeonj.xyz", "/multi")
        #expect(multi.report["endpoint"]?.hasSuffix(":18443") == true)
    }

    @Test func routesCommandPrintsEveryRouteResolvedToEndpoints() throws {
        let root = PorticoProcess.repositoryRoot
        let process = Process()
        process.executableURL = PorticoProcess.binary
        process.arguments = ["routes", "--rules", root.appendingPathComponent("ingress-rules").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = output.split(separator: "\n")
        let one = try #require(lines.first { $0.contains("/one") })
        #expect(one.contains("*.nip.io") && one.contains("default/one-svc-np:80"))
        #expect(one.contains("127.0.1.1:9080,127.0.1.2:9080,127.0.1.3:9080"))
        #expect(lines.contains { $0.contains("/two") && $0.contains("127.0.2.3:9080") && !$0.contains("127.0.2.4") })
        #expect(output.contains("ReplicaSet default/one-rs: skipped"))
    }
}
