import NIOCore
import NIOHTTP1
import NIOPosix

/// A document the health port serves besides the probes, rendered when asked.
struct HealthPage: Sendable {
    let contentType: String
    let render: @Sendable () async -> String
}

/// `/healthz` (liveness: the process and its event loops answer), `/readyz` (readiness) for
/// the kubelet, `/metrics` for Prometheus (ingress-nginx serves it on the same port, 10254)
/// and the route map (`/routes`, `/routes.json`), on their own port so probes, scrapes and
/// people never compete with, or show up in, proxied traffic. Control plane only.
enum HealthServer {
    static func bind(
        host: String, port: Int, readiness: Readiness, pages: [String: HealthPage] = [:], group: any EventLoopGroup
    ) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(HealthHandler(readiness: readiness, pages: pages))
                }
            }
            .bind(host: host, port: port).get()
    }
}

final class HealthHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let readiness: Readiness
    let pages: [String: HealthPage]
    private var path: String?

    init(readiness: Readiness, pages: [String: HealthPage]) {
        self.readiness = readiness
        self.pages = pages
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
            case let path? where self.pages[path] != nil:
                let page = self.pages[path]!
                let promise = context.eventLoop.makePromise(of: String.self)
                promise.completeWithTask(page.render)
                promise.futureResult.assumeIsolated().whenSuccess { text in
                    Self.respond(context, .ok, text, contentType: page.contentType)
                }
            default:
                let known = ["/healthz", "/readyz"] + self.pages.keys.sorted()
                Self.respond(context, .notFound, known.joined(separator: ", ") + "\n")
            }
        }
    }

    static func respond(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ body: String, contentType: String = "text/plain; charset=utf-8") {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "Cache-Control", value: "no-store")
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
    }
}
