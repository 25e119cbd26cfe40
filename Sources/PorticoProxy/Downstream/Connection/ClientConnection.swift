import NIOCore
import PorticoRouting
import PorticoTLS

/// One client connection as a state machine: events in (bytes received, upstream connected,
/// response head/body/end, writability, timer fired, with `now` passed in), actions out
/// (`ConnectionAction`, drained by `ProxyConnectionHandler`). The shape of swift-nio-http2's
/// and async-http-client's state machines: each state carries the data that exists only in it,
/// so "an upstream exists only while exchanging" is a fact of the type, not a convention.
///
/// A request passes named phases in order (pingora's shape), each in
/// `ClientConnection+Phases.swift`: read head → route → access checks → upstream choice →
/// upstream request → response head (the filter point) → body streaming → log. A new policy is
/// a new phase or a field of the route's `RoutePolicy`, not a flag on the handler.
///
/// Everything runs on the connection's event loop; nothing here locks, and no event allocates
/// once the connection's buffers have grown.
///
/// Convention: the exchange is a reference the state owns, changed in place; a helper given it
/// either leaves it the state or sets the next state itself (an answer, a close), and one that
/// returns a Bool says which (true: it goes on). Every event ends by re-checking the timer.
struct ClientConnection {
    enum State {
        /// Waiting for (the rest of) a request head; `since`: when the connection became idle
        /// (the keep-alive and header timeouts count from it).
        case idle(since: NIODeadline)
        /// A routed request, connecting to or exchanging with an upstream.
        case exchange(Exchange)
        /// After a 101 answer: bytes flow both ways untouched.
        case tunnel(Tunnel)
        /// Closing once the last answer is flushed; further input is discarded.
        case closing
    }

    let loop: LoopContext
    /// The connection came in on the HTTPS listener.
    let isTLS: Bool
    /// The peer and listener, known once the channel is there (`start`).
    private(set) var forwarding = ForwardingContext.unknown
    var state: State
    /// Received bytes not yet consumed: the next head, or body bytes waiting to be forwarded.
    var inbound: ByteBuffer
    /// The head being parsed; from `.exchange` on, the current request's.
    var head = RequestHead()
    var isReading = true
    var requestsOnConnection = 0
    /// When the wake-up last asked for fires; nil when none is pending.
    var timerDeadline: NIODeadline?
    /// Shutdown: close after the current answer, or now when idle.
    var quiescing = false
    /// Numbers connect attempts, so the result of an abandoned one is recognised.
    var attemptTokens = 0
    var actions = ActionQueue()
    var logRecord = RequestLogRecord()
    /// The client's TLS version once its handshake completed (`$ssl_protocol`).
    var tlsVersion: TLSProtocolVersion?
    /// The client certificate the handshake got, on a host that asks for one (`auth-tls-*`).
    var clientCertificate: ClientCertificate?
    /// This machine serves one HTTP/2 stream (`$server_protocol` HTTP/2.0).
    var isHTTP2 = false
    /// The stream's request is a gRPC call (`content-type: application/grpc…`): Portico's own
    /// answers are gRPC statuses. `grpcDeadline`: its `grpc-timeout`.
    var isGRPC = false
    var grpcDeadline: TimeAmount?
    /// The current exchange's or tunnel's relay counters (reset when an exchange starts).
    var relay = RelayCounters()
    /// While an `auth-url` sub-request is the exchange: the request waiting for its verdict.
    var pendingExchange: Exchange?
    /// The current request's mirror copy: kept here, not in the `Exchange` every event copies.
    var mirror = MirrorCopy.none
    /// The `limit-connections` place the current request holds, given back when it is over.
    var heldConnectionSlot: Int?

    /// Body bytes buffered before back-pressure stops reading from the client.
    static let maxBufferedInbound = 64 * 1024

    /// `forwarding`: known up front for an HTTP/2 stream (its connection's), else at `start`.
    init(loop: LoopContext, isTLS: Bool, forwarding: ForwardingContext = .unknown) {
        self.loop = loop
        self.isTLS = isTLS
        self.forwarding = forwarding
        self.inbound = ByteBuffer()
        self.state = .idle(since: .uptimeNanoseconds(0))
    }

    /// The connection is accepted: who the peer is, and the first (keep-alive/header) timeout.
    mutating func start(forwarding: ForwardingContext, inbound: ByteBuffer, now: NIODeadline) {
        self.forwarding = forwarding
        self.inbound = inbound
        self.state = .idle(since: now)
        if self.loop.isQuiescing { self.quiesce() }
        self.armTimer(now: now)
    }

    /// Every queued action, in order, into `batch` (which must be empty).
    mutating func takeActions(into batch: inout [ConnectionAction]) { self.actions.take(into: &batch) }

    // MARK: - Client events

    mutating func received(_ buffer: ByteBuffer, now: NIODeadline) {
        var buffer = buffer
        if case .exchange(let exchange) = self.state, !exchange.body.isComplete {
            exchange.lastClientActivity = now
            exchange.bodyRate.received(buffer.readableBytes)
        }
        if self.inbound.readableBytes == 0 {
            self.inbound = buffer
        } else {
            self.inbound.writeBuffer(&buffer)
        }
        self.processInbound(now: now)
        self.armTimer(now: now)
    }

    /// After a burst of reads: with every byte consumed, let go of the read buffer (NIO's, or
    /// TLS's 16 KiB plaintext buffer) rather than keep it for the next read, which brings its
    /// own; an idle keep-alive connection then holds no buffer. Writes to the client are flushed
    /// where they are made.
    mutating func readComplete() {
        if self.inbound.readableBytes == 0, self.inbound.capacity > 0 { self.inbound = Self.noBytes }
    }

