import NIOCore
import PorticoRouting

/// Upstream attempts and the events of the upstream side: connected, failed, response head
/// (the filter point), body, end.
extension ClientConnection {
    /// Starts an attempt: picks its endpoint and asks for a connection. `fresh` skips the pool.
    mutating func connect(_ exchange: Exchange, fresh: Bool, sameEndpoint: Bool = false, now: NIODeadline) {
        let backend = exchange.backend
        let endpoint: ProxyEndpoint
        if sameEndpoint, let current = exchange.log.endpoint {
            endpoint = current
        } else {
            // Affinity (cookie, upstream-hash-by, ClientIP) picks the key's endpoint first;
            // retries move on in rotation.
            // A session the request's cookie named stays on its endpoint through retries unless
            // `session-cookie-change-on-failure` (sticky.lua `should_pick_new_upstream`).
            let keepsSession = exchange.cookieEndpoint != nil && exchange.affinityKey == nil && exchange.cookieAffinity?.changeOnFailure == false
            let pinned =
                exchange.attempt == 0 || keepsSession
                ? (exchange.cookieEndpoint ?? exchange.affinityHash.flatMap { backend.endpoint(forKey: $0, now: now) }) : nil
            let balanced = exchange.ewma && pinned == nil ? backend.endpointByLoad(random: self.loop.requestIDs.next(), now: now) : nil
            endpoint =
                pinned ?? balanced
                ?? backend.endpoint(start: exchange.rotationStart, attempt: exchange.attempt, now: now, skipped: &self.loop.counters.endpointsSkipped)
        }
        if exchange.authorization == nil { self.relay.attemptStarted(now) }
        if exchange.ewma {
            endpoint.load.started()
            exchange.attemptStart = now
        }
        exchange.log.endpoint = endpoint
        self.attemptTokens += 1
        exchange.upstream = .connecting(token: self.attemptTokens)
        let maxIdle = exchange.isIdempotent ? nil : self.loop.configuration.nonIdempotentMaxIdle
        self.actions.append(
            .connect(endpoint, token: self.attemptTokens, pooled: !fresh, maxIdle: maxIdle, timeout: exchange.connectTimeout))
    }

    /// The attempt that failed goes into the log's list before the next one starts.
    func rememberAttempt(_ exchange: Exchange, _ failure: AttemptFailure, now: NIODeadline) {
        guard exchange.authorization == nil, let endpoint = exchange.log.endpoint else { return }
        let attempt = UpstreamAttempt(
            address: endpoint.display, status: self.relay.upstreamStatus == 0 ? failure.status : self.relay.upstreamStatus,
            connectNanoseconds: self.relay.connectNanoseconds, headerNanoseconds: self.relay.headerNanoseconds,
            responseNanoseconds: self.relay.responseNanoseconds(endingAt: now), responseLength: self.relay.upstreamBodyBytes)
        if exchange.log.earlierAttempts == nil { exchange.log.earlierAttempts = [] }
        exchange.log.earlierAttempts!.append(attempt)
    }

    /// A connection for attempt `token` is ready. False when that attempt is no longer wanted
    /// (the client left, a timeout answered): the caller parks the connection for others.
    mutating func upstreamConnected(token: Int, reused: Bool, writable: Bool, now: NIODeadline) -> Bool {
        guard case .exchange(let exchange) = self.state, case .connecting(let expected) = exchange.upstream, expected == token
        else { return false }
        exchange.upstream = .attached(reused: reused)
        exchange.upstreamWritable = writable
        self.relay.lastUpstreamActivity = now
        if exchange.authorization == nil { self.relay.upstreamConnected = now }
        if let method = exchange.subrequestMethod {
            // A sub-request's own method (HEAD answers have no body), never an upgrade.
            self.actions.append(.upstreamBegin(method: method, dechunk: !exchange.isHTTP11, upgrade: false))
        } else {
            self.actions.append(.upstreamBegin(method: self.head.method, dechunk: !exchange.isHTTP11, upgrade: self.head.connectionUpgrade))
        }
        self.actions.append(.upstreamWrite(exchange.upstreamRequestHead))
        if exchange.body.isComplete {
            self.actions.append(.upstreamFlush)
        } else {
            guard self.pumpRequestBody(exchange, now: now) else { return true }
            if !exchange.bodyStreamed { self.actions.append(.upstreamFlush) }
        }
        if !self.isReading, exchange.upstreamWritable, self.inbound.readableBytes < Self.maxBufferedInbound {
            self.setReading(true, now: now)
        }
        self.armTimer(now: now)
        return true
    }

