import NIOCore
import NIOPosix
import PorticoRouting
import PorticoTLS

/// `--enable-ssl-passthrough`: the first handler of every HTTPS connection. It holds the
/// client's first bytes until the ClientHello's SNI name is read (`ClientHelloSNI`); a name the
/// generation lists as `ssl-passthrough` is spliced, bytes untouched both ways, to an endpoint
/// of its host's `/` backend (the TLS and HTTP handlers behind leave the pipeline, and the
/// endpoint's own certificate answers); any other connection is handed, with those bytes, to
/// the TLS handler as if this one had never been there. ingress-nginx's TCP proxy does the
/// same in front of nginx (`pkg/tcpproxy`), without a timeout on the spliced connection.
final class TLSPassthroughHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case sniffing
        /// Connecting to the endpoint; client bytes wait in `held`.
        case connecting
        case splicing(PassthroughUpstream)
        case closed
    }

    let loop: LoopContext
    private var state = State.sniffing
    private var held = ByteBuffer()
    private var context: ChannelHandlerContext?

    init(loop: LoopContext) {
        self.loop = loop
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = Self.unwrapInboundIn(data)
        switch self.state {
        case .sniffing:
            self.held.writeBuffer(&buffer)
            let result = self.held.withUnsafeReadableBytes { ClientHelloSNI.parse($0) }
            switch result {
            case .incomplete where self.held.readableBytes <= ClientHelloSNI.maxRecord:
                return
            case .name(let name):
                if let backend = self.loop.generation.snapshot.passthrough[name] {
                    self.splice(backend: backend, context: context)
                    return
                }
            default:
                break
            }
            // Terminated as usual: the TLS handler gets everything read so far.
            let first = self.held
            self.held = ByteBuffer()
            context.fireChannelRead(Self.wrapInboundOut(first))
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case .connecting:
            self.held.writeBuffer(&buffer)
        case .splicing(let upstream):
            upstream.write(buffer)
        case .closed:
            return
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .splicing(let upstream) = self.state { upstream.flush() }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .splicing(let upstream) = self.state { upstream.setReading(context.channel.isWritable) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .splicing(let upstream) = self.state { upstream.close() }
        self.state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// The host is passed through: the TLS and HTTP handlers leave, an endpoint is dialled on
    /// this loop, and what the client sent so far goes to it first.
    private func splice(backend id: BackendID, context: ChannelHandlerContext) {
        let sync = context.pipeline.syncOperations
        if let tls = try? sync.handler(type: TLSHandler.self) { sync.removeHandler(tls, promise: nil) }
        if let http = try? sync.handler(type: ProxyConnectionHandler.self) { sync.removeHandler(http, promise: nil) }
        let backend = self.loop.generation.backends[id]
        guard !backend.endpoints.isEmpty else {
            self.state = .closed
            context.close(promise: nil)
            return
        }
        let endpoint = backend.endpoint(
            start: backend.nextStart(loop: self.loop.index), attempt: 0, now: .now(), skipped: &self.loop.counters.endpointsSkipped)
        self.state = .connecting
        let client = NIOLoopBound(self, eventLoop: context.eventLoop)
        ClientBootstrap(group: context.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(self.loop.configuration.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PassthroughUpstream(client: client.value))
                }
            }
            .connect(to: endpoint.address)
            .assumeIsolated()
            .whenComplete { result in
                guard case .success(let channel) = result, let upstream = try? channel.pipeline.syncOperations.handler(type: PassthroughUpstream.self),
                    case .connecting = self.state, let context = self.context
                else {
                    if case .success(let channel) = result { channel.close(promise: nil) }
                    if case .failure = result { endpoint.markDown(now: .now(), for: self.loop.configuration.failedEndpointBackoff) }
                    self.state = .closed
                    self.context?.close(promise: nil)
                    return
                }
                self.state = .splicing(upstream)
                upstream.write(self.held)
                upstream.flush()
                self.held = ByteBuffer()
                upstream.setReading(context.channel.isWritable)
            }
    }

    // MARK: - From the endpoint

    func upstreamRead(_ buffer: ByteBuffer) {
        self.context?.write(Self.wrapOutboundOut(buffer), promise: nil)
    }

    func upstreamReadComplete() { self.context?.flush() }

    func upstreamWritabilityChanged(_ writable: Bool) {
        guard let channel = self.context?.channel else { return }
        try? channel.syncOptions?.setOption(.autoRead, value: writable)
        if writable { self.context?.read() }
    }

    func upstreamClosed() {
        guard case .splicing = self.state else { return }
        self.state = .closed
        self.context?.close(promise: nil)
    }
}

/// The endpoint's side of a spliced connection.
final class PassthroughUpstream: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var client: TLSPassthroughHandler?
    private var context: ChannelHandlerContext?

    init(client: TLSPassthroughHandler) {
        self.client = client
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.client = nil
    }

    func write(_ buffer: ByteBuffer) {
        guard buffer.readableBytes > 0 else { return }
        self.context?.write(Self.wrapOutboundOut(buffer), promise: nil)
    }

    func flush() { self.context?.flush() }

    func setReading(_ reading: Bool) {
        guard let context = self.context else { return }
        try? context.channel.syncOptions?.setOption(.autoRead, value: reading)
        if reading { context.read() }
    }

    func close() {
        self.client = nil
        self.context?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.client?.upstreamRead(Self.unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) { self.client?.upstreamReadComplete() }

    func channelWritabilityChanged(context: ChannelHandlerContext) { self.client?.upstreamWritabilityChanged(context.channel.isWritable) }

    func channelInactive(context: ChannelHandlerContext) {
        let client = self.client
        self.client = nil
        client?.upstreamClosed()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension TLSPassthroughHandler: Sendable {}

@available(*, unavailable)
extension PassthroughUpstream: Sendable {}
