import NIOCore
import PorticoRouting

/// One client connection: parses requests, routes them, relays each to an upstream endpoint and
/// the response back, with keep-alive on both sides.
///
/// The whole exchange runs on the connection's event loop: no task, promise or thread hop per
/// request. Bodies pass through as `ByteBuffer` slices, never whole, with back-pressure both
/// ways (a side that cannot write stops the other side's reads).
final class ProxyConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum State {
        /// Waiting for (the rest of) a request head.
        case idle
        /// A route was found; an upstream connection is being made or taken from the pool.
        case connecting
        /// The request is with the upstream; its response is awaited or being relayed.
        case proxying
        /// After a 101 response: bytes flow both ways untouched.
        case tunnel
        /// Closing once the last response is flushed; further input is ignored.
        case closing
    }

    let loop: LoopContext
    /// The connection came in on the HTTPS listener (behind a `TLSHandler`).
    let isTLS: Bool
    var context: ChannelHandlerContext!
    var forwarding: ForwardingContext!
    var state: State = .idle
    /// Received bytes not yet consumed: the next head, or body bytes waiting to be forwarded.
    var inbound = ByteBuffer()
    var head = RequestHead()
    var isReading = true
    var requestsOnConnection = 0
    var idleSince = NIODeadline.now()
    var timer: Scheduled<Void>?
    /// When the pending `timer` fires.
    var timerDeadline = NIODeadline.distantFuture

    // The current exchange.
    var exchangeID = 0
    var upstream: UpstreamHandler?
    var backend: ProxyBackend?
    var routeName: String?
    var upstreamRequestHead = ByteBuffer()
    var requestBody: RequestBodyState = .none
    /// The route's `proxy-body-size` for this exchange (nil: unlimited), and the body bytes seen.
    var maxBodySize: Int?
    var bodyBytesSeen = 0
    /// This exchange's upstream timeouts: the route's annotations, else the server's defaults.
    var connectTimeout = TimeAmount.seconds(5)
    var readTimeout = TimeAmount.seconds(60)
    var sendTimeout = TimeAmount.seconds(60)
    /// Since when the upstream has not been taking request body bytes (nil: it is).
    var sendBlockedSince: NIODeadline?
    /// `upstream-hash-by` or ClientIP affinity: the hash that picks this exchange's endpoint.
    var affinityHash: UInt64?
    /// Cookie affinity of this exchange: the route's settings and the endpoint its cookie named.
    var cookieAffinity: CookieAffinity?
    var cookieEndpoint: ProxyEndpoint?
    /// This exchange's retry rules (the route's `proxy-next-upstream*`).
    var retryPolicy = RetryPolicy(maxTries: 3)
    /// `load-balance: ewma` for this exchange, and when its current attempt started.
    var ewma = false
    var attemptStart = NIODeadline.now()
    /// The client behind a trusted proxy (from X-Forwarded-For), for this request; nil: the peer.
    var realClient: (text: String, bytes: [UInt8])?
    /// Whether the peer is in `--trusted-proxies` (decided once per connection).
    var peerIsTrusted = false
    var bodyStreamed = false
    var attempt = 0
    var rotationStart = 0
    var endpoint: ProxyEndpoint?
    var responseStarted = false
    var keepAlive = true
    var closeAfterResponse = false
    var lastUpstreamActivity = NIODeadline.now()
    /// When the client last sent bytes while a request body was expected (`client_body_timeout`).
    var lastClientActivity = NIODeadline.now()
    /// `--client-body-min-rate` over the body being read.
    var bodyRate = BodyRateGuard.disabled
    var requestStart = NIODeadline.now()
    var status = 0
    var bytesSent = 0
    var logRecord = RequestLogRecord()

    enum RequestBodyState {
        case none
        case length(remaining: Int)
        case chunked(ChunkedDecoder)
        case complete

        var isComplete: Bool {
            switch self {
            case .none, .complete: true
            case .length, .chunked: false
            }
        }
    }

    /// Body bytes buffered before back-pressure stops reading from the client.
    static let maxBufferedInbound = 64 * 1024

    init(loop: LoopContext, isTLS: Bool = false) {
        self.loop = loop
        self.isTLS = isTLS
    }

    /// Whether the proxy's responses carry HSTS on this connection.
    var sendsHSTS: Bool { self.isTLS && self.loop.configuration.hsts }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let peer = context.channel.remoteAddress?.ipAddress ?? "unknown"
        let port = context.channel.localAddress?.port ?? 0
        self.forwarding = ForwardingContext(
            peerAddress: peer, peerBytes: Self.addressBytes(context.channel.remoteAddress), listenerPort: port,
            scheme: self.isTLS ? "https" : "http")
        self.peerIsTrusted = self.loop.configuration.trustedProxies.contains { $0.contains(self.forwarding.peerBytes) }
        self.inbound = context.channel.allocator.buffer(capacity: 0)
        self.loop.connections[ObjectIdentifier(self)] = self
        if self.loop.isQuiescing { self.quiesce() }
        self.armTimer()
    }

    /// The pipeline is torn down: drop the context (it holds this handler, so keeping it would
    /// be a reference cycle that outlives the connection) and anything still attached.
    func handlerRemoved(context: ChannelHandlerContext) {
        self.loop.connections[ObjectIdentifier(self)] = nil
        self.timer?.cancel()
        self.timer = nil
        if let upstream = self.upstream {
            self.upstream = nil
            upstream.close()
        }
        self.context = nil
    }

    /// 4 or 16 network-order bytes of an IP socket address.
    static func addressBytes(_ address: SocketAddress?) -> [UInt8] {
        switch address {
        case .v4(let v4)?: return withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6)?: return withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        default: return []
        }
    }

    /// Shutdown: close now if between requests, else after the current response.
    func quiesce() {
        self.keepAlive = false
        self.closeAfterResponse = true
        if self.state == .idle, self.inbound.readableBytes == 0 {
            self.state = .closing
            self.context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = Self.unwrapInboundIn(data)
        if !self.requestBody.isComplete {
            self.lastClientActivity = .now()
            self.bodyRate.received(buffer.readableBytes)
        }
        if self.inbound.readableBytes == 0 {
            self.inbound = buffer
        } else {
            self.inbound.writeBuffer(&buffer)
        }
        self.processInbound()
    }

    /// Runs the connection's state machine over the bytes received so far.
    func processInbound() {
        while true {
            switch self.state {
            case .idle:
                guard self.inbound.readableBytes > 0 else { return }
                let result = self.inbound.withUnsafeReadableBytes { RequestHeadParser.parse($0, into: &self.head) }
                switch result {
                case .incomplete:
                    return
                case .skip(let count):
                    self.inbound.moveReaderIndex(forwardBy: count)
                case .failure(let failure):
                    self.requestStart = .now()
                    self.logRecord.recordUnparsed()
                    self.routeName = nil
                    self.endpoint = nil
                    self.respondWithError(failure.status, close: true)
                    return
                case .complete:
                    self.beginRequest()
                }
            case .connecting:
                if self.inbound.readableBytes > Self.maxBufferedInbound { self.setReading(false) }
                return
            case .proxying:
                self.pumpRequestBody()
                if self.requestBody.isComplete, self.inbound.readableBytes > Self.maxBufferedInbound {
                    self.setReading(false)  // a client pipelining faster than we answer
                }
                return
            case .tunnel:
                if self.inbound.readableBytes > 0, let upstream = self.upstream {
                    self.lastClientActivity = .now()
                    upstream.write(self.inbound)
                    upstream.flush()
                    self.inbound.moveReaderIndex(to: self.inbound.writerIndex)
                }
                return
            case .closing:
                self.inbound.clear()
                return
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // No flush here: every write to the client is flushed where it is made (end of a
        // response, end of an upstream read burst, the proxy's own responses).
        // Reclaim the space of consumed bytes (keeps the accumulator small across requests).
        if self.inbound.readableBytes == 0, self.inbound.readerIndex > 0 { self.inbound.clear() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.upstream?.setReading(true) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.loop.connections[ObjectIdentifier(self)] = nil
        self.state = .closing
        self.timer?.cancel()
        self.timer = nil
        if let upstream = self.upstream {
            self.upstream = nil
            upstream.close()
            self.recordAttemptEnd()
        }
        self.exchangeID += 1
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func setReading(_ reading: Bool) {
        guard reading != self.isReading else { return }
        self.isReading = reading
        // Time held back by back-pressure is not the client's.
        if reading, !self.requestBody.isComplete { self.bodyRate.restart(now: .now()) }
        try? self.context.channel.syncOptions?.setOption(.autoRead, value: reading)
        if reading { self.context.read() }
    }

    /// How long a closing connection keeps draining what the client still sends.
    static let lingeringTimeout = TimeAmount.seconds(2)

    /// Flushes what was written, then closes, lingering like nginx's `lingering_close`: the
    /// write side is shut first (FIN) while input is still read and discarded, and the socket
    /// closes when the client closes or after `lingeringTimeout`. Closing at once while a client
    /// is still sending a body (after a 413 or 400) would make the kernel answer with RST and
    /// destroy the response before the client reads it.
    func closeAfterFlush() {
        self.state = .closing
        let promise = self.context.eventLoop.makePromise(of: Void.self)
        self.context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer()), promise: promise)
        let context = self.context!
        promise.futureResult.assumeIsolated().whenComplete { result in
            guard case .success = result else {
                context.close(promise: nil)
                return
            }
            let halfClosed = context.eventLoop.makePromise(of: Void.self)
            context.close(mode: .output, promise: halfClosed)
            halfClosed.futureResult.assumeIsolated().whenComplete { result in
                guard case .success = result else {
                    context.close(promise: nil)
                    return
                }
                // Keep reading (and discarding) so the client's remaining bytes never sit unread.
                try? context.channel.syncOptions?.setOption(.autoRead, value: true)
                context.read()
                context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingeringTimeout) { context.close(promise: nil) }
            }
        }
    }
}

@available(*, unavailable)
extension ProxyConnectionHandler: Sendable {}
