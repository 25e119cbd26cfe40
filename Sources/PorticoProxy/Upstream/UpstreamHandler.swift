import NIOCore

/// Why an upstream exchange ended without a complete response.
enum UpstreamFailure: Equatable {
    /// The connection closed or reset before any response byte arrived.
    case closedBeforeResponse
    /// It closed in the middle of a response.
    case closedDuringResponse
    /// The response was not valid HTTP/1.1.
    case invalidResponse
}

/// One upstream connection: relays its response bytes to the client connection that owns it
/// for the current exchange, and finds where the response ends so the connection can be
/// reused.
///
/// Lives on the same event loop as its owner; the two call each other directly, with no
/// promise or task hop per request.
final class UpstreamHandler: ChannelInboundHandler, PoolableConnection {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The endpoint it is connected to (its pool key).
    let endpoint: ProxyEndpoint
    var poolKey: EndpointKey { EndpointKey(endpoint: self.endpoint) }
    private var context: ChannelHandlerContext?
    /// The client connection this exchange belongs to; nil while parked in the pool.
    private(set) var owner: ProxyConnectionHandler?
    unowned(unsafe) let pool: UpstreamPool
    var isPooled = false
    var uses = 0
    var idleSince = NIODeadline.uptimeNanoseconds(0)
    private(set) var isActive = false
    /// Whether this connection carried an earlier exchange (a failure on it may be a stale
    /// keep-alive connection, which is safe to retry on a fresh one).
    private(set) var isReused = false

    private enum Phase {
        case idle
        case awaitingHead
        case body(remaining: Int)
        case chunked
        case untilClose
        case tunnel
    }

    private var phase: Phase = .idle
    private var pending: ByteBuffer?
    private var head = ResponseHead()
    private var decoder = ChunkedDecoder()
    private var method: RequestHead.Method = .get
    private var dechunk = false
    /// The request asked to switch protocols (only then may the answer be a 101).
    private var upgrade = false
    private var receivedAny = false
    private var reusable = true
    /// False while the client side cannot take more (back-pressure): autoRead is off.
    private var reading = true
    /// When the current read burst arrived: one clock read serves the burst's events.
    private var readAt = NIODeadline.uptimeNanoseconds(0)

    init(endpoint: ProxyEndpoint, pool: UpstreamPool) {
        self.endpoint = endpoint
        self.pool = pool
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.isActive = context.channel.isActive
    }

    func channelActive(context: ChannelHandlerContext) {
        self.isActive = true
    }

    /// Drops the context (which holds this handler) when the pipeline is torn down, so the pair
    /// does not outlive the connection.
    func handlerRemoved(context: ChannelHandlerContext) {
        self.isActive = false
        self.pool.remove(self)
        self.owner = nil
        self.context = nil
    }

    /// Starts an exchange: the caller then writes the request through `write`/`flush`.
    func begin(owner: ProxyConnectionHandler, method: RequestHead.Method, dechunk: Bool, upgrade: Bool) {
        self.owner = owner
        self.method = method
        self.dechunk = dechunk
        self.upgrade = upgrade
        self.phase = .awaitingHead
        self.receivedAny = false
        self.reusable = true
        self.decoder = ChunkedDecoder()
    }

    func write(_ buffer: ByteBuffer) {
        self.context?.write(NIOAny(buffer), promise: nil)
    }

    func flush() {
        self.context?.flush()
    }

    var isWritable: Bool { self.context?.channel.isWritable ?? false }

    func setReading(_ reading: Bool) {
        guard reading != self.reading else { return }
        self.reading = reading
        try? self.context?.channel.syncOptions?.setOption(.autoRead, value: reading)
        if reading { self.context?.read() }
    }

    /// Closes the connection without telling the owner (it already knows).
    func close() {
        self.owner = nil
        self.phase = .idle
        guard let context = self.context, self.isActive else { return }
        self.isActive = false
        context.close(promise: nil)
    }

    /// Detaches from an owner that finished with the connection; it may then be pooled.
    private func finish() {
        // A response that ended while the client was slow left reading paused; a pooled
        // connection must read again, or the next exchange on it would never see its answer
        // (a 504 after proxy-read-timeout; found by Benchmarks/soak.sh) and a close by the
        // upstream would go unnoticed.
        self.setReading(true)
        let owner = self.owner
        self.owner = nil
        self.phase = .idle
        self.isReused = true
        owner?.upstreamResponseEnd(self, reusable: self.reusable && self.head.upstreamKeepAlive, now: self.readAt)
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = Self.unwrapInboundIn(data)
        guard self.owner != nil else {
            // Bytes on an idle connection: the upstream is confused; never reuse it.
            self.pool.remove(self)
            self.close()
            return
        }
        self.receivedAny = true
        self.readAt = .now()
        if var pending = self.pending {
            pending.writeBuffer(&buffer)
            self.pending = nil
            buffer = pending
        }
        self.process(&buffer)
    }

