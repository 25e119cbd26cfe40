import NIOCore

extension ProxyConnectionHandler {
    /// The moment the current state times out, or nil when nothing is timed.
    ///
    /// One timer per connection serves every timeout (keep-alive idle, header read, upstream
    /// read and send). It is re-armed lazily when it fires early, so an active connection
    /// schedules about one timer per timeout period instead of one per request.
    var currentDeadline: NIODeadline? {
        let configuration = self.loop.configuration
        switch self.state {
        case .idle:
            let timeout = self.inbound.readableBytes > 0 ? configuration.headerTimeout : configuration.keepAliveTimeout
            return self.idleSince + timeout
        case .proxying:
            // proxy-read-timeout runs once the request is sent (or the answer has begun), as
            // nginx's: a long upload is timed by the send and client-body timeouts instead.
            var deadline = NIODeadline.distantFuture
            if self.requestBody.isComplete || self.responseStarted { deadline = self.lastUpstreamActivity + self.readTimeout }
            if let blocked = self.sendBlockedSince { deadline = min(deadline, blocked + self.sendTimeout) }
            return min(deadline, self.bodyDeadline ?? .distantFuture)
        case .connecting:
            return self.bodyDeadline  // connect itself has its own timeout
        case .tunnel:
            // An upgraded connection (WebSocket) idle both ways for proxy-read-timeout is closed,
            // as ingress-nginx closes idle WebSockets after 60 s.
            return max(self.lastUpstreamActivity, self.lastClientActivity) + self.readTimeout
        case .closing:
            return nil
        }
    }

    /// While the client is expected to send more of a request body (not held back by
    /// back-pressure), when its silence exceeds `client_body_timeout`.
    var bodyDeadline: NIODeadline? {
        guard !self.requestBody.isComplete, self.isReading else { return nil }
        return min(self.lastClientActivity + self.loop.configuration.bodyTimeout, self.bodyRate.checkAt ?? .distantFuture)
    }

    /// At a body deadline: the silence timeout, or a window whose average fell below
    /// `--client-body-min-rate` (otherwise the next window starts and nothing happens).
    func bodyTimedOut(now: NIODeadline) -> Bool {
        if now >= self.lastClientActivity + self.loop.configuration.bodyTimeout { return true }
        return self.bodyRate.isTooSlow(now: now)
    }

    /// The upstream stopped taking the body: start the send clock.
    func sendBlocked() {
        guard self.sendBlockedSince == nil else { return }
        self.sendBlockedSince = .now()
        self.armTimer()
    }

    /// Makes sure a timer fires no later than the current state needs. A pending timer is kept
    /// when it fires early enough (the common case: nothing is scheduled per request); it is
    /// replaced only when the state now needs an earlier wake-up, e.g. a route with a short
    /// `proxy-read-timeout` or `proxy-send-timeout`.
    func armTimer() {
        guard let deadline = self.currentDeadline else { return }
        let soonest = NIODeadline.now() + min(self.loop.configuration.shortestTimeout, self.readTimeout, self.sendTimeout)
        let wake = min(deadline, soonest)
        if let pending = self.timer {
            guard wake < self.timerDeadline else { return }
            pending.cancel()
        }
        self.timerDeadline = wake
        self.timer = self.context.eventLoop.assumeIsolated().scheduleTask(deadline: wake) { self.timerFired() }
    }

    func timerFired() {
        self.timer = nil
        guard let deadline = self.currentDeadline else { return }
        guard NIODeadline.now() >= deadline else {
            self.armTimer()
            return
        }
        switch self.state {
        case .idle:
            // nginx closes idle keep-alive connections silently, and answers a stalled head
            // with 408 (as here) only when part of it arrived.
            if self.inbound.readableBytes > 0 {
                self.requestStart = .now()
                self.logRecord.recordUnparsed()
                self.respondWithError(408, close: true)
            } else {
                self.state = .closing
                self.context.close(promise: nil)
            }
        case .proxying, .connecting:
            let now = NIODeadline.now()
            if let body = self.bodyDeadline, now >= body {
                if self.bodyTimedOut(now: now) {
                    self.clientBodyTimedOut()
                    return
                }
                // A rate window passed at a good average: only the next one is due.
                if self.currentDeadline.map({ now < $0 }) ?? true {
                    self.armTimer()
                    return
                }
            }
            guard self.state == .proxying else { return }
            if let upstream = self.upstream {
                self.upstream = nil
                upstream.close()
            }
            let sendExpired = self.sendBlockedSince.map { NIODeadline.now() >= $0 + self.sendTimeout } ?? false
            self.attemptFailed(sendExpired ? .sendTimeout : .readTimeout)
        case .tunnel:
            if let upstream = self.upstream {
                self.upstream = nil
                upstream.close()
            }
            self.state = .closing
            self.context.close(promise: nil)
        case .closing:
            break
        }
    }

    /// The client stopped sending its body: 408 as nginx answers it (the upstream, which got a
    /// partial body, is dropped), or a plain close once a response has begun.
    func clientBodyTimedOut() {
        if let upstream = self.upstream {
            self.upstream = nil
            upstream.close()
            self.recordAttemptEnd()
        }
        self.exchangeID += 1  // late callbacks of the abandoned attempt are ignored
        if self.responseStarted {
            self.state = .closing
            self.context.close(promise: nil)
        } else {
            self.respondWithError(408, close: true)
        }
    }
}
