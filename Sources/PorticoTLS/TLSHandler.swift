import Logging
import NIOCore

/// TLS for one connection: ciphertext in from the socket, plaintext up to the next handler;
/// plaintext down from it, ciphertext out, encrypted on flush.
///
/// Server side (the HTTPS listener): a handshake failure (a bad client hello, plain HTTP sent
/// to the TLS port, TLS 1.0/1.1, no shared cipher) closes this connection only, with one log
/// line. Client side (Portico's own calls to the Kubernetes API): the handshake starts when the
/// channel becomes active, and a failure (an unverifiable certificate) is fired down the
/// pipeline as the `TLSError` before closing, so the caller can say why.
public final class TLSHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private enum State {
        case handshaking
        case active
        case closing
        case closed
    }

    private let connection: TLSConnection
    private let logger: Logger
    private var state = State.handshaking
    /// Promises of plaintext writes not yet flushed as ciphertext.
    private var pendingPromises: [EventLoopPromise<Void>] = []
    /// Plaintext the proxy wrote before the handshake completed (rare for a server).
    private var bufferedWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    /// Plaintext written since the last flush, encrypted together: a response head and its
    /// body go out as one TLS record, not one record (and one AEAD pass) per write.
    private var plaintext: ByteBuffer?
    /// Plaintext coalesced up to this much before it is encrypted (the TLS record maximum).
    static let recordSize = 16384

    private let isClient: Bool

    public init(store: CertificateStore, logger: Logger) throws(TLSError) {
        self.connection = try TLSConnection(store: store)
        self.logger = logger
        self.isClient = false
    }

    /// A client session to `serverName` (SNI unless `sendsServerName` is false, and the name
    /// the certificate must cover).
    /// `session`: the server's session slot, for resumption.
    public init(
        client: TLSClientContext, serverName: String, sendsServerName: Bool = true, session: TLSClientSessionSlot? = nil, logger: Logger
    ) throws(TLSError) {
        self.connection = try TLSConnection(client: client, serverName: serverName, sendsServerName: sendsServerName, session: session)
        self.logger = logger
        self.isClient = true
        self.serverName = serverName
    }

    /// The server a client session talks to, for its failure lines.
    private var serverName: String?

    public func handlerAdded(context: ChannelHandlerContext) {
        if self.isClient && context.channel.isActive { self.advance(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        if self.isClient { self.advance(context: context) }
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = Self.unwrapInboundIn(data)
        self.connection.consumeDataFromNetwork(buffer)
        self.advance(context: context)
    }

    private func advance(context: ChannelHandlerContext) {
        if self.state == .handshaking {
            switch self.connection.doHandshake() {
            case .complete:
                self.state = .active
                if !self.isClient {
                    context.fireUserInboundEventTriggered(TLSHandshakeEvent.completed(
                            self.connection.negotiatedVersion, http2: self.connection.negotiatedHTTP2, client: self.connection.clientCertificate))
                }
                for (buffer, promise) in self.bufferedWrites { self.encrypt(buffer, promise: promise) }
                self.bufferedWrites = []
            case .incomplete:
                self.flushCiphertext(context: context)
                return
            case .closed:
                if !self.isClient { context.fireUserInboundEventTriggered(TLSHandshakeEvent.abandoned) }
                self.fail(context: context, "TLS handshake failed: the client closed the connection")
                return
            case .failed(let error):
                if self.isClient { context.fireErrorCaught(error) } else { context.fireUserInboundEventTriggered(TLSHandshakeEvent.failed) }
                self.fail(context: context, "TLS handshake failed: \(error)")
                return
            }
        }
        guard self.state == .active else { return }
        while true {
            var plaintext = context.channel.allocator.buffer(capacity: Self.recordSize)
            switch self.connection.readDataFromNetwork(into: &plaintext) {
            case .complete:
                context.fireChannelRead(Self.wrapInboundOut(plaintext))
                // Nothing buffered on either side of OpenSSL: another read would only allocate
                // a buffer to find that out.
                if self.connection.hasBufferedInput { continue }
                self.flushCiphertext(context: context)
                return
            case .incomplete:
                self.flushCiphertext(context: context)  // post-handshake messages (session tickets)
                return
            case .closed:
                // close_notify: answer with ours and close (no half-open TLS).
                self.state = .closing
                self.connection.shutdown()
                self.flushCiphertext(context: context)
                context.close(promise: nil)
                return
            case .failed(let error):
                self.fail(context: context, "TLS read failed: \(error)")
                return
            }
        }
    }

    private func fail(context: ChannelHandlerContext, _ message: String) {
        let peer = context.channel.remoteAddress?.description ?? "?"
        if let serverName = self.serverName {
            // An upstream's certificate refused: the operator's problem, worth a warning.
            self.logger.warning("\(message)", metadata: ["peer": "\(peer)", "server name": "\(serverName)"])
        } else {
            self.logger.info("\(message)", metadata: ["peer": "\(peer)"])
        }
        self.flushCiphertext(context: context)  // the alert, if any
        self.state = .closed
        self.failPending(ChannelError.ioOnClosedChannel)
        context.close(promise: nil)
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = Self.unwrapOutboundIn(data)
        switch self.state {
        case .handshaking:
            self.bufferedWrites.append((buffer, promise))
        case .active:
            self.encrypt(buffer, promise: promise)
        case .closing, .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    /// Queues plaintext: small writes are gathered until the flush (or a full record), large
    /// ones are encrypted as they come.
    private func encrypt(_ buffer: ByteBuffer, promise: EventLoopPromise<Void>?) {
        if let promise { self.pendingPromises.append(promise) }
        var buffer = buffer
        if self.plaintext == nil, buffer.readableBytes >= Self.recordSize {
            self.seal(buffer)
            return
        }
        if self.plaintext == nil {
            self.plaintext = buffer  // shares storage until a second write needs a copy
            return
        }
        self.plaintext!.writeBuffer(&buffer)
        if self.plaintext!.readableBytes >= Self.recordSize { self.sealPlaintext() }
    }

    private func sealPlaintext() {
        guard let pending = self.plaintext else { return }
        self.plaintext = nil
        self.seal(pending)
    }

    private func seal(_ buffer: ByteBuffer) {
        if case .failed(let error) = self.connection.writeDataToNetwork(buffer) { self.failPending(error) }
    }

    public func flush(context: ChannelHandlerContext) {
        self.flushCiphertext(context: context)
    }

    /// Sends everything encrypted so far, gathered plaintext included.
    private func flushCiphertext(context: ChannelHandlerContext) {
        self.sealPlaintext()
        let promises = self.pendingPromises
        self.pendingPromises = []
        guard let ciphertext = self.connection.getDataForNetwork(allocator: context.channel.allocator) else {
            promises.forEach { $0.succeed() }
            return
        }
        if promises.isEmpty {
            context.writeAndFlush(Self.wrapOutboundOut(ciphertext), promise: nil)
        } else {
            let written = context.eventLoop.makePromise(of: Void.self)
            for promise in promises { written.futureResult.cascade(to: promise) }
            context.writeAndFlush(Self.wrapOutboundOut(ciphertext), promise: written)
        }
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if self.state == .active {
            self.state = .closing
            self.sealPlaintext()
            self.connection.shutdown()  // close_notify
            self.flushCiphertext(context: context)
        }
        context.close(mode: mode, promise: promise)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        if self.state == .active { self.connection.markQuietShutdown() }  // keeps the session resumable
        self.state = .closed
        self.failPending(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    private func failPending(_ error: any Error) {
        self.plaintext = nil
        let promises = self.pendingPromises
        self.pendingPromises = []
        promises.forEach { $0.fail(error) }
        let buffered = self.bufferedWrites
        self.bufferedWrites = []
        buffered.forEach { $0.1?.fail(error) }
    }
}

@available(*, unavailable)
extension TLSHandler: Sendable {}
