import NIOCore
import NIOPosix

extension ProxyConnectionHandler {
    /// Takes an idle pooled connection to the next endpoint, or opens one on this event loop.
    /// `fresh` skips the pool (after a pooled connection turned out to be stale).
    func connectToUpstream(fresh: Bool) {
        guard let backend = self.backend else { return }
        let now = NIODeadline.now()
        // Affinity (upstream-hash-by, ClientIP) picks the key's endpoint first; retries move on in rotation.
        let pinned = self.attempt == 0 ? (self.cookieEndpoint ?? self.affinityHash.flatMap { backend.endpoint(forKey: $0, now: now) }) : nil
        let balanced = self.ewma && pinned == nil ? backend.endpointByLoad(random: self.loop.requestIDs.next(), now: now) : nil
        let endpoint = pinned ?? balanced ?? backend.endpoint(start: self.rotationStart, attempt: self.attempt, now: now)
        if self.ewma {
            endpoint.load.started()
            self.attemptStart = now
        }
        self.endpoint = endpoint
        let maxIdle = self.head.method.isIdempotent ? nil : self.loop.configuration.nonIdempotentMaxIdle
        if !fresh, let connection = self.loop.pool.checkout(endpoint.address, now: now, maxIdle: maxIdle) {
            self.attach(connection)
            return
        }
        let exchange = self.exchangeID
        let pool = self.loop.pool
        // The new channel lives on this same loop, so the pool may be handed to its initializer.
        let boundPool = NIOLoopBound(pool, eventLoop: self.context.eventLoop)
        let address = endpoint.address
        ClientBootstrap(group: self.context.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(self.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler(address: address, pool: boundPool.value))
                }
            }
            .connect(to: address)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    guard let connection = try? channel.pipeline.syncOperations.handler(type: UpstreamHandler.self) else {
                        channel.close(promise: nil)
                        return
                    }
                    guard exchange == self.exchangeID, self.state == .connecting else {
                        // The client went away meanwhile: keep the fresh connection for others.
                        pool.release(connection, now: .now())
                        return
                    }
                    self.attach(connection)
                case .failure(let error):
                    guard exchange == self.exchangeID, self.state == .connecting else { return }
                    let timedOut = error is ChannelError && (error as! ChannelError) == .connectTimeout(self.connectTimeout)
                    endpoint.markDown(now: .now(), for: self.loop.configuration.failedEndpointBackoff)
                    self.attemptFailed(timedOut ? .connectTimeout : .connectRefused)
                }
            }
    }

    /// Sends the request on a connection and starts relaying.
    func attach(_ connection: UpstreamHandler) {
        self.upstream = connection
        self.state = .proxying
        let dechunk = !self.head.isHTTP11
        connection.begin(owner: self, method: self.head.method, dechunk: dechunk)
        connection.write(self.upstreamRequestHead)
        self.lastUpstreamActivity = .now()
        self.armTimer()
        if self.requestBody.isComplete {
            connection.flush()
        } else {
            self.pumpRequestBody()
            if !self.bodyStreamed { connection.flush() }
        }
        if self.isReading == false, connection.isWritable, self.inbound.readableBytes < Self.maxBufferedInbound {
            self.setReading(true)
        }
    }

    /// One attempt failed: move on to the next endpoint if the retry policy allows, else answer.
    /// `load-balance: ewma`: the attempt is over; it leaves its endpoint's queue and its time
    /// (a failure's too) feeds the endpoint's latency estimate.
    func recordAttemptEnd() {
        guard self.ewma, let endpoint = self.endpoint else { return }
        let now = NIODeadline.now()
        endpoint.load.finished(latency: now - self.attemptStart, now: now)
    }

    func attemptFailed(_ failure: AttemptFailure) {
        self.recordAttemptEnd()
        if !self.responseStarted,
            self.retryPolicy.mayRetry(after: failure, attempt: self.attempt, isIdempotent: self.head.method.isIdempotent,
                            bodyStreamed: self.bodyStreamed)
        {
            self.attempt += 1
            self.state = .connecting
            self.connectToUpstream(fresh: true)
            return
        }
        if self.responseStarted {
            // Part of the response already went out: all we can do is cut the connection, so the
            // client sees a truncated message instead of a wrong one.
            self.status = self.status == 0 ? failure.status : self.status
            self.logRequest()
            self.state = .closing
            self.context.close(promise: nil)
            return
        }
        // The client may still be sending a body we will never forward: close after answering.
        self.respondWithError(failure.status, close: !self.requestBody.isComplete || !self.keepAlive)
    }

    // MARK: - Called by the upstream connection

    /// A 1xx before the final response. 100 Continue is the proxy's own business (it answered
    /// the client's Expect itself and did not forward it), and an HTTP/1.0 client must never
    /// see a 1xx (RFC 9110 §15.2); others (103 Early Hints) pass through.
    func upstreamInterimResponse(_ headBytes: ByteBuffer, status: Int) {
        self.lastUpstreamActivity = .now()
        guard status != 100, self.head.isHTTP11 else { return }
        self.context.write(Self.wrapOutboundOut(headBytes), promise: nil)
    }

    /// Relays a final response head; returns false (and retries elsewhere) when
    /// `proxy-next-upstream` lists its status and another try is allowed.
    func upstreamResponseHead(_ headBytes: ByteBuffer, _ response: ResponseHead) -> Bool {
        self.lastUpstreamActivity = .now()
        if !self.retryPolicy.next.statuses.isEmpty, let connection = self.upstream,
            self.retryPolicy.mayRetry(
                after: .retryableStatus(response.status), attempt: self.attempt,
                isIdempotent: self.head.method.isIdempotent, bodyStreamed: self.bodyStreamed)
        {
            self.upstream = nil
            connection.close()
            self.attemptFailed(.retryableStatus(response.status))
            return false
        }
        self.responseStarted = true
        self.status = response.status
        let http10Client = !self.head.isHTTP11
        if response.status == 101 {
            self.state = .tunnel
            self.closeAfterResponse = true
        }
        // An answer before the request body is all in (a 401/413 that never read it): the rest
        // of the body would be read as the next request, so this answer says Connection: close
        // and the connection closes after a lingering drain; never a keep-alive answer
        // followed by a silent close, which loses the client's next request.
        let earlyAnswer = !self.requestBody.isComplete && response.status != 101
        if earlyAnswer { self.loop.noteEarlyAnswer() }
        // The client connection can stay open only if this response's end is known to it.
        var connection = ResponseHeadWriter.ConnectionField.none
        if response.status == 101 {
            connection = .upgrade
        } else if earlyAnswer || !self.keepAlive || response.framing == .untilClose || (http10Client && response.framing == .chunked) {
            self.closeAfterResponse = true
            connection = .close
        } else if http10Client {
            connection = .keepAlive
        }
        let out: ByteBuffer
        let hsts = self.sendsHSTS
        let cookie = self.affinityCookieField()
        if response.needsRewrite || connection != .none || hsts || cookie != nil
            || (response.isChunked && (http10Client || response.contentLength != nil))
        {
            out = ResponseHeadWriter.rewrite(
                headBytes, response, connection: connection, dropChunked: http10Client, hsts: hsts, extraFields: cookie,
                allocator: self.context.channel.allocator)
        } else {
            out = headBytes
        }
        self.bytesSent += out.readableBytes
        self.context.write(Self.wrapOutboundOut(out), promise: nil)
        if self.state == .tunnel { self.processInbound() }
        return true
    }

    func upstreamResponseBody(_ body: ByteBuffer) {
        self.bytesSent += body.readableBytes
        self.context.write(Self.wrapOutboundOut(body), promise: nil)
        if !self.context.channel.isWritable { self.upstream?.setReading(false) }
    }

    func upstreamReadComplete() {
        self.lastUpstreamActivity = .now()
        self.context.flush()
    }

    func upstreamWritabilityChanged(_ writable: Bool) {
        guard writable else {
            if !self.requestBody.isComplete { self.sendBlocked() }
            return
        }
        self.sendBlockedSince = nil
        self.pumpRequestBody()
        if self.inbound.readableBytes < Self.maxBufferedInbound { self.setReading(true) }
    }

    func upstreamResponseEnd(_ connection: UpstreamHandler, reusable: Bool) {
        guard connection === self.upstream else { return }
        self.recordAttemptEnd()
        let bodyDone = self.requestBody.isComplete
        if reusable && bodyDone {
            self.loop.pool.release(connection, now: .now())
        } else {
            connection.close()
        }
        self.upstream = nil
        self.logRequest()
        if self.closeAfterResponse || !bodyDone || self.state == .tunnel {
            self.closeAfterFlush()
            return
        }
        self.context.flush()
        self.finishExchange()
        self.processInbound()
    }

    func upstreamFailed(_ connection: UpstreamHandler, _ failure: UpstreamFailure) {
        guard connection === self.upstream else { return }
        self.upstream = nil
        switch failure {
        case .closedBeforeResponse: self.attemptFailed(.closedBeforeResponse(reused: connection.isReused))
        case .closedDuringResponse: self.attemptFailed(.closedDuringResponse)
        case .invalidResponse: self.attemptFailed(.invalidResponse)
        }
    }
}
