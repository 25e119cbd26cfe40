import PorticoProxy

/// An OTLP `ExportTraceServiceRequest` in OTLP/HTTP's JSON encoding (the protobuf JSON mapping
/// with the OTLP exceptions: trace and span ids as hex, enums as numbers; opentelemetry-proto
/// `docs/specification.md`, "JSON Protobuf Encoding"): one resource (`service.name`), one
/// scope (`portico`), server spans. Built on the control plane, never on the request path.
public enum OTLPTraceRequest {
    /// `SPAN_KIND_SERVER`.
    static let serverKind = 2
    /// `STATUS_CODE_ERROR`: a server span with a 5xx answer (HTTP semantic conventions; a 4xx
    /// is the client's error and leaves the status unset).
    static let errorStatus = 2

    public static func json(_ spans: [SpanRecord], serviceName: String) -> [UInt8] {
        var out = "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
        out += Self.attribute("service.name", .string(serviceName))
        out += "]},\"scopeSpans\":[{\"scope\":{\"name\":\"portico\"},\"spans\":["
        for (index, span) in spans.enumerated() {
            if index > 0 { out += "," }
            out += "{\"traceId\":\"\(span.traceID)\",\"spanId\":\"\(span.spanID)\""
            if let parent = span.parentSpanID { out += ",\"parentSpanId\":\"\(parent)\"" }
            out += ",\"name\":\(Self.quoted(span.name)),\"kind\":\(Self.serverKind)"
            out += ",\"startTimeUnixNano\":\"\(span.startUnixNanoseconds)\",\"endTimeUnixNano\":\"\(span.endUnixNanoseconds)\""
            out += ",\"attributes\":[" + span.attributes.map { Self.attribute($0.key, $0.value) }.joined(separator: ",") + "]"
            if span.status >= 500 { out += ",\"status\":{\"code\":\(Self.errorStatus)}" }
            out += "}"
        }
        out += "]}]}]}"
        return Array(out.utf8)
    }

    static func attribute(_ key: String, _ value: SpanRecord.AttributeValue) -> String {
        switch value {
        case .string(let text): "{\"key\":\(Self.quoted(key)),\"value\":{\"stringValue\":\(Self.quoted(text))}}"
        case .int(let number): "{\"key\":\(Self.quoted(key)),\"value\":{\"intValue\":\"\(number)\"}}"
        }
    }

    /// A JSON string literal (RFC 8259 §7).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