    /// Attempt `token` could not connect (refused, unreachable, or timed out).
    mutating func upstreamConnectFailed(token: Int, timedOut: Bool, now: NIODeadline) {
        guard case .exchange(let exchange) = self.state, case .connecting(let expected) = exchange.upstream, expected == token
        else { return }
        exchange.upstream = .none
        exchange.log.endpoint?.markDown(now: now, for: self.loop.configuration.failedEndpointBackoff)
        self.attemptFailed(exchange, timedOut ? .connectTimeout : .connectRefused, now: now)
        self.armTimer(now: now)
    }

    /// One attempt failed (its connection already closed or asked to close): retry as the
    /// policy allows (the exchange stays the state), else answer 502/504, or cut the connection
    /// if the answer had begun.
    mutating func attemptFailed(_ exchange: Exchange, _ failure: AttemptFailure, now: NIODeadline) {
        exchange.recordAttemptEnd(now: now)
        if !exchange.responseStarted {
            switch exchange.retryPolicy.decision(
                after: failure, attempt: exchange.attempt, isIdempotent: exchange.isIdempotent, bodyStreamed: exchange.bodyStreamed)
            {
            case .retryOnFreshConnection:
                self.loop.counters.retried(failure)
                self.rememberAttempt(exchange, failure, now: now)
                self.connect(exchange, fresh: true, sameEndpoint: true, now: now)
                return
            case .retryNextEndpoint:
                self.loop.counters.retried(failure)
                self.rememberAttempt(exchange, failure, now: now)
                exchange.attempt += 1
                self.connect(exchange, fresh: true, now: now)
                return
            case .answer:
                break
            }
        }
        if exchange.responseStarted {
            // Part of the answer already went out: all that is left is to cut the connection,
            // so the client sees a truncated message instead of a wrong one.
            if exchange.log.status == 0 { exchange.log.status = failure.status }
            self.logAnswer(self.relayed(exchange.log), now: now)
            self.enterClosing()
            self.actions.append(.close)
            return
        }
        if self.pendingExchange != nil {
            self.authorizationFailed(now: now)
            return
        }
        if let pages = exchange.errorPages, pages.policy.codes.contains(failure.status) {
            self.startErrorPage(pages, status: failure.status, replacing: exchange, now: now)
            return
        }
        // The client may still be sending a body that will never be forwarded: close after.
        self.respondWithError(
            failure.status, close: !exchange.body.isComplete || exchange.closeAfterResponse, bodyPending: !exchange.body.isComplete,
            log: exchange.log, now: now)
    }

    /// The attached connection closed or answered something that is not HTTP; it is gone.
    mutating func upstreamFailed(_ failure: UpstreamFailure, now: NIODeadline) {
        guard case .exchange(let exchange) = self.state, case .attached(let reused) = exchange.upstream else { return }
        exchange.upstream = .none
        let attemptFailure: AttemptFailure
        switch failure {
        case .closedBeforeResponse: attemptFailure = .closedBeforeResponse(reused: reused)
        case .closedDuringResponse: attemptFailure = .closedDuringResponse
        case .invalidResponse: attemptFailure = .invalidResponse
        }
        self.attemptFailed(exchange, attemptFailure, now: now)
        self.armTimer(now: now)
    }

