import Foundation
import NIOCore
import PorticoRouting
import PorticoTracing
import Testing

@testable import PorticoProxy

/// W3C `traceparent` parsing, the sampler, and the OTLP/JSON body: no sockets.
@Suite struct TraceContextTests {
    func parse(_ text: String) -> (traceHigh: UInt64, traceLow: UInt64, parent: UInt64, sampled: Bool)? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { TraceContext.parse($0, 0..<bytes.count) }
    }

    @Test func aValidTraceparentIsRead() throws {
        let parsed = try #require(self.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        #expect(parsed.traceHigh == 0x4bf9_2f35_77b3_4da6 && parsed.traceLow == 0xa3ce_929d_0e0e_4736)
        #expect(parsed.parent == 0x00f0_67aa_0ba9_02b7)
        #expect(parsed.sampled)
        #expect(self.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")?.sampled == false)
        // A later version may append fields (W3C Trace Context §3.2.4); version 00 may not.
        #expect(self.parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-next") != nil)
        #expect(self.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x") == nil)
    }

    @Test(arguments: [
        "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",  // too short
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper-case hex
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version ff
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero parent id
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // wrong separator
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",  // not hex
    ])
    func anInvalidTraceparentIsRefused(_ text: String) {
        #expect(self.parse(text) == nil)
    }

    func start(_ incoming: String?, trust: Bool = true, _ configure: (inout TracingSettings) -> Void = { _ in }) -> TraceContext {
        var settings = TracingSettings()
        configure(&settings)
        var random = RequestIDGenerator()
        let bytes = Array((incoming ?? "").utf8)
        return bytes.withUnsafeBytes {
            TraceContext.start(
                $0, traceparent: incoming == nil ? nil : 0..<bytes.count, trust: trust, settings: TracingSettingsView(settings), random: &random)
        }
    }

    @Test func aTrustedParentIsContinuedAndItsFlagDecides() {
        let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
        let continued = self.start(incoming)
        #expect(continued.traceHigh == 0x4bf9_2f35_77b3_4da6 && continued.parentSpanID == 0x00f0_67aa_0ba9_02b7)
        #expect(!continued.sampled)  // parent-based: the parent said no
        #expect(self.start(incoming) { $0.parentBased = false }.sampled)  // AlwaysOn decides
        let distrusted = self.start(incoming, trust: false)
        #expect(distrusted.traceHigh != 0x4bf9_2f35_77b3_4da6 && distrusted.parentSpanID == 0)
    }

    @Test func theRatioSamplerKeepsAboutItsShareAndAlwaysOffNone() {
        var random = RequestIDGenerator()
        var settings = TracingSettings()
        settings.sampler = .traceIDRatio
        settings.samplerRatio = 0.25
        let view = TracingSettingsView(settings)
        let kept = (0..<20_000).filter { _ in view.samples(traceLow: random.next()) }.count
        #expect((4_500...5_500).contains(kept), "\(kept)")
        settings.sampler = .alwaysOff
        #expect(!TracingSettingsView(settings).samples(traceLow: 1))
        settings.sampler = .traceIDRatio
        settings.samplerRatio = 0.999_999_999_999_999_9
        #expect(TracingSettingsView(settings).samples(traceLow: 1 << 63))  // no overflow near 1
    }

    @Test func theUpstreamFieldNamesTheProxysSpan() {
        let trace = TraceContext(traceHigh: 0x4bf9_2f35_77b3_4da6, traceLow: 0xa3ce_929d_0e0e_4736, spanID: 0xabc, sampled: true)
        var out = ByteBuffer()
        trace.writeField(into: &out)
        #expect(String(buffer: out) == "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000abc-01\r\n")
    }

    @Test func theOTLPBodyIsJSONWithHexIDs() throws {
        let labels = RouteMetricLabels(namespace: "web", ingress: "shop", service: "app", path: "/api", host: "shop.test", upstream: "web-app-80")
        let span = SpanRecord(
            trace: TraceContext(traceHigh: 1, traceLow: 2, spanID: 3, parentSpanID: 4, sampled: true), operationName: nil,
            startUnixNanoseconds: 1_000, endUnixNanoseconds: 2_000, method: .post, status: 502, labels: labels, endpoint: "10.0.0.1:80",
            isTLS: true, client: "192.0.2.1", requestID: RequestID(high: 5, low: 6))
        let body = OTLPTraceRequest.json([span], serviceName: "edge \"one\"")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let resource = (document["resourceSpans"] as? [[String: Any]])?.first
        let attributes = (resource?["resource"] as? [String: Any])?["attributes"] as? [[String: Any]]
        #expect(((attributes?.first?["value"] as? [String: Any])?["stringValue"] as? String) == "edge \"one\"")
        let spans = ((resource?["scopeSpans"] as? [[String: Any]])?.first?["spans"] as? [[String: Any]]) ?? []
        let encoded = try #require(spans.first)
        #expect(encoded["traceId"] as? String == "00000000000000010000000000000002")
        #expect(encoded["spanId"] as? String == "0000000000000003")
        #expect(encoded["parentSpanId"] as? String == "0000000000000004")
        #expect(encoded["name"] as? String == "POST /api")
        #expect(encoded["startTimeUnixNano"] as? String == "1000")
        #expect((encoded["status"] as? [String: Any])?["code"] as? Int == 2)
    }
}
