/// Where and how spans are exported: the controller ConfigMap's `otlp-collector-host`,
/// `otlp-collector-port`, `otel-service-name`, `otel-sampler`, `otel-sampler-ratio`,
/// `otel-sampler-parent-based`, `otel-schedule-delay-millis`, `otel-max-export-batch-size` and
/// `otel-max-queuesize`, with ingress-nginx's defaults (`controller/config/config.go`).
///
/// Portico exports OTLP over HTTP (JSON, `POST /v1/traces`), not gRPC: the collector's OTLP/HTTP
/// receiver, port 4318 unless the ConfigMap says otherwise.
public struct TracingSettings: Hashable, Sendable {
    public enum Sampler: Hashable, Sendable {
        case alwaysOn, alwaysOff
        /// `TraceIdRatioBased` with `otel-sampler-ratio`: a trace is kept when its id's low 64
        /// bits fall under ratio × 2⁶⁴, so every hop that sees the same id decides the same.
        case traceIDRatio
    }

    /// No collector, no spans recorded (the `traceparent` is still propagated on traced routes).
    public var collectorHost: String?
    public var collectorPort = 4318
    public var serviceName = "nginx"
    public var sampler = Sampler.alwaysOn
    /// `otel-sampler-ratio`, read by `traceIDRatio` only.
    public var samplerRatio = 0.01
    /// A trusted parent's sampled flag decides (ParentBased), not the sampler.
    public var parentBased = true
    public var scheduleDelayMilliseconds = 5000
    public var maxExportBatchSize = 512
    /// Spans held per event loop between exports; more are dropped (and counted).
    public var maxQueueSize = 2048

    public init() {}
}
