import NIOCore

/// Every timeout of a connection from one wake-up: keep-alive idle, header read, request body
/// (silence and minimum rate), upstream read and send, tunnel idle.
///
/// The wake-up is re-asked lazily: a pending one that fires early enough is kept (the common
/// case: nothing is scheduled per request), and one that fires early just asks again. So an
/// active connection schedules about one wake-up per timeout period, not one per request.
extension ClientConnection {
    /// The moment the current state times out, or nil when nothing is timed.
    var currentDeadline: NIODeadline? {
        // Fields read through `self.loop.configuration`, never a local copy of it: the struct
        // is large and copying it retains and releases every array and string it holds.
        switch self.state {
        case .idle(let since):
            return since + (self.inbound.readableBytes > 0 ? self.loop.configuration.headerTimeout : self.loop.configuration.keepAliveTimeout)
        case .exchange(let exchange):
            // proxy-read-timeout runs once the request is sent (or the answer has begun), as
            // nginx's: a long upload is timed by the send and client-body timeouts instead.
            var deadline = self.bodyDeadline(exchange) ?? .distantFuture
            guard exchange.upstream.isAttached else { return deadline }  // connect has its own timeout
            if exchange.body.isComplete || exchange.responseStarted {
                deadline = min(deadline, self.relay.lastUpstreamActivity + exchange.readTimeout)
            }
            if let blocked = exchange.sendBlockedSince { deadline = min(deadline, blocked + exchange.sendTimeout) }
            return deadline
        case .tunnel(let tunnel):
            return max(self.relay.lastUpstreamActivity, tunnel.lastClientActivity) + tunnel.idleTimeout
        case .closing:
            return nil
        }
    }

    /// While the client is expected to send more of a request body (not held back by
    /// back-pressure), when its silence exceeds `client_body_timeout` or the rate window ends.
    func bodyDeadline(_ exchange: Exchange) -> NIODeadline? {
        guard !exchange.body.isComplete, self.isReading else { return nil }
        return min(exchange.lastClientActivity + self.loop.configuration.bodyTimeout, exchange.bodyRate.checkAt ?? .distantFuture)
    }

    /// Makes sure a wake-up comes no later than the current state needs.
    mutating func armTimer(now: NIODeadline) {
        guard let deadline = self.currentDeadline else { return }
        var longest = self.loop.shortestTimeout
        if case .exchange(let exchange) = self.state { longest = min(longest, exchange.readTimeout, exchange.sendTimeout) }
        let wake = min(deadline, now + longest)
        if let pending = self.timerDeadline, pending <= wake { return }
        self.timerDeadline = wake
        self.actions.append(.schedule(wake))
    }

    mutating func timerFired(now: NIODeadline) {
        self.timerDeadline = nil
        guard let deadline = self.currentDeadline else { return }
        guard now >= deadline else {
            self.armTimer(now: now)
            return
        }
        switch self.state {
        case .idle:
            // nginx closes idle keep-alive connections silently, and answers a stalled head
            // with 408 (as here) only when part of it arrived.
            if self.inbound.readableBytes > 0 {
                self.logRecord.recordUnparsed()
                self.relay = RelayCounters(requestID: self.loop.requestIDs.nextID())
                self.respondWithError(408, close: true, log: AnswerLog(requestStart: now), now: now)
            } else {
                self.enterClosing()
                self.actions.append(.close)
            }
        case .exchange(let exchange):
            if let body = self.bodyDeadline(exchange), now >= body {
                if now >= exchange.lastClientActivity + self.loop.configuration.bodyTimeout || exchange.bodyRate.isTooSlow(now: now) {
                    // The client stopped sending its body (or dribbles it): 408 as nginx answers
                    // it; the upstream, which got part of the body, is dropped.
                    self.abandon(exchange, status: 408, now: now)
                    return
                }
                // A rate window passed at a good average: only the next one is due.
                if let next = self.currentDeadline, now < next {
                    self.armTimer(now: now)
                    return
                }
            }
            guard exchange.upstream.isAttached else {
                self.armTimer(now: now)
                return
            }
            self.actions.append(.upstreamClose)
            exchange.upstream = .none
            let sendExpired = exchange.sendBlockedSince.map { now >= $0 + exchange.sendTimeout } ?? false
            self.attemptFailed(exchange, sendExpired ? .sendTimeout : .readTimeout, now: now)
            self.armTimer(now: now)
        case .tunnel:
            self.actions.append(.upstreamClose)
            self.enterClosing()
            self.actions.append(.close)
        case .closing:
            break
        }
    }
}
