import Foundation
import Testing

/// OpenTelemetry through the real binary: `traceparent` continued (or started) and passed to
/// the backend with the proxy's span as parent, and the spans exported over OTLP/HTTP to a
/// receiver that decodes them against opentelemetry-proto's schema (`Tests/Tools/otlp_receiver.py`).
@Suite(.serialized) struct TracingTests {
    /// The receiver on a free port, writing one JSON line per span to `out`.
    final class Receiver {
        let process: PythonProcess
        let out: URL
        var port: Int { self.process.port }

        init(directory: URL) throws {
            let out = directory.appendingPathComponent("spans.jsonl")
            FileManager.default.createFile(atPath: out.path, contents: nil)
            self.out = out
            let script = PorticoProcess.repositoryRoot.appendingPathComponent("Tests/Tools/otlp_receiver.py").path
            self.process = try PythonProcess { [script, "--port", String($0), "--out", out.path] }
        }

        /// The lines received so far, once there are at least `count` (or after 15 s).
        func spans(atLeast count: Int) -> [[String: Any]] {
            let deadline = Date().addingTimeInterval(15)
            var lines: [[String: Any]] = []
            repeat {
                lines = PythonProcess.jsonLines(self.out)
                if lines.count >= count { break }
                Thread.sleep(forTimeInterval: 0.1)
            } while Date() < deadline
            return lines
        }

        func stop() { self.process.stop() }
    }

    static let incomingTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let incomingSpan = "00f067aa0ba902b7"
    static var incoming: String { "00-\(incomingTrace)-\(incomingSpan)-01" }

    /// `traceparent` as the backend received it: (trace, parent span, flags).
    static func upstreamTrace(_ response: Curl.Response) -> (String, String, String)? {
        let parts = (response.report["header traceparent"] ?? "").split(separator: "-").map(String.init)
        return parts.count == 4 && parts[0] == "00" ? (parts[1], parts[2], parts[3]) : nil
    }

    @Test func spansReachTheCollectorAndTheBackendSeesTheProxysSpan() async throws {
        let directory = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = try Receiver(directory: directory)
        defer { receiver.stop() }
        let backends = try await TestBackends(addresses: ["127.0.68.1"], page: "x")
        let rules = try RulesDirectory([
            "app.yaml": RulesDirectory.service("app", port: backends.port, ready: ["127.0.68.1"])
                + RulesDirectory.ingress("shop", host: "shop.test", paths: [("/", "Prefix", "app")])
                + RulesDirectory.ingress(
                    "distrust", host: "distrust.test", paths: [("/", "Prefix", "app")],
                    annotations: [
                        "enable-opentelemetry": "true", "opentelemetry-trust-incoming-span": "false", "opentelemetry-operation-name": "checkout",
                    ])
                + RulesDirectory.ingress("quiet", host: "quiet.test", paths: [("/", "Prefix", "app")], annotations: ["enable-opentelemetry": "false"]),
            "settings.yaml": ControllerSettingsTests.configMap([
                "enable-opentelemetry": "true", "otlp-collector-host": "127.0.0.1", "otlp-collector-port": String(receiver.port),
                "otel-schedule-delay-millis": "100", "otel-service-name": "shop-edge",
            ]),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ControllerSettingsTests.arguments)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)

        // A trusted incoming trace is continued: same trace, the proxy's span as the parent.
        let continued = try curl.get("shop.test", "/items", ["-H", "traceparent: \(Self.incoming)"])
        #expect(continued.status == 200)
        let (trace, proxySpan, flags) = try #require(Self.upstreamTrace(continued), "\(continued.report)")
        #expect(trace == Self.incomingTrace)
        #expect(proxySpan != Self.incomingSpan && proxySpan.count == 16)
        #expect(flags == "01")
        // No traceparent: a new trace starts at the proxy.
        let started = try #require(Self.upstreamTrace(try curl.get("shop.test", "/")))
        #expect(started.0 != Self.incomingTrace)
        #expect(try curl.get("shop.test", "/__fail-on/127.0.68.1/503").status == 503)
        // opentelemetry-trust-incoming-span: false — the client's trace is not continued.
        let distrusted = try #require(Self.upstreamTrace(try curl.get("distrust.test", "/", ["-H", "traceparent: \(Self.incoming)"])))
        #expect(distrusted.0 != Self.incomingTrace)
        // enable-opentelemetry: false — the client's field passes as written, no span.
        let quiet = try curl.get("quiet.test", "/", ["-H", "traceparent: \(Self.incoming)"])
        #expect(quiet.report["header traceparent"] == Self.incoming)
        // An invalid traceparent (upper-case hex) starts a new trace rather than continuing it.
        let invalid = try #require(Self.upstreamTrace(try curl.get("shop.test", "/", ["-H", "traceparent: 00-\(Self.incomingTrace.uppercased())-\(Self.incomingSpan)-01"])))
        #expect(invalid.0 != Self.incomingTrace)

        let spans = receiver.spans(atLeast: 5)
        #expect(!spans.contains { $0["error"] != nil }, "the receiver refused a body: \(spans)")
        #expect(spans.count == 5, "\(spans)")
        let bySpan = Dictionary(spans.map { ($0["spanId"] as? String ?? "", $0) }) { first, _ in first }
        let first = try #require(bySpan[proxySpan], "no span \(proxySpan) in \(spans)")
        #expect(first["traceId"] as? String == Self.incomingTrace)
        #expect(first["parentSpanId"] as? String == Self.incomingSpan)
        #expect(first["name"] as? String == "GET /")
        #expect(first["kind"] as? Int == 2)
        #expect(first["service"] as? String == "shop-edge")
        let attributes = first["attributes"] as? [String: Any] ?? [:]
        #expect(attributes["http.response.status_code"] as? Int == 200 || attributes["http.response.status_code"] as? String == "200")
        #expect(attributes["k8s.ingress.name"] as? String == "shop")
        #expect(attributes["http.route"] as? String == "/")
        #expect(attributes["network.peer.address"] as? String == "127.0.68.1:\(backends.port)")
        let start = (first["start"] as? Int) ?? 0
        let end = (first["end"] as? Int) ?? 0
        #expect(end >= start && start > 1_700_000_000_000_000_000)
        let root = try #require(bySpan[started.1])
        #expect(root["parentSpanId"] as? String == "")
        #expect(root["traceId"] as? String == started.0)
        #expect(root["status"] as? Int == 0)
        let failed = try #require(spans.first { ($0["attributes"] as? [String: Any])?["http.response.status_code"] as? Int == 503 }, "\(spans)")
        #expect(failed["status"] as? Int == 2)  // STATUS_CODE_ERROR for a 503
        let checkout = try #require(bySpan[distrusted.1])
        #expect(checkout["name"] as? String == "checkout")
        #expect(checkout["parentSpanId"] as? String == "")
        #expect(!spans.contains { ($0["attributes"] as? [String: Any])?["k8s.ingress.name"] as? String == "quiet" })
    }

