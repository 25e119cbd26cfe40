import NIOCore

/// Phase: body streaming, client to upstream.
extension ClientConnection {
    /// The CRLF that ends a chunked body after its last chunk, once its trailers are dropped.
    static let lastChunkEnd: ByteBuffer = ByteBuffer(staticString: "\r\n")

    /// Forwards the body bytes received so far, within the request's framing. Returns whether
    /// the exchange goes on (false: it was answered or cut, and the state set).
    mutating func pumpRequestBody(_ exchange: Exchange, now: NIODeadline) -> Bool {
        guard exchange.upstream.isAttached else { return true }
        var wrote = false
        switch exchange.body {
        case .none, .complete:
            return true
        case .length(let remaining):
            let take = min(remaining, self.inbound.readableBytes)
            if take > 0 {
                self.forward(self.inbound.readSlice(length: take)!)
                wrote = true
            }
            exchange.body = take == remaining ? .complete : .length(remaining: remaining - take)
        case .chunked(var decoder):
            guard self.inbound.readableBytes > 0 else { return true }
            var data = 0
            let outcome = self.inbound.withUnsafeReadableBytes { decoder.consume($0) { data += $0.count } }
            exchange.bodyBytesSeen += data
            self.relay.requestLength += data
            if let limit = exchange.maxBodySize, exchange.bodyBytesSeen > limit {
                // Over the limit mid-stream: the upstream has part of the body, so both ends close.
                self.abandon(exchange, status: 413, now: now)
                return false
            }
            // Trailer fields are validated and dropped, as nginx drops request trailers: only the
            // bytes before them go upstream, and the message is closed with its own CRLF.
            switch outcome {
            case .needMore:
                let readable = self.inbound.readableBytes
                if decoder.forwardable > 0 { self.forward(self.inbound.readSlice(length: decoder.forwardable)!) }
                self.inbound.moveReaderIndex(forwardBy: readable - decoder.forwardable)
                exchange.body = .chunked(decoder)
                wrote = decoder.forwardable > 0
            case .done(let end):
                let forward = min(decoder.forwardable, end)
                if forward > 0 { self.forward(self.inbound.readSlice(length: forward)!) }
                self.inbound.moveReaderIndex(forwardBy: end - forward)
                self.forward(Self.lastChunkEnd)
                exchange.body = .complete
                wrote = true
            case .failure:
                // A malformed chunked body: the upstream already has part of it, so both ends
                // close; the client gets 400 if nothing was answered yet.
                self.abandon(exchange, status: 400, now: now)
                return false
            }
        }
        if wrote {
            if self.mirror.isStreaming, exchange.body.isComplete {
                self.mirror = .none
                self.actions.append(.mirrorEnd)
            }
            exchange.bodyStreamed = true
            // The request is fully sent: proxy-read-timeout counts from here.
            if exchange.body.isComplete { self.relay.lastUpstreamActivity = now }
            self.actions.append(.upstreamFlush)
            if !exchange.upstreamWritable {
                if self.isReading { self.setReading(false) }
                if exchange.sendBlockedSince == nil { exchange.sendBlockedSince = now }
            }
        }
        return true
    }

    /// Body bytes upstream, and to the request's mirror copy while it is open (the same slice:
    /// no copy is made).
    mutating func forward(_ bytes: ByteBuffer) {
        self.actions.append(.upstreamWrite(bytes))
        if self.mirror.isStreaming { self.actions.append(.mirrorWrite(bytes)) }
    }

    /// Gives up an exchange whose request cannot go on (a body over the limit, malformed, or too
    /// slow): the upstream, which has part of it, is dropped; the client gets `status`, or a
    /// plain close once an answer has begun.
    mutating func abandon(_ exchange: Exchange, status: Int, now: NIODeadline) {
        if self.mirror.isStreaming {
            self.mirror = .none
            self.actions.append(.mirrorCancel)
        }
        if exchange.upstream.isAttached || exchange.upstream.isConnecting {
            if exchange.upstream.isAttached { self.actions.append(.upstreamClose) }
            exchange.recordAttemptEnd(now: now)
            exchange.upstream = .none
        }
        if exchange.responseStarted {
            self.enterClosing()
            self.actions.append(.close)
        } else {
            self.respondWithError(status, close: true, bodyPending: true, log: exchange.log, now: now)
        }
    }
}
