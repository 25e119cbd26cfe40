import Foundation
import Testing

/// `/routes` and `/routes.json` on the health port, through the real binary: the shipped
/// example's hosts, paths, backends and endpoint states, the traffic just sent, the
/// certificates with their real expiry, the standing diagnostics; and the page as a person
/// sees it, rendered by headless Chromium and read back from the screenshot by OCR
/// (tesseract), so a page that renders blank or hides the hosts fails.
@Suite(.serialized) struct RouteMapPageTests {
    static func document(_ port: Int) throws -> [String: Any] {
        let body = try Curl.run(["http://127.0.0.1:\(port)/routes.json"]).body
        return try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body.prefix(300))")
    }

    /// Every path of the map, by `host path`.
    static func paths(_ map: [String: Any]) -> [String: [String: Any]] {
        var paths: [String: [String: Any]] = [:]
        for host in map["hosts"] as? [[String: Any]] ?? [] {
            for path in host["paths"] as? [[String: Any]] ?? [] {
                paths["\(host["host"] ?? "") \(path["path"] ?? "")"] = path
            }
        }
        return paths
    }

    static func endpointStates(_ path: [String: Any]?) -> [String: String] {
        let endpoints = (path?["backend"] as? [String: Any])?["endpoints"] as? [[String: Any]] ?? []
        return Dictionary(endpoints.map { ($0["address"] as? String ?? "", $0["state"] as? String ?? "") }) { first, _ in first }
    }

    @Test func failingEndpointsAndNewDiagnosticsShowUpLive() async throws {
        let backends = try await TestBackends(addresses: ["127.0.67.1"], page: "x")
        // 127.0.67.2 is listed ready but nothing listens there: its connects are refused.
        let rules = try RulesDirectory([
            "app.yaml": RulesDirectory.service("app", port: backends.port, ready: ["127.0.67.1", "127.0.67.2"], notReady: ["127.0.67.3"])
                + RulesDirectory.ingress("shop", host: "shop.test", paths: [("/", "Prefix", "app")]),
        ])
        let healthPort = try FreePort.next()
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ["--health-port", String(healthPort), "--workers", "1"])
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        for _ in 0..<4 { #expect(try curl.get("shop.test", "/").status == 200) }
        var states = Self.endpointStates(Self.paths(try Self.document(healthPort))["shop.test /"])
        #expect(states == ["127.0.67.1:\(backends.port)": "ready", "127.0.67.2:\(backends.port)": "failing", "127.0.67.3:\(backends.port)": "notReady"])

        // A broken Ingress arrives: its error is on the map at the next reload, the rest serves.
        try "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: broken}\nspec: {rules: [{host: bad.test, http: {paths: [{path: nope, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}]}}]}\n"
            .write(to: rules.url.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
        var diagnostics: [[String: Any]] = []
        // Generous: under a loaded CI machine one reload has been seen to take over 15 s.
        let deadline = Date().addingTimeInterval(40)
        while Date() < deadline {
            diagnostics = try Self.document(healthPort)["diagnostics"] as? [[String: Any]] ?? []
            if diagnostics.contains(where: { $0["severity"] as? String == "error" }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let error = try #require(diagnostics.first { $0["severity"] as? String == "error" }, "\(diagnostics)\n\(portico.log)")
        #expect(error["object"] as? String == "Ingress default/broken")
        #expect((error["text"] as? String)?.contains("broken.yaml") == true)
        states = Self.endpointStates(Self.paths(try Self.document(healthPort))["shop.test /"])
        #expect(states["127.0.67.1:\(backends.port)"] == "ready")
    }

    @Test func chromiumRendersTheExampleHosts() throws {
        let root = PorticoProcess.repositoryRoot
        let healthPort = try FreePort.next()
        let portico = try PorticoProcess(
            rules: root.appendingPathComponent("ingress-rules"), extraArguments: ["--health-port", String(healthPort)],
            workingDirectory: root)
        defer { portico.terminate() }
        let directory = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: directory) }
        let screenshot = directory.appendingPathComponent("routes.png")
        _ = try Command.output("/usr/bin/chromium", [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(directory.path)/profile",
            "--window-size=1400,1100", "--screenshot=\(screenshot.path)", "http://127.0.0.1:\(healthPort)/routes",
        ])
        let png = try Data(contentsOf: screenshot)
        // A PNG of the window's size (IHDR: width and height, big-endian, at bytes 16 and 20).
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        func word(_ offset: Int) -> Int { png[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
        #expect(word(16) == 1400 && word(20) == 1100)
        // What a reader sees: the title and every host of the shipped example.
        let text = try Command.output("/usr/bin/tesseract", [screenshot.path, "stdout"])
        for expected in ["Portico routes", "nip.io", "sslip.io", "jeonj.xyz", "TLS certificates", "certs/nip-io.crt"] {
            #expect(text.contains(expected), "\(expected) not read from the screenshot: \(text.prefix(600))")
        }
    }
}

/// With the demo backends, which listen on the shipped example's fixed addresses: in the
/// shipped example's serialized suite, so no two runs of them overlap.
extension ShippedExampleTests {
    @Test func theShippedExampleLiveOnTheRouteMap() throws {
        let root = PorticoProcess.repositoryRoot
        let healthPort = try FreePort.next()
        let portico = try PorticoProcess(
            rules: root.appendingPathComponent("ingress-rules"), extraArguments: ["--demo", "--health-port", String(healthPort)],
            workingDirectory: root)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port, httpsPort: portico.httpsPort)
        for _ in 0..<4 { #expect(try curl.get("192-168-100-100.nip.io", "/one", tls: true).status == 200) }
        // Every endpoint of one-svc answers 500 to this path (the demo backend's __fail-on).
        let failing = "/one/__fail-on/127.0.1.1/500/__fail-on/127.0.1.2/500/__fail-on/127.0.1.3/500"
        for _ in 0..<2 { #expect(try curl.get("192-168-100-100.sslip.io", failing, tls: true).status == 500) }
        // The first sample was taken at start; rates need it a second old.
        Thread.sleep(forTimeInterval: 1.2)

        let map = try RouteMapPageTests.document(healthPort)
        let hosts = (map["hosts"] as? [[String: Any]] ?? []).compactMap { $0["host"] as? String }
        #expect(hosts == ["*.jeonj.xyz", "*.nip.io", "*.sslip.io"], "\(hosts)")
        let paths = RouteMapPageTests.paths(map)
        let one = try #require(paths["*.nip.io /one"])
        let traffic = try #require(one["traffic"] as? [String: Any])
        #expect(traffic["requests"] as? Int == 4)
        #expect(traffic["errors"] as? Int == 0)
        #expect((traffic["requestsPerSecond"] as? Double ?? 0) > 0)
        #expect((one["backend"] as? [String: Any])?["upstream"] as? String == "default-one-svc-np-80")
        let regex = (paths["*.sslip.io /one(/|$)(.*)"]?["traffic"] as? [String: Any]) ?? [:]
        #expect(regex["requests"] as? Int == 2 && regex["errors"] as? Int == 2, "\(regex)")
        #expect((regex["errorsPerSecond"] as? Double ?? 0) > 0)
        // two-rs has a Pod that is not ready: listed, never sent traffic.
        #expect(
            RouteMapPageTests.endpointStates(paths["*.nip.io /two"])
                == ["127.0.2.1:9080": "ready", "127.0.2.2:9080": "ready", "127.0.2.3:9080": "ready", "127.0.2.4:9080": "notReady"])

        // The certificate's expiry is the file's notAfter, as openssl reads it.
        let certificates = map["certificates"] as? [[String: Any]] ?? []
        let nip = try #require(certificates.first { $0["host"] as? String == "*.nip.io" })
        #expect((nip["origin"] as? String)?.hasSuffix("certs/nip-io.crt") == true)
        let endDate = try Command.output("/usr/bin/openssl", ["x509", "-noout", "-enddate", "-dateopt", "iso_8601", "-in", root.appendingPathComponent("certs/nip-io.crt").path])
        // `notAfter=2036-11-23 18:01:33Z`
        let expected = endDate.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "notAfter=", with: "")
            .replacingOccurrences(of: " ", with: "T")
        #expect(nip["notAfter"] as? String == expected)
        // The standing diagnostics: the shipped example's skipped ReplicaSet.
        let diagnostics = (map["diagnostics"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        #expect(diagnostics.contains { $0.contains("ReplicaSet default/one-rs") })
    }
}