    /// `otel-max-queuesize` bounds what one event loop holds between exports (the rest are
    /// dropped and logged, never waited for); `otel-max-export-batch-size` splits a take into
    /// requests of at most that many spans.
    @Test func theQueueIsBoundedAndExportsAreBatched() async throws {
        let directory = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = try Receiver(directory: directory)
        defer { receiver.stop() }
        let backends = try await TestBackends(addresses: ["127.0.68.3"], page: "x")
        let rules = try RulesDirectory([
            "app.yaml": RulesDirectory.service("app", port: backends.port, ready: ["127.0.68.3"])
                + RulesDirectory.ingress("shop", host: "shop.test", paths: [("/", "Prefix", "app")]),
            "settings.yaml": ControllerSettingsTests.configMap([
                "enable-opentelemetry": "true", "otlp-collector-host": "127.0.0.1", "otlp-collector-port": String(receiver.port),
                "otel-schedule-delay-millis": "3000", "otel-max-queuesize": "3", "otel-max-export-batch-size": "2",
            ]),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ControllerSettingsTests.arguments + ["--workers", "1"])
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        for _ in 0..<5 { #expect(try curl.get("shop.test", "/").status == 200) }
        let spans = receiver.spans(atLeast: 3)
        #expect(spans.count == 3, "\(spans)")
        #expect(spans.compactMap { $0["batch"] as? Int }.sorted() == [1, 2, 2], "\(spans)")
        #expect(LiveReloadTests.eventually(5) { portico.log.contains("2 spans dropped") }, "\(portico.log)")
    }

    @Test func aSamplerThatSaysNoStillPropagatesButExportsNothing() async throws {
        let directory = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = try Receiver(directory: directory)
        defer { receiver.stop() }
        let backends = try await TestBackends(addresses: ["127.0.68.2"], page: "x")
        let rules = try RulesDirectory([
            "app.yaml": RulesDirectory.service("app", port: backends.port, ready: ["127.0.68.2"])
                + RulesDirectory.ingress("shop", host: "shop.test", paths: [("/", "Prefix", "app")], annotations: ["enable-opentelemetry": "true"]),
            "settings.yaml": ControllerSettingsTests.configMap([
                "otlp-collector-host": "127.0.0.1", "otlp-collector-port": String(receiver.port), "otel-schedule-delay-millis": "100",
                "otel-sampler": "AlwaysOff", "otel-sampler-parent-based": "false",
            ]),
        ])
        let portico = try PorticoProcess(rules: rules.url, extraArguments: ControllerSettingsTests.arguments)
        defer { portico.terminate() }
        let curl = Curl(port: portico.port)
        let response = try curl.get("shop.test", "/", ["-H", "traceparent: \(Self.incoming)"])
        let (trace, _, flags) = try #require(Self.upstreamTrace(response))
        #expect(trace == Self.incomingTrace)
        #expect(flags == "00")  // not sampled: the backend is told so
        // Several export rounds pass: nothing arrives.
        try await Task.sleep(for: .milliseconds(600))
        #expect(receiver.spans(atLeast: 0).isEmpty)
    }
}
