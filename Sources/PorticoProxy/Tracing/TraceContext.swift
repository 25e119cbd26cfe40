import NIOCore
import PorticoRouting

/// One traced request's place in its trace (W3C Trace Context, `traceparent`): the trace, the
/// proxy's own span, the client's span when it continued one, and whether the trace is sampled.
/// The upstream request carries `00-<trace>-<proxy span>-<flags>`, so the backend's spans hang
/// under the proxy's (nginx's `opentelemetry_propagate`).
struct TraceContext: Equatable {
    var traceHigh: UInt64
    var traceLow: UInt64
    var spanID: UInt64
    /// The client's span, when its `traceparent` was trusted; 0 for a root span.
    var parentSpanID: UInt64 = 0
    var sampled: Bool

    /// An incoming `traceparent` (W3C Trace Context §3.2): `version-traceid-parentid-flags`, lower-case hex; version
    /// ff, an all-zero trace or parent id, or any other shape is invalid and starts a new trace.
    /// A later version may append fields after a `-` (§3.2.4).
    static func parse(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> (traceHigh: UInt64, traceLow: UInt64, parent: UInt64, sampled: Bool)? {
        let start = range.lowerBound
        guard range.count >= 55 else { return nil }
        guard let version = Self.hex(bytes, start, 2), version != 0xff else { return nil }
        guard range.count == 55 || (version != 0 && bytes[start + 55] == UInt8(ascii: "-")) else { return nil }
        guard bytes[start + 2] == UInt8(ascii: "-"), bytes[start + 35] == UInt8(ascii: "-"), bytes[start + 52] == UInt8(ascii: "-"),
            let high = Self.hex(bytes, start + 3, 16), let low = Self.hex(bytes, start + 19, 16), high | low != 0,
            let parent = Self.hex(bytes, start + 36, 16), parent != 0, let flags = Self.hex(bytes, start + 53, 2)
        else { return nil }
        return (high, low, parent, flags & 1 == 1)
    }

    /// `count` lower-case hex digits at `offset` as a number; nil on any other byte (upper-case
    /// hex included: W3C Trace Context §3.2.2 allows lower case only).
    static func hex(_ bytes: UnsafeRawBufferPointer, _ offset: Int, _ count: Int) -> UInt64? {
        var value: UInt64 = 0
        for index in offset..<offset + count {
            let byte = bytes[index]
            guard !(UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte), let digit = ChunkedDecoder.hexValue(byte) else { return nil }
            value = value << 4 | UInt64(digit)
        }
        return value
    }

    /// The trace of a request on a traced route: the client's continued when `trust` and its
    /// `traceparent` is valid, else a new one; sampled as the settings say.
    static func start(
        _ bytes: UnsafeRawBufferPointer, traceparent: Range<Int>?, trust: Bool, settings: TracingSettingsView,
        random: inout RequestIDGenerator
    ) -> TraceContext {
        let spanID = random.next() | 1
        if trust, let range = traceparent, let incoming = Self.parse(bytes, range) {
            let sampled = settings.parentBased ? incoming.sampled : settings.samples(traceLow: incoming.traceLow)
            return TraceContext(traceHigh: incoming.traceHigh, traceLow: incoming.traceLow, spanID: spanID, parentSpanID: incoming.parent, sampled: sampled)
        }
        let high = random.next()
        let low = random.next() | 1
        return TraceContext(traceHigh: high, traceLow: low, spanID: spanID, sampled: settings.samples(traceLow: low))
    }

    /// `traceparent: 00-<trace>-<span>-<flags>` for the upstream request.
    func writeField(into out: inout ByteBuffer) {
        out.writeStaticString("traceparent: 00-")
        UpstreamRequestWriter.writeHex(self.traceHigh, into: &out)
        UpstreamRequestWriter.writeHex(self.traceLow, into: &out)
        out.writeInteger(UInt8(ascii: "-"))
        UpstreamRequestWriter.writeHex(self.spanID, into: &out)
        out.writeStaticString(self.sampled ? "-01\r\n" : "-00\r\n")
    }
}

/// The sampling part of `TracingSettings`, resolved once per generation: a ratio as a 64-bit
/// threshold, so sampling a request is one comparison.
struct TracingSettingsView: Equatable {
    /// Traces whose id's low 64 bits are below this are kept; `UInt64.max` keeps all.
    var threshold: UInt64
    var parentBased: Bool
    /// A collector is configured: sampled spans are recorded.
    var exports: Bool
    /// Spans held per event loop between exports.
    var maxQueueSize: Int

    init(_ settings: TracingSettings) {
        switch settings.sampler {
        case .alwaysOn: self.threshold = .max
        case .alwaysOff: self.threshold = 0
        case .traceIDRatio:
            let ratio = settings.samplerRatio
            // The largest Double below 2⁶⁴ caps the product, so a ratio just under 1 cannot overflow.
            self.threshold = ratio >= 1 ? .max : UInt64(min(max(ratio, 0) * 0x1p64, 0x1.fffffffffffffp63))
        }
        self.parentBased = settings.parentBased
        self.exports = settings.collectorHost != nil
        self.maxQueueSize = settings.maxQueueSize
    }

    func samples(traceLow: UInt64) -> Bool { self.threshold == .max || traceLow < self.threshold }
}
