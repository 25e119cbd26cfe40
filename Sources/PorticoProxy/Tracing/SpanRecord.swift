#if canImport(Glibc)
import Glibc
#endif
import PorticoRouting

/// One finished server span, as the log phase leaves it for the exporter: ids, times and the
/// request's facts as references and numbers. Its name and attributes are made into strings
/// only when exported, on the control plane.
public struct SpanRecord: Sendable {
    var trace: TraceContext
    /// `opentelemetry-operation-name`, when the route sets one.
    let operationName: String?
    public let startUnixNanoseconds: Int64
    public let endUnixNanoseconds: Int64
    let method: RequestHead.Method
    public let status: Int
    let labels: RouteMetricLabels?
    let endpoint: String?
    let isTLS: Bool
    let client: String
    let requestID: RequestID

    public var traceID: String { Self.hex(self.trace.traceHigh) + Self.hex(self.trace.traceLow) }
    public var spanID: String { Self.hex(self.trace.spanID) }
    /// The client's span, when the trace was continued.
    public var parentSpanID: String? { self.trace.parentSpanID == 0 ? nil : Self.hex(self.trace.parentSpanID) }
    public var sampled: Bool { self.trace.sampled }

    /// `opentelemetry-operation-name`, else OpenTelemetry's HTTP server span name
    /// `{method} {http.route}` (the Ingress path).
    public var name: String {
        self.operationName ?? "\(self.methodText) \(self.labels?.path ?? "/")"
    }

    var methodText: String { self.method.name(other: "_OTHER") }

    public enum AttributeValue: Sendable, Equatable {
        case string(String)
        case int(Int)
    }

    /// OpenTelemetry's HTTP server semantic conventions, with the route's Kubernetes names.
    public var attributes: [(key: String, value: AttributeValue)] {
        var attributes: [(String, AttributeValue)] = [
            ("http.request.method", .string(self.methodText)),
            ("http.response.status_code", .int(self.status)),
            ("url.scheme", .string(self.isTLS ? "https" : "http")),
            ("client.address", .string(self.client)),
            ("http.request.header.x-request-id", .string(self.requestIDText)),
        ]
        if let labels = self.labels {
            attributes += [
                ("http.route", .string(labels.path)), ("server.address", .string(labels.host)),
                ("k8s.namespace.name", .string(labels.namespace)), ("k8s.ingress.name", .string(labels.ingress)),
                ("k8s.service.name", .string(labels.service)), ("portico.upstream.name", .string(labels.upstream)),
            ]
        }
        if let endpoint = self.endpoint { attributes.append(("network.peer.address", .string(endpoint))) }
        return attributes
    }

    var requestIDText: String {
        var bytes: [UInt8] = []
        self.requestID.append(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hex(_ value: UInt64) -> String { String(decoding: RequestIDGenerator.hex(value), as: UTF8.self) }

    /// Nanoseconds since the epoch, now (a span's end; its start is that less its duration).
    static func wallClockNow() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}

extension ProxyRuntime {
    /// Every loop's finished spans (each taken on its own loop, which starts a new queue), and
    /// how many were dropped since the last take.
    public func takeSpans() async -> (spans: [SpanRecord], dropped: UInt64) {
        let taken = await self.eachLoop { context -> ([SpanRecord], UInt64) in
            defer {
                context.spans = []
                context.spansDropped = 0
            }
            return (context.spans, context.spansDropped)
        }
        return (taken.flatMap(\.0), taken.reduce(0) { $0 + $1.1 })
    }
}