    /// A 1xx before the final answer. 100 Continue is the proxy's own business (it answered
    /// the client's Expect itself and did not forward it), and an HTTP/1.0 client must never
    /// see a 1xx (RFC 9110 §15.2); others (103 Early Hints) pass through.
    mutating func upstreamInterimResponse(_ headBytes: ByteBuffer, status: Int, now: NIODeadline) {
        guard case .exchange = self.state else { return }
        self.relay.lastUpstreamActivity = now
        guard status != 100, self.head.isHTTP11, self.pendingExchange == nil else { return }  // an auth service's 1xx is its own
        self.actions.append(.write(headBytes))
    }

    /// Phase: response head. Relays it (rewritten where the client or the policy needs), or
    /// returns false when `proxy-next-upstream` lists its status and another try is allowed
    /// (the connection is then closed and the next attempt started).
    mutating func upstreamResponseHead(_ headBytes: ByteBuffer, _ response: ResponseHead, now: NIODeadline) -> Bool {
        guard case .exchange(let exchange) = self.state, exchange.upstream.isAttached else { return false }
        self.relay.lastUpstreamActivity = now
        if exchange.authorization != nil {
            // An auth-url sub-request's answer: read for the verdict, never relayed.
            self.readAuthorizationAnswer(headBytes, response, into: &exchange.authorization!)
            self.armTimer(now: now)
            return true
        }
        if !exchange.retryPolicy.next.statuses.isEmpty,
            exchange.retryPolicy.decision(
                after: .retryableStatus(response.status), attempt: exchange.attempt, isIdempotent: exchange.isIdempotent,
                bodyStreamed: exchange.bodyStreamed) != .answer
        {
            self.actions.append(.upstreamClose)
            exchange.upstream = .none
            self.attemptFailed(exchange, .retryableStatus(response.status), now: now)
            self.armTimer(now: now)
            return false
        }
        if let pages = exchange.errorPages, pages.policy.codes.contains(response.status) {
            // custom-http-errors: this answer is replaced by the default backend's.
            self.actions.append(.upstreamClose)
            exchange.upstream = .none
            exchange.recordAttemptEnd(now: now)
            self.startErrorPage(pages, status: response.status, replacing: exchange, now: now)
            return false
        }
        exchange.responseStarted = true
        exchange.log.status = response.status
        self.relay.upstreamHeader = now
        self.relay.upstreamStatus = response.status
        let http10Client = !exchange.isHTTP11
        // An answer before the request body is all in (a 401/413 that never read it): the rest
        // of the body would be read as the next request, so this answer says Connection: close
        // and the connection closes after a lingering drain; never a keep-alive answer
        // followed by a silent close, which loses the client's next request.
        let earlyAnswer = !exchange.body.isComplete && response.status != 101
        // (An HTTP/2 stream's answer before its request's end is ordinary: gRPC streams.)
        if earlyAnswer, !self.isHTTP2 { self.loop.noteEarlyAnswer() }
        // The client connection can stay open only if this answer's end is known to it.
        var connection = ResponseHeadWriter.ConnectionField.none
        if response.status == 101 {
            connection = .upgrade
        } else if earlyAnswer || exchange.closeAfterResponse || response.framing == .untilClose
            || (http10Client && response.framing == .chunked)
        {
            exchange.closeAfterResponse = true
            connection = .close
        } else if http10Client {
            connection = .keepAlive
        }
        let hsts = self.isTLS ? self.loop.configuration.hstsField : nil
        let serverTokens = self.loop.configuration.serverTokens
        let cookie = exchange.cookieAffinity == nil ? nil : self.affinityCookieField(exchange, now: now)
        let out: ByteBuffer
        var answerFields = exchange.log.answerFields
        // nginx `add_header` (the auth answer's Set-Cookie): on 2xx and redirects only.
        if let added = exchange.addedFields, Self.addHeaderStatuses.contains(response.status) {
            answerFields = Self.joined(answerFields, added)
        }
        let droppedNames = exchange.headers?.replacedResponseNames ?? []
        if response.needsRewrite || connection != .none || hsts != nil || serverTokens || cookie != nil || answerFields != nil || !droppedNames.isEmpty
            || exchange.locationRewrite != nil
            || (response.isChunked && (http10Client || response.contentLength != nil))
        {
            out = ResponseHeadWriter.rewrite(
                headBytes, response, connection: connection, dropChunked: http10Client, hsts: hsts,
                server: serverTokens ? ErrorResponses.portico : "", extraFields: cookie,
                answerFields: answerFields, dropsCORS: exchange.dropsUpstreamCORS, droppedNames: droppedNames,
                locationRewrite: exchange.locationRewrite,
                into: self.loop.spareHeads.take(capacity: headBytes.readableBytes + 32 + (answerFields?.readableBytes ?? 0)))
            exchange.answerHead = out
        } else {
            out = headBytes
        }
        self.relay.bytesSent += out.readableBytes
        self.relay.answerHeadBytes = out.readableBytes
        self.actions.append(.write(out))
        if response.status == 101 {
            self.state = .tunnel(
                Tunnel(log: exchange.log, lastClientActivity: now, idleTimeout: exchange.readTimeout))
            self.processInbound(now: now)  // bytes the client sent after its request
        }
        self.armTimer(now: now)
        return true
    }

