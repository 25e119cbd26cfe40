import NIOCore
import NIOPosix

/// One request's mirror copy (Gateway API `RequestMirror`) on a connection of its own to the
/// mirror endpoint, on the client connection's event loop. It gets the bytes the upstream gets
/// as they go (head, then body slices: shared, not copied) and never holds the request back:
/// bytes waiting for the connection past `maxPending`, or a connection that stops taking them
/// (its outbound buffer past the high-water mark), drop the copy. The answer is not read past
/// its first bytes: they close the connection, as does `timeout` after the copy was sent.
/// Nothing is pooled: a copy is a request of its own, like nginx's mirror sub-request to a
/// `proxy_pass` URL.
final class MirrorSender {
    /// What a copy may hold while its connection is being made.
    static let maxPending = 1 << 20

    private let loop: LoopContext
    private let timeout: TimeAmount
    private var channel: (any Channel)?
    private var pending: [ByteBuffer] = []
    private var pendingBytes = 0
    private var finished = false
    private var over = false

    init(endpoint: ProxyEndpoint, head: ByteBuffer, timeout: TimeAmount, loop: LoopContext, eventLoop: any EventLoop) {
        self.loop = loop
        self.timeout = timeout
        self.pending = [head]
        self.pendingBytes = head.readableBytes
        ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // A gRPC mirror (a GRPCRoute's) speaks HTTP/2, as its backends do.
                    try endpoint.addWireHandlers(to: channel.pipeline.syncOperations)
                    try channel.pipeline.syncOperations.addHandler(MirrorAnswerHandler())
                }
            }
            .connect(to: endpoint.address)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel): self.connected(channel)
                case .failure: self.drop()
                }
            }
    }

    /// More of the request, in order; sent at the next `flush` (the upstream's: the copy's
    /// bytes go out in the same batches).
    func write(_ bytes: ByteBuffer) {
        guard !self.over else { return }
        guard let channel = self.channel else {
            self.pendingBytes += bytes.readableBytes
            if self.pendingBytes > Self.maxPending { return self.drop() }
            self.pending.append(bytes)
            return
        }
        guard channel.isWritable else { return self.drop() }
        channel.write(bytes, promise: nil)
    }

    func flush() {
        guard !self.over else { return }
        self.channel?.flush()
    }

    /// The whole request was written: the copy is sent; its connection waits for the answer.
    func finish() {
        guard !self.over else { return }
        self.finished = true
        if let channel = self.channel {
            channel.flush()
            self.sent(channel)
        }
    }

    /// The request was cut short: so is its copy.
    func cancel() {
        guard !self.over, !self.finished else { return }
        self.drop()
    }

    private func connected(_ channel: any Channel) {
        guard !self.over else {
            channel.close(promise: nil)
            return
        }
        self.channel = channel
        for bytes in self.pending { channel.write(bytes, promise: nil) }
        channel.flush()
        self.pending = []
        self.pendingBytes = 0
        if self.finished { self.sent(channel) }
    }

    private func sent(_ channel: any Channel) {
        self.over = true
        self.loop.counters.mirrorsSent &+= 1
        channel.eventLoop.assumeIsolated().scheduleTask(in: self.timeout) { channel.close(promise: nil) }
    }

    private func drop() {
        guard !self.over else { return }
        self.over = true
        self.loop.counters.mirrorsDropped &+= 1
        self.pending = []
        self.channel?.close(promise: nil)
        self.channel = nil
    }
}

/// The mirror connection's reader: the first bytes of the answer (or an error) close it.
final class MirrorAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
