import NIOCore
import NIOHTTP1
import NIOPosix

/// `/healthz` (liveness: the process and its event loops answer) and `/readyz` (readiness) for
/// the kubelet, on their own port so probes never compete with, or show up in, proxied
/// traffic. Control plane only.
enum HealthServer {
    static func bind(host: String, port: Int, readiness: Readiness, group: any EventLoopGroup) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(HealthHandler(readiness: readiness))
                }
            }
            .bind(host: host, port: port).get()
    }
}

final class HealthHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let readiness: Readiness
    private var path: String?

    init(readiness: Readiness) { self.readiness = readiness }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head): self.path = String(head.uri.prefix { $0 != "?" })
        case .body: break
        case .end:
            let (status, body): (HTTPResponseStatus, String)
            switch self.path {
            case "/healthz": (status, body) = (.ok, "ok\n")
            case "/readyz": (status, body) = (self.readiness.isReady ? .ok : .serviceUnavailable, self.readiness.report)
            default: (status, body) = (.notFound, "/healthz or /readyz\n")
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
            self.path = nil
        }
    }
}