    /// The statuses nginx's `add_header` (without `always`) adds to.
    static let addHeaderStatuses: Set<Int> = [200, 201, 204, 206, 301, 302, 303, 304, 307, 308]

    /// Phase: body streaming, upstream to client.
    mutating func upstreamResponseBody(_ body: ByteBuffer) {
        guard self.pendingExchange == nil else { return }  // an auth answer's body is read and dropped
        switch self.state {
        case .exchange, .tunnel:
            self.relay.bytesSent += body.readableBytes
            self.relay.upstreamBodyBytes += body.readableBytes
            self.actions.append(.write(body))
        case .idle, .closing:
            return
        }
    }

    /// The end of an upstream read burst: what was relayed goes out in one flush.
    mutating func upstreamReadComplete(now: NIODeadline) {
        guard self.pendingExchange == nil else {
            self.relay.lastUpstreamActivity = now
            return
        }
        switch self.state {
        case .exchange, .tunnel:
            self.relay.lastUpstreamActivity = now
            self.actions.append(.flush)
        case .idle, .closing:
            return
        }
    }

    mutating func upstreamWritabilityChanged(_ writable: Bool, now: NIODeadline) {
        guard case .exchange(let exchange) = self.state, exchange.upstream.isAttached else { return }
        exchange.upstreamWritable = writable
        guard writable else {
            if !exchange.body.isComplete, exchange.sendBlockedSince == nil { exchange.sendBlockedSince = now }
            self.armTimer(now: now)
            return
        }
        exchange.sendBlockedSince = nil
        guard self.pumpRequestBody(exchange, now: now) else { return }
        if self.inbound.readableBytes < Self.maxBufferedInbound { self.setReading(true, now: now) }
        self.armTimer(now: now)
    }

    /// The upstream's answer ended (for a tunnel: one side closed). `reusable`: the upstream
    /// connection may carry another exchange.
    mutating func upstreamResponseEnd(reusable: Bool, now: NIODeadline) {
        switch self.state {
        case .exchange(let exchange) where exchange.upstream.isAttached && exchange.authorization != nil:
            self.actions.append(reusable ? .upstreamRelease : .upstreamClose)
            self.authorizationEnded(exchange.authorization!, now: now)
        case .exchange(let exchange) where exchange.upstream.isAttached:
            exchange.recordAttemptEnd(now: now)
            let bodyDone = exchange.body.isComplete
            self.actions.append(reusable && bodyDone ? .upstreamRelease : .upstreamClose)
            self.logAnswer(self.relayed(exchange.log), now: now)
            if exchange.closeAfterResponse || !bodyDone {
                self.closeAfterAnswer(bodyPending: !bodyDone)
                return
            }
            self.actions.append(.flush)
            self.finishExchange(now: now)
            self.processInbound(now: now)
            self.armTimer(now: now)
        case .tunnel(let tunnel):
            self.actions.append(.upstreamClose)
            self.logAnswer(self.relayed(tunnel.log), now: now)
            self.enterClosing()
            self.actions.append(.closeAfterFlush)
        default:
            return
        }
    }
}
