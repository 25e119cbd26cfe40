import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import PorticoKube
import PorticoTLS

/// A minimal HTTP/1.1 client for the Kubernetes API: one connection per call (the controller
/// makes a handful of long watches and a few writes a minute, not a request rate worth
/// pooling for), bearer token, TLS through `PorticoTLS` on the system OpenSSL.
///
/// Control plane only: it runs in tasks, never on the data plane's request path.
public struct APIClient: Sendable {
    public let config: APIServerConfig
    let group: any EventLoopGroup
    /// A call with no bytes for this long is abandoned (a half-open TCP connection would
    /// otherwise hang a watch forever).
    let idleTimeout: TimeAmount

    public init(config: APIServerConfig, group: any EventLoopGroup, idleTimeout: TimeAmount = .seconds(90)) {
        self.config = config
        self.group = group
        self.idleTimeout = idleTimeout
    }

    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
        public var text: String { String(decoding: self.body, as: UTF8.self) }
    }

    /// Sends one request and collects the whole answer.
    public func send(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json"
    ) async throws -> Response {
        var status = 0
        var collected: [UInt8] = []
        try await self.exchange(method, path, body: body, contentType: contentType) { head in
            status = Int(head.status.code)
        } onBody: { buffer in
            collected += buffer.readableBytesView
        }
        return Response(status: status, body: collected)
    }

    /// Sends a GET whose answer streams (a watch): `onHead` sees the status first, then
    /// `onLine` each newline-terminated line of the body as it arrives. Returns when the
    /// server ends the body or the connection drops (which throws).
    public func stream(
        _ path: String, onHead: (HTTPResponseHead) throws -> Void, onLine: ([UInt8]) throws -> Void
    ) async throws {
        var pending: [UInt8] = []
        try await self.exchange(.GET, path, body: nil, contentType: "application/json", onHead: onHead) { buffer in
            pending += buffer.readableBytesView
            var start = 0
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                if newline > start { try onLine(Array(pending[start..<newline])) }
                start = newline + 1
            }
            pending.removeFirst(start)
        }
        if !pending.isEmpty { try onLine(pending) }
    }

    private func exchange(
        _ method: HTTPMethod, _ path: String, body: [UInt8]?, contentType: String,
        onHead: (HTTPResponseHead) throws -> Void, onBody: (ByteBuffer) throws -> Void
    ) async throws {
        let channel = try await self.connect()
        try await channel.executeThenClose { inbound, outbound in
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: self.config.authority)
            headers.add(name: "Accept", value: "application/json")
            headers.add(name: "User-Agent", value: "portico")
            if let token = try self.config.token?.read(), !token.isEmpty {
                headers.add(name: "Authorization", value: "Bearer \(token)")
            }
            if let body {
                headers.add(name: "Content-Type", value: contentType)
                headers.add(name: "Content-Length", value: String(body.count))
            }
            try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)))
            if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            try await outbound.write(.end(nil))
            var sawHead = false
            for try await part in inbound {
                switch part {
                case .head(let head):
                    sawHead = true
                    try onHead(head)
                case .body(let buffer):
                    try onBody(buffer)
                case .end:
                    return
                }
            }
            throw APIError.connectionClosed(sawHead ? "the connection closed mid-answer" : "the connection closed before an answer")
        }
    }

    private func connect() async throws -> NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart> {
        let tls = self.config.tls
        let serverName = self.config.serverName
        let idle = self.idleTimeout
        do {
            return try await ClientBootstrap(group: self.group)
                .connectTimeout(.seconds(10))
                .connect(host: self.config.host, port: self.config.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let operations = channel.pipeline.syncOperations
                        if let tls {
                            try operations.addHandler(
                                TLSHandler(client: tls, serverName: serverName, logger: Logger(label: "portico.kubernetes")))
                        }
                        try operations.addHandler(IdleStateHandler(readTimeout: idle))
                        try operations.addHandler(CloseWhenIdle())
                        try operations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                            wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw APIError.unreachable("\(self.config.url): \(error)")
        }
    }
}

/// Closes a connection that received nothing for the idle timeout.
final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.fireErrorCaught(APIError.connectionClosed("nothing received for too long"))
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Why a call to the API server failed.
public enum APIError: Error, CustomStringConvertible, Equatable {
    case unreachable(String)
    case connectionClosed(String)
    /// A non-2xx answer with the Status message the server gave.
    case status(Int, String)
    /// `410 Gone` (HTTP or a watch ERROR event): the resourceVersion was compacted away.
    case expired(String)
    case invalidAnswer(String)

    public var description: String {
        switch self {
        case .unreachable(let detail): "cannot connect: \(detail)"
        case .connectionClosed(let detail): detail
        case .status(let code, let message): "HTTP \(code): \(message)"
        case .expired(let message): "resource version expired (410 Gone): \(message)"
        case .invalidAnswer(let detail): "invalid answer: \(detail)"
        }
    }

    /// Reads a non-2xx answer's `Status` body.
    static func from(_ response: APIClient.Response) -> APIError {
        let message = (try? APIPayload.parse(response.text))?["message"]?.string ?? response.text.prefix(200).description
        return response.status == 410 ? .expired(message) : .status(response.status, message)
    }
}
