import NIOCore
import PorticoRouting

/// The tracing phase (after routing, on routes with `enable-opentelemetry`) and the span the
/// log phase records.
extension ClientConnection {
    /// Phase: trace. Continues the client's trace (when trusted) or starts one; the upstream
    /// request will carry it.
    mutating func tracePhase(_ policy: TracingPolicy, generation: Generation) {
        self.relay.trace = self.inbound.withUnsafeReadableBytes { bytes in
            TraceContext.start(
                bytes, traceparent: self.head.traceparent, trust: policy.trustIncoming, settings: generation.tracing,
                random: &self.loop.requestIDs)
        }
    }

    /// At the log phase: the request's span, when it is sampled and a collector is set. The
    /// queue is bounded per loop; past it spans are dropped and counted, never waited for.
    func recordSpan(_ log: AnswerLog, duration: TimeAmount) {
        guard let trace = self.relay.trace, trace.sampled, self.loop.generation.tracing.exports else { return }
        guard self.loop.spans.count < self.loop.generation.tracing.maxQueueSize else {
            self.loop.spansDropped &+= 1
            return
        }
        let end = SpanRecord.wallClockNow()
        self.loop.spans.append(
            SpanRecord(
                trace: trace, operationName: log.spanName, startUnixNanoseconds: end - duration.nanoseconds, endUnixNanoseconds: end, method: log.method, status: log.status,
                labels: log.metricLabels, endpoint: log.endpoint?.display, isTLS: self.isTLS, client: self.forwarding.peerAddress,
                requestID: self.relay.requestID))
    }
}
