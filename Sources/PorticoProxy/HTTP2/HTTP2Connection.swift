import NIOCore
import NIOHPACK
import NIOHTTP2
import PorticoTLS

/// Turns a client connection into an HTTP/2 one (after ALPN chose `h2`, or the preface came on
/// the plain port): swift-nio-http2's frame handler, with HPACK, flow control and its defences
/// (RST_STREAM and control-frame rate limits against rapid reset and floods, a cap on
/// CONTINUATION frames, the header list bound), then a connection manager for the graceful
/// GOAWAY, with `HTTP2ConnectionTracker` between them, and `HTTP2FlushCoalescer` beneath; each stream gets an `HTTP2StreamCodec` and its own
/// `ProxyConnectionHandler`, so every stream is one request through the same machine.
enum HTTP2Connection {
    static func configure(
        _ channel: any Channel, loop: LoopContext, isTLS: Bool, tlsVersion: TLSProtocolVersion?, clientCertificate: ClientCertificate?,
        forwarding: ForwardingContext
    ) throws {
        let configuration = loop.configuration
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: configuration.http2MaxConcurrentStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: configuration.http2MaxHeaderListSize ?? configuration.headLimits.head),
        ]
        // Several streams' uploads at once on one connection; each stream's own window stays
        // at 64 KiB, so back-pressure on one request holds at most that much of it here.
        connection.targetWindowSize = 1 << 20
        let stream = NIOHTTP2Handler.StreamConfiguration()
        let manager = NIOHTTP2ServerConnectionManagementHandler(
            eventLoop: channel.eventLoop,
            configuration: .init(maxIdleTime: configuration.keepAliveTimeout, maxAge: nil, maxGraceTime: nil, keepalive: nil))
        let tracker = HTTP2ConnectionTracker(loop: loop)
        let boundLoop = NIOLoopBound(loop, eventLoop: channel.eventLoop)
        let boundTracker = NIOLoopBound(tracker, eventLoop: channel.eventLoop)
        let handler = NIOHTTP2Handler(
            mode: .server, eventLoop: channel.eventLoop, connectionConfiguration: connection, streamConfiguration: stream,
            streamDelegate: manager.http2StreamDelegate
        ) { streamChannel in
            streamChannel.eventLoop.makeCompletedFuture {
                let loop = boundLoop.value
                boundTracker.value.streamOpened()
                try streamChannel.pipeline.syncOperations.addHandler(HTTP2StreamCodec())
                try streamChannel.pipeline.syncOperations.addHandler(
                    ProxyConnectionHandler(
                        loop: loop, isTLS: isTLS, tlsVersion: tlsVersion, clientCertificate: clientCertificate, isHTTP2: true, forwarding: forwarding))
            }
        }
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(HTTP2FlushCoalescer())
        try sync.addHandler(handler)
        // The tracker before the manager: the quiesce event it fires goes on to the manager.
        try sync.addHandler(tracker)
        try sync.addHandler(manager)
        // The channel was active before the manager joined: start its idle timer as
        // channelActive would have (keep-alive timeout, nginx's for HTTP/2 since 1.19.7).
        manager.channelActive(context: try sync.context(handler: manager))
    }
}

/// The HTTP/2 connection as the loop knows it: registered while open, so a shutdown reaches it
/// (a GOAWAY through the connection manager, which closes once the streams in flight are done)
/// and waits for it; and it ends the connection the same way after `keep-alive-requests`
/// streams, as nginx ≥ 1.19.7 does.
final class HTTP2ConnectionTracker: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame

    let loop: LoopContext
    private var context: ChannelHandlerContext?
    private var streams = 0
    private var quiesced = false

    init(loop: LoopContext) {
        self.loop = loop
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.loop.http2Connections[ObjectIdentifier(self)] = self
        if self.loop.isQuiescing { self.quiesce() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.loop.http2Connections[ObjectIdentifier(self)] = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.loop.http2Connections[ObjectIdentifier(self)] = nil
        context.fireChannelInactive()
    }

    /// A client stream began (its channel is being set up).
    func streamOpened() {
        self.streams += 1
        if self.streams >= self.loop.configuration.maxRequestsPerConnection { self.quiesce() }
    }

    /// Graceful end: GOAWAY now, close when the streams in flight are done.
    func quiesce() {
        guard !self.quiesced, let context = self.context else { return }
        self.quiesced = true
        context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}

@available(*, unavailable)
extension HTTP2ConnectionTracker: Sendable {}