    /// The empty inbound buffer every idle connection shares.
    static let noBytes = ByteBufferAllocator().buffer(capacity: 0)

    mutating func clientWritabilityChanged(_ writable: Bool) {
        switch self.state {
        case .exchange(let exchange) where exchange.upstream.isAttached: self.actions.append(.upstreamSetReading(writable))
        case .tunnel: self.actions.append(.upstreamSetReading(writable))
        default: break
        }
    }

    /// The client connection closed (or reset): whatever upstream the exchange holds goes too.
    mutating func closed(now: NIODeadline) {
        switch self.state {
        case .exchange(let exchange):
            if exchange.upstream.isAttached { self.actions.append(.upstreamClose) }
            if exchange.upstream.isAttached || exchange.upstream.isConnecting { exchange.recordAttemptEnd(now: now) }
            // The client gave up (closed, or reset its stream): logged and counted as nginx does,
            // 499 ("client closed request") when no answer had begun, else the answer's status
            // with the bytes sent so far. A cancelled gRPC call is one of these.
            var log = self.relayed(exchange.log)
            if !exchange.responseStarted { log.status = 499 }
            self.logAnswer(log, now: now)
        case .tunnel:
            self.actions.append(.upstreamClose)
        case .idle, .closing:
            break
        }
        self.enterClosing()
        self.timerDeadline = nil
    }

    /// Graceful shutdown: close now if between requests, else after the current answer.
    mutating func quiesce() {
        self.quiescing = true
        switch self.state {
        case .idle where self.inbound.readableBytes == 0:
            self.enterClosing()
            self.actions.append(.close)
        case .exchange(let exchange):
            exchange.closeAfterResponse = true
        default:
            break
        }
    }

    /// Runs the phases over the bytes received so far.
    mutating func processInbound(now: NIODeadline) {
        while true {
            switch self.state {
            case .idle:
                guard self.inbound.readableBytes > 0 else { return }
                if self.requestsOnConnection == 0, !self.isTLS, self.loop.configuration.http2,
                    self.inbound.readableBytes >= 1, self.inbound.getInteger(at: self.inbound.readerIndex, as: UInt8.self) == UInt8(ascii: "P")
                {
                    switch HTTP2Preface.match(self.inbound) {
                    case .partial:
                        return
                    case .whole:
                        self.actions.append(.switchToHTTP2(self.inbound))
                        self.inbound = Self.noBytes
                        self.enterClosing()
                        self.timerDeadline = nil
                        return
                    case .none:
                        break
                    }
                }
                let limits = self.loop.configuration.headLimits
                let result = self.inbound.withUnsafeReadableBytes { RequestHeadParser.parse($0, into: &self.head, limits: limits) }
                switch result {
                case .incomplete:
                    return
                case .skip(let count):
                    self.inbound.moveReaderIndex(forwardBy: count)
                case .failure(let failure):
                    self.logRecord.recordUnparsed()
                    self.relay = RelayCounters(requestID: self.loop.requestIDs.nextID())
                    self.respondWithError(failure.status, close: true, log: AnswerLog(requestStart: now), now: now)
                    return
                case .complete:
                    self.beginRequest(now: now)
                }
            case .exchange(let exchange):
                if exchange.upstream.isAttached {
                    guard self.pumpRequestBody(exchange, now: now) else { return }
                    if exchange.body.isComplete, self.inbound.readableBytes > Self.maxBufferedInbound {
                        self.setReading(false)  // a client pipelining faster than we answer
                    }
                } else if exchange.bufferedBody > 0 {
                    self.bodyArrived(exchange, now: now)
                } else if self.inbound.readableBytes > Self.maxBufferedInbound {
                    self.setReading(false)
                }
                return
            case .tunnel(let tunnel):
                if self.inbound.readableBytes > 0 {
                    tunnel.lastClientActivity = now
                    self.actions.append(.upstreamWrite(self.inbound))
                    self.actions.append(.upstreamFlush)
                    self.inbound.moveReaderIndex(to: self.inbound.writerIndex)
                }
                return
            case .closing:
                self.inbound.clear()
                return
            }
        }
    }

    mutating func setReading(_ reading: Bool, now: NIODeadline? = nil) {
        guard reading != self.isReading else { return }
        self.isReading = reading
        // Time held back by back-pressure is not the client's.
        if reading, let now, case .exchange(let exchange) = self.state, !exchange.body.isComplete {
            exchange.bodyRate.restart(now: now)
        }
        self.actions.append(.setReading(reading))
    }

    /// Back to waiting for the next request on a kept-alive connection.
    mutating func finishExchange(now: NIODeadline) {
        if case .exchange(let exchange) = self.state {
            self.loop.spareHeads.give(exchange.upstreamRequestHead)
            if let answerHead = exchange.answerHead { self.loop.spareHeads.give(answerHead) }
        }
        self.relay = RelayCounters()
        self.releaseConnectionSlot()
        self.state = .idle(since: now)
        self.armTimer(now: now)
        self.setReading(true, now: now)
    }
}

extension ClientConnection {
    /// No request is in progress any more: the connection closes once the answer is out.
    mutating func enterClosing() {
        self.releaseConnectionSlot()
        self.state = .closing
    }

    mutating func releaseConnectionSlot() {
        guard let slot = self.heldConnectionSlot else { return }
        self.heldConnectionSlot = nil
        self.loop.rateLimiter.releaseConnection(slot)
    }
}

extension ClientConnection.State {
    var isIdle: Bool {
        if case .idle = self { true } else { false }
    }
}
