import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import PorticoProxy
import PorticoRouting

/// Sends the proxy's spans to an OpenTelemetry collector over OTLP/HTTP: every
/// `otel-schedule-delay-millis` it takes each event loop's finished spans and posts them to
/// `http://<otlp-collector-host>:<otlp-collector-port>/v1/traces` in batches of at most
/// `otel-max-export-batch-size` (the batch span processor's settings in ingress-nginx). A
/// collector that is down loses those spans, with one warning per outage; the proxy never
/// waits for it. Control plane only.
public final class SpanExporter: Sendable {
    let runtime: ProxyRuntime
    let group: any EventLoopGroup
    let logger: Logger

    public init(runtime: ProxyRuntime, group: any EventLoopGroup, logger: Logger) {
        self.runtime = runtime
        self.group = group
        self.logger = logger
    }

    /// Exports until cancelled, then once more (the spans of the last requests).
    public func run() async {
        var failing = false
        while !Task.isCancelled {
            let settings = self.runtime.generation.snapshot.settings.tracing
            try? await Task.sleep(for: .milliseconds(settings.scheduleDelayMilliseconds))
            failing = await self.exportOnce(failing: failing)
        }
        _ = await self.exportOnce(failing: failing)
    }

    /// Takes and sends what the loops hold; returns whether the collector is failing.
    func exportOnce(failing: Bool) async -> Bool {
        let settings = self.runtime.generation.snapshot.settings.tracing
        let (spans, dropped) = await self.runtime.takeSpans()
        if dropped > 0 {
            self.logger.warning("\(dropped) spans dropped: the queue (otel-max-queuesize \(settings.maxQueueSize)) was full")
        }
        guard let host = settings.collectorHost, !spans.isEmpty else { return failing }
        var start = 0
        while start < spans.count {
            let batch = Array(spans[start..<min(start + settings.maxExportBatchSize, spans.count)])
            start += batch.count
            do {
                let status = try await self.post(
                    OTLPTraceRequest.json(batch, serviceName: settings.serviceName), host: host, port: settings.collectorPort)
                guard (200..<300).contains(status) else { throw ExportError.status(status) }
                if failing { self.logger.info("spans reach the collector \(host):\(settings.collectorPort) again") }
            } catch {
                if !failing {
                    self.logger.warning("spans not exported to \(host):\(settings.collectorPort)/v1/traces: \(error); they are dropped until it answers")
                }
                return true
            }
        }
        return false
    }

    enum ExportError: Error, CustomStringConvertible {
        case status(Int)
        case noAnswer

        var description: String {
            switch self {
            case .status(let status): "the collector answered \(status)"
            case .noAnswer: "the collector closed the connection without an answer"
            }
        }
    }

    /// One `POST /v1/traces` on a new connection; the answer's status.
    func post(_ body: [UInt8], host: String, port: Int) async throws -> Int {
        let channel = try await ClientBootstrap(group: self.group)
            .connectTimeout(.seconds(5))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: port == 80 ? host : "\(host):\(port)")
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.count))
            headers.add(name: "User-Agent", value: "portico")
            headers.add(name: "Connection", value: "close")
            try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v1/traces", headers: headers)))
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
            try await outbound.write(.end(nil))
            var status: Int?
            for try await part in inbound {
                switch part {
                case .head(let head): status = Int(head.status.code)
                case .body: break
                case .end: if let status { return status }
                }
            }
            throw ExportError.noAnswer
        }
    }
}
