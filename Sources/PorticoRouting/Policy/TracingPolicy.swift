/// OpenTelemetry for one route: ingress-nginx's `enable-opentelemetry`,
/// `opentelemetry-trust-incoming-span` and `opentelemetry-operation-name` annotations over the
/// ConfigMap keys of the same names (`annotations/opentelemetry/main.go`,
/// `template.go buildOpentelemetryForLocation`).
///
/// A traced request continues the client's W3C trace (RFC-like spec: W3C Trace Context,
/// `traceparent`) when trusted, or starts one; either way the upstream request carries a
/// `traceparent` naming the proxy's span as its parent (nginx's `opentelemetry_propagate`).
public struct TracingPolicy: Hashable, Sendable {
    public var enabled = false
    /// Continue an incoming `traceparent` (ingress-nginx's default), or always start a trace.
    public var trustIncoming = true
    /// The span's name; nil: `METHOD /ingress-path` (OpenTelemetry's HTTP server span name).
    public var operationName: String?

    public init(enabled: Bool = false, trustIncoming: Bool = true, operationName: String? = nil) {
        self.enabled = enabled
        self.trustIncoming = trustIncoming
        self.operationName = operationName
    }
}
