import Logging
import NIOCore
import NIOHTTP2
import NIOPosix
import PorticoRouting
import PorticoTLS

/// The channel side of one client connection: translates NIO's callbacks (and its upstream
/// connection's) into `ClientConnection` events, and carries out the actions the machine
/// returns. It decides nothing itself.
///
/// The whole exchange runs on the connection's event loop: no task, promise or thread hop per
/// request. Bodies pass through as `ByteBuffer` slices, never whole, with back-pressure both
/// ways.
final class ProxyConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let loop: LoopContext
    /// The connection came in on the HTTPS listener (behind a `TLSHandler`).
    let isTLS: Bool
    private var context: ChannelHandlerContext!
    private var machine: ClientConnection

    /// nginx's stub_status states: `waiting` (idle keep-alive), `reading` (a head arriving),
    /// `writing` (a request in progress).
    var statusState: ConnectionStatusState {
        switch self.machine.state {
        case .idle: self.machine.inbound.readableBytes > 0 ? .reading : .waiting
        case .exchange, .tunnel, .closing: .writing
        }
    }
    /// The upstream connection of the current attempt, while the machine has one attached.
    private var upstream: UpstreamHandler?
    /// The current request's mirror copies whose body bytes are still coming.
    private var mirrors: [MirrorSender] = []
    /// Its number on the loop: a wake-up for an earlier connection at the same address is not
    /// this one's.
    let serial: UInt64
    /// While closing lingers: when the socket is closed whatever the client still sends.
    private var lingerUntil: NIODeadline?
    private var performing = false
    /// The clock, read once per NIO callback (not once per step of it): events and the
    /// actions they produce share it, so a keep-alive request reads the clock twice (its
    /// read, its answer's read).
    private var now = NIODeadline.uptimeNanoseconds(0)

    /// `isHTTP2`: the handler of one HTTP/2 stream (behind an `HTTP2StreamCodec`), whose
    /// connection's TLS version is `tlsVersion` and peer and listener `forwarding` (worked out
    /// once per connection, not per stream: the peer's address text is a String built each time).
    init(
        loop: LoopContext, isTLS: Bool = false, tlsVersion: TLSProtocolVersion? = nil, clientCertificate: ClientCertificate? = nil,
        isHTTP2: Bool = false, forwarding: ForwardingContext = .unknown
    ) {
        self.loop = loop
        self.isTLS = isTLS
        loop.connectionSerials &+= 1
        self.serial = loop.connectionSerials
        self.machine = ClientConnection(loop: loop, isTLS: isTLS, forwarding: forwarding)
        self.machine.tlsVersion = tlsVersion
        self.machine.clientCertificate = clientCertificate
        self.machine.isHTTP2 = isHTTP2
        if isHTTP2 {
            // A stream's machine serves one request: room for it up front, in one allocation
            // per array instead of one per doubling (a connection's grow once, then stay).
            self.machine.head.fields.reserveCapacity(16)
            self.machine.actions.reserveCapacity(8)
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // A stream was given its connection's; a connection works its own out.
        let forwarding = self.machine.isHTTP2 ? self.machine.forwarding : self.forwarding(of: context.channel)
        self.loop.connections[ObjectIdentifier(self)] = self
        self.now = .now()
        self.machine.start(forwarding: forwarding, inbound: ClientConnection.noBytes, now: self.now)
        self.perform()
    }

    /// Who the peer is and which listener it came in on.
    private func forwarding(of channel: any Channel) -> ForwardingContext {
        let port = channel.localAddress?.port ?? 0
        return ForwardingContext(
            peerAddress: channel.remoteAddress?.ipAddress ?? "unknown", peerBytes: Self.addressBytes(channel.remoteAddress), listenerPort: port,
            listenerFields: self.loop.forwardingFields(port: port, tls: self.isTLS))
    }

    /// The TLS layer's handshake outcome, counted for `portico_tls_handshakes_total`.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let handshake = event as? TLSHandshakeEvent {
            self.loop.counters.handshake(handshake)
            if case .completed(let version, let http2, let client) = handshake {
                self.machine.tlsVersion = version
                self.machine.clientCertificate = client
                if http2 { self.becomeHTTP2(context: context, first: nil) }
            }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// The pipeline is torn down: drop the context (it holds this handler, so keeping it would
    /// be a reference cycle that outlives the connection) and anything still attached.
    func handlerRemoved(context: ChannelHandlerContext) {
        self.loop.connections[ObjectIdentifier(self)] = nil
        if let upstream = self.upstream {
            self.upstream = nil
            upstream.close()
        }
        self.cancelMirrors()
        self.context = nil
    }

    /// Drops the current request's copies whose bodies were still coming.
    private func cancelMirrors() {
        guard !self.mirrors.isEmpty else { return }
        for copy in self.mirrors { copy.cancel() }
        self.mirrors.removeAll()
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
        self.machine.quiesce()
        self.perform()
    }

    // MARK: - Client channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.now = .now()
        self.machine.received(Self.unwrapInboundIn(data), now: self.now)
        self.perform()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.machine.readComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.machine.clientWritabilityChanged(context.channel.isWritable)
        self.perform()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.loop.connections[ObjectIdentifier(self)] = nil  // its pending wake-ups are skipped
        self.now = .now()
        self.machine.closed(now: self.now)
        self.perform()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// The loop's timer wheel reached a wake-up this connection asked for.
    func timerFired(deadline: NIODeadline, now: NIODeadline) {
        guard let context = self.context else { return }
        if let lingerUntil = self.lingerUntil {
            if now >= lingerUntil { context.close(promise: nil) }
            return
        }
        // Only the wake-up the machine is waiting for; one it since replaced is stale.
        guard deadline == self.machine.timerDeadline else { return }
        self.now = now
        self.machine.timerFired(now: now)
        self.perform()
    }

    // MARK: - Upstream connection events

    func upstreamInterimResponse(_ headBytes: ByteBuffer, status: Int, now: NIODeadline) {
        self.now = now
        self.machine.upstreamInterimResponse(headBytes, status: status, now: now)
        self.perform()
    }

    /// False: the answer is dropped (another attempt follows, or the exchange is over).
    func upstreamResponseHead(_ headBytes: ByteBuffer, _ response: ResponseHead, now: NIODeadline) -> Bool {
        self.now = now
        let relayed = self.machine.upstreamResponseHead(headBytes, response, now: now)
        self.perform()
        return relayed
    }

    func upstreamResponseBody(_ body: ByteBuffer) {
        self.machine.upstreamResponseBody(body)
        self.perform()
    }

    func upstreamReadComplete(now: NIODeadline) {
        self.now = now
        self.machine.upstreamReadComplete(now: now)
        self.perform()
    }

    func upstreamWritabilityChanged(_ writable: Bool) {
        self.now = .now()
        self.machine.upstreamWritabilityChanged(writable, now: self.now)
        self.perform()
    }

    func upstreamResponseEnd(_ connection: UpstreamHandler, reusable: Bool, now: NIODeadline) {
        guard connection === self.upstream else { return }
        self.now = now
        self.machine.upstreamResponseEnd(reusable: reusable, now: now)
        self.perform()
    }

    func upstreamFailed(_ connection: UpstreamHandler, _ failure: UpstreamFailure) {
        guard connection === self.upstream else { return }
        self.upstream = nil
        self.now = .now()
        self.machine.upstreamFailed(failure, now: self.now)
        self.perform()
    }

    // MARK: - Actions

    /// Carries out the machine's actions in order, a batch at a time. Carrying one out may feed
    /// a new event in (a pooled connection is ready at once, a write changes writability, a
    /// close makes the channel inactive); its actions are queued behind the batch and carried
    /// out by the same loop, so order is kept and nothing runs re-entrantly.
    private func perform() {
        guard !self.performing else { return }
        self.performing = true
        defer { self.performing = false }
        while true {
            // The loop's spare array, not one per connection: an idle connection then keeps only
            // the machine's queue. A handler that runs while another one's batch is out (a
            // callback into a second connection) gets an empty array and allocates.
            var batch = self.loop.takeActionBatch()
            self.machine.takeActions(into: &batch)
            if batch.isEmpty {
                self.loop.returnActionBatch(batch)
                return
            }
            // Each action is moved out of the batch (a payload-free one swapped in), so its
            // buffers and references are not retained for the copy and released twice.
            for index in batch.indices {
                var action = ConnectionAction.flush
                swap(&action, &batch[index])
                self.carryOut(action)
            }
            batch.removeAll(keepingCapacity: true)
            self.loop.returnActionBatch(batch)
        }
    }

    private func carryOut(_ action: consuming ConnectionAction) {
        guard let context = self.context else {
            // Torn down: only the upstream side may still need letting go.
            if case .upstreamClose = action, let upstream = self.upstream {
                self.upstream = nil
                upstream.close()
            }
            self.cancelMirrors()
            return
        }
        switch action {
        case .write(let buffer):
            context.write(Self.wrapOutboundOut(buffer), promise: nil)
        case .flush:
            context.flush()
        case .setReading(let reading):
            try? context.channel.syncOptions?.setOption(.autoRead, value: reading)
            if reading { context.read() }
        case .lingeringClose:
            self.lingeringClose(context)
        case .closeAfterFlush:
            let flushed = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer()), promise: flushed)
            flushed.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case .close:
            context.close(promise: nil)
        case .schedule(let deadline):
            self.loop.wake(self, at: deadline)
        case .switchToHTTP2(let bytes):
            self.becomeHTTP2(context: context, first: bytes)
        case .connect(let endpoint, let token, let pooled, let maxIdle, let timeout):
            self.connect(endpoint, token: token, pooled: pooled, maxIdle: maxIdle, timeout: timeout, context: context)
        case .upstreamBegin(let method, let dechunk, let upgrade):
            self.upstream?.begin(owner: self, method: method, dechunk: dechunk, upgrade: upgrade)
        case .upstreamWrite(let buffer):
            self.upstream?.write(buffer)
        case .upstreamFlush:
            self.upstream?.flush()
            for copy in self.mirrors { copy.flush() }  // the copies' bytes go in the upstream's batches
        case .upstreamSetReading(let reading):
            self.upstream?.setReading(reading)
        case .upstreamRelease:
            if let upstream = self.upstream {
                self.upstream = nil
                self.loop.pool.release(upstream, now: self.now)
            }
        case .upstreamClose:
            if let upstream = self.upstream {
                self.upstream = nil
                upstream.close()
            }
        case .mirrorBegin(let endpoint, let head, let timeout, let streamsBody):
            let copy = MirrorSender(endpoint: endpoint, head: head, timeout: timeout, loop: self.loop, eventLoop: context.eventLoop)
            if streamsBody { self.mirrors.append(copy) } else { copy.finish() }
        case .mirrorWrite(let buffer):
            for copy in self.mirrors { copy.write(buffer) }
        case .mirrorEnd:
            for copy in self.mirrors { copy.finish() }
            self.mirrors.removeAll()
        case .mirrorCancel:
            self.cancelMirrors()
        }
    }

    /// Takes an idle pooled connection to the endpoint, or opens one on this event loop.
    private func connect(
        _ endpoint: ProxyEndpoint, token: Int, pooled: Bool, maxIdle: TimeAmount?, timeout: TimeAmount,
        context: ChannelHandlerContext
    ) {
        if pooled, let connection = self.loop.pool.checkout(endpoint, now: self.now, maxIdle: maxIdle) {
            self.loop.counters.upstreamReused &+= 1
            self.upstream = connection
            if !self.machine.upstreamConnected(token: token, reused: true, writable: connection.isWritable, now: self.now) {
                self.upstream = nil
                self.loop.pool.release(connection, now: self.now)
            }
            return
        }
        let pool = self.loop.pool
        // The new channel lives on this same loop, so the pool may be handed to its initializer.
        let boundPool = NIOLoopBound(pool, eventLoop: context.eventLoop)
        ClientBootstrap(group: context.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try endpoint.addWireHandlers(to: channel.pipeline.syncOperations)
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler(endpoint: endpoint, pool: boundPool.value))
                }
            }
            .connect(to: endpoint.address)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    guard let connection = try? channel.pipeline.syncOperations.handler(type: UpstreamHandler.self) else {
                        channel.close(promise: nil)
                        return
                    }
                    self.loop.counters.upstreamOpened &+= 1
                    self.now = .now()
                    guard self.context != nil else {
                        pool.release(connection, now: self.now)  // the client went away meanwhile
                        return
                    }
                    self.upstream = connection
                    if !self.machine.upstreamConnected(token: token, reused: false, writable: connection.isWritable, now: self.now) {
                        self.upstream = nil
                        pool.release(connection, now: self.now)  // keep the fresh connection for others
                    }
                    self.perform()
                case .failure(let error):
                    guard self.context != nil else { return }
                    let timedOut = (error as? ChannelError) == .connectTimeout(timeout)
                    self.now = .now()
                    self.machine.upstreamConnectFailed(token: token, timedOut: timedOut, now: self.now)
                    self.perform()
                }
            }
    }

    /// ALPN chose `h2`, or the plain port got the connection preface: this handler leaves the
    /// pipeline to the HTTP/2 handlers, which get `first` (the bytes read so far) as their
    /// first read. A connection that cannot be set up is closed.
    private func becomeHTTP2(context: ChannelHandlerContext, first: ByteBuffer?) {
        let channel = context.channel
        do {
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            try HTTP2Connection.configure(
                channel, loop: self.loop, isTLS: self.isTLS, tlsVersion: self.machine.tlsVersion, clientCertificate: self.machine.clientCertificate,
                forwarding: self.machine.forwarding)
        } catch {
            channel.close(promise: nil)
            return
        }
        if let first { channel.pipeline.fireChannelRead(NIOAny(first)) }
        try? channel.syncOptions?.setOption(.autoRead, value: true)
    }

    /// How long a closing connection keeps draining what the client still sends.
    static let lingeringTimeout = TimeAmount.seconds(2)

    /// Flushes what was written, then closes, lingering like nginx's `lingering_close`: the
    /// write side is shut first (FIN) while input is still read and discarded, and the socket
    /// closes when the client closes or after `lingeringTimeout` (a wake-up on the loop's
    /// wheel, not a task of its own). Closing at once while a client is still sending a body
    /// (after a 413 or 400) would make the kernel answer with RST and destroy the response
    /// before the client reads it.
    private func lingeringClose(_ context: ChannelHandlerContext) {
        let flushed = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer()), promise: flushed)
        flushed.futureResult.assumeIsolated().whenComplete { result in
            guard case .success = result, self.context != nil else {
                context.close(promise: nil)
                return
            }
            context.close(mode: .output, promise: nil)
            // Keep reading (and discarding) so the client's remaining bytes never sit unread.
            try? context.channel.syncOptions?.setOption(.autoRead, value: true)
            context.read()
            let until = NIODeadline.now() + Self.lingeringTimeout
            self.lingerUntil = until
            self.loop.wake(self, at: until)
        }
    }
}

@available(*, unavailable)
extension ProxyConnectionHandler: Sendable {}