    private func process(_ buffer: inout ByteBuffer) {
        while buffer.readableBytes > 0, let owner = self.owner {
            switch self.phase {
            case .idle:
                return
            case .awaitingHead:
                let result = buffer.withUnsafeReadableBytes {
                    ResponseHeadParser.parse($0, requestMethod: self.method, into: &self.head)
                }
                switch result {
                case .incomplete:
                    self.pending = buffer
                    return
                case .failure, .skip:
                    self.fail(.invalidResponse)
                    return
                case .complete:
                    let headBytes = buffer.readSlice(length: self.head.headLength)!
                    if self.head.status < 200 && self.head.status != 101 {
                        owner.upstreamInterimResponse(headBytes, status: self.head.status, now: self.readAt)
                        continue
                    }
                    // RFC 9110 §15.2.2: no switching protocols the request did not ask for.
                    if self.head.status == 101, !self.upgrade {
                        self.fail(.invalidResponse)
                        return
                    }
                    guard owner.upstreamResponseHead(headBytes, self.head, now: self.readAt), self.owner != nil else {
                        // The owner will retry elsewhere: this answer is dropped, unread.
                        self.owner = nil
                        self.close()
                        return
                    }
                    switch self.head.framing {
                    case .none:
                        if self.head.status == 101 {
                            self.phase = .tunnel
                            self.reusable = false
                            continue
                        }
                        if buffer.readableBytes > 0 { self.reusable = false }
                        self.finish()
                        return
                    case .length(let length): self.phase = .body(remaining: length)
                    case .chunked: self.phase = .chunked
                    case .untilClose: self.phase = .untilClose
                    }
                }
            case .body(let remaining):
                let take = min(remaining, buffer.readableBytes)
                owner.upstreamResponseBody(buffer.readSlice(length: take)!)
                if take == remaining {
                    if buffer.readableBytes > 0 { self.reusable = false }
                    self.finish()
                    return
                }
                self.phase = .body(remaining: remaining - take)
            case .chunked:
                self.relayChunked(&buffer, owner)
                return
            case .untilClose, .tunnel:
                owner.upstreamResponseBody(buffer)
                buffer.moveReaderIndex(to: buffer.writerIndex)
            }
        }
    }

    private func relayChunked(_ buffer: inout ByteBuffer, _ owner: ProxyConnectionHandler) {
        let readerIndex = buffer.readerIndex
        var outcome = ChunkedDecoder.Outcome.needMore
        if self.dechunk {
            var ranges: [Range<Int>] = []
            outcome = buffer.withUnsafeReadableBytes { self.decoder.consume($0) { ranges.append($0) } }
            for range in ranges where !range.isEmpty {
                owner.upstreamResponseBody(buffer.getSlice(at: readerIndex + range.lowerBound, length: range.count)!)
            }
        } else {
            outcome = buffer.withUnsafeReadableBytes { self.decoder.consume($0) }
        }
        switch outcome {
        case .needMore:
            if !self.dechunk { owner.upstreamResponseBody(buffer) }
            buffer.moveReaderIndex(to: buffer.writerIndex)
        case .done(let end):
            if !self.dechunk { owner.upstreamResponseBody(buffer.getSlice(at: readerIndex, length: end)!) }
            if end < buffer.readableBytes { self.reusable = false }
            buffer.moveReaderIndex(to: buffer.writerIndex)
            self.finish()
        case .failure:
            self.fail(.closedDuringResponse)
        }
    }

    private func fail(_ failure: UpstreamFailure) {
        let owner = self.owner
        self.close()
        owner?.upstreamFailed(self, failure)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.owner?.upstreamReadComplete(now: self.readAt)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.owner?.upstreamWritabilityChanged(context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.isActive = false
        self.pool.remove(self)
        guard let owner = self.owner else { return }
        switch self.phase {
        case .untilClose, .tunnel:
            self.reusable = false
            self.readAt = .now()
            self.finish()
        case .awaitingHead where !self.receivedAny:
            self.owner = nil
            owner.upstreamFailed(self, .closedBeforeResponse)
        default:
            self.owner = nil
            owner.upstreamFailed(self, .closedDuringResponse)
        }
        self.phase = .idle
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension UpstreamHandler: Sendable {}
