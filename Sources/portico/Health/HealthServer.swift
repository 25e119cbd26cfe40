import NIOCore
import NIOHTTP1
import NIOPosix

/// `/healthz` (liveness: the process and its event loops answer), `/readyz` (readiness) for
/// the kubelet and `/metrics` for Prometheus (ingress-nginx serves it on the same port,
/// 10254), on their own port so probes and scrapes never compete with, or show up in, proxied
/// traffic. Control plane only.
enum HealthServer {
    /// `metrics`: the exposition text, gathered from the event loops.
    typealias Metrics = @Sendable () async -> String

    static func bind(
        host: String, port: Int, readiness: Readiness, metrics: Metrics? = nil, group: any EventLoopGroup
    ) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(HealthHandler(readiness: readiness, metrics: metrics))
                }
            }
            .bind(host: host, port: port).get()
    }
}

final class HealthHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let readiness: Readiness
    let metrics: HealthServer.Metrics?
    private var path: String?

    init(readiness: Readiness, metrics: HealthServer.Metrics?) {
        self.readiness = readiness
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head): self.path = String(head.uri.prefix { $0 != "?" })
        case .body: break
        case .end:
            defer { self.path = nil }
            switch self.path {
            case "/healthz": Self.respond(context, .ok, "ok\n")
            case "/readyz": Self.respond(context, self.readiness.isReady ? .ok : .serviceUnavailable, self.readiness.report)
            case "/metrics" where self.metrics != nil:
                let promise = context.eventLoop.makePromise(of: String.self)
                promise.completeWithTask(self.metrics!)
                promise.futureResult.assumeIsolated().whenSuccess { text in
                    Self.respond(context, .ok, text, contentType: "text/plain; version=0.0.4; charset=utf-8")
                }
            default: Self.respond(context, .notFound, "/healthz, /readyz or /metrics\n")
            }
        }
    }

    static func respond(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ body: String, contentType: String = "text/plain; charset=utf-8") {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
    }
}
