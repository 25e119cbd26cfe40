import Foundation
import PorticoDemoBackend
import Testing

/// 100 MiB each way through the proxy without its memory growing with the body.
@Suite(.serialized) struct StreamingTests {
    static let size = 100 * 1024 * 1024

    static func patternFile() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("portico-pattern-\(Self.size)")
        if let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
            (attributes[.size] as? Int) == Self.size
        {
            return url
        }
        var data = Data(count: Self.size)
        data.withUnsafeMutableBytes { DemoPattern.fill($0, offset: 0) }
        try data.write(to: url)
        return url
    }

    @Test func hundredMebibytesBothWaysWithFlatMemory() async throws {
        let file = try Self.patternFile()
        let expectedHash = String(try Data(contentsOf: file).withUnsafeBytes { DemoPattern.fnv1a($0) }, radix: 16)
        let proxy = try await SingleServiceProxy.start(addresses: ["127.0.30.1"], annotations: ["proxy-body-size": "0"])
        let portico = proxy.portico
        let curl = proxy.curl
        _ = try curl.get("m.test", "/warm-up")
        let baseline = portico.peakRSSKiB

        // Upload with Content-Length, then chunked.
        let upload = try curl.get("m.test", "/upload", ["--data-binary", "@\(file.path)", "-H", "Content-Type: application/octet-stream"])
        #expect(upload.report["body-bytes"] == String(Self.size))
        #expect(upload.report["body-fnv1a"] == expectedHash)
        let chunked = try curl.get("m.test", "/upload", ["-T", file.path, "-H", "Transfer-Encoding: chunked"])
        #expect(chunked.report["body-bytes"] == String(Self.size))
        #expect(chunked.report["body-fnv1a"] == expectedHash)

        // Download with Content-Length, then chunked; compared byte for byte with the pattern.
        for path in ["/__download/\(Self.size)", "/__chunked/\(Self.size)"] {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("portico-download-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: output) }
            let download = try Curl.run(["--resolve", "m.test:\(portico.port):127.0.0.1", "http://m.test:\(portico.port)\(path)"], output: output)
            #expect(download.exitCode == 0)
            let cmp = Process()
            cmp.executableURL = URL(fileURLWithPath: "/usr/bin/cmp")
            cmp.arguments = ["-s", file.path, output.path]
            try cmp.run()
            cmp.waitUntilExit()
            #expect(cmp.terminationStatus == 0, "\(path) arrived intact")
        }
        let growth = portico.peakRSSKiB - baseline
        #expect(growth < 48 * 1024, "peak RSS grew by \(growth) KiB for 400 MiB streamed")
        await proxy.stop()
    }
}
