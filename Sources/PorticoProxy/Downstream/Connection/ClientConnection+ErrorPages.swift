import NIOCore
import PorticoRouting

/// `custom-http-errors`: an answer with a listed status becomes an exchange with the
/// `default-backend` (nginx `proxy_intercept_errors on` + `error_page <code> = @custom_…`),
/// whose answer, status included, is relayed instead.
extension ClientConnection {
    /// The sub-request's head, built while the client's head bytes are at hand.
    mutating func errorPages(_ policy: ErrorPagePolicy, backend: ProxyBackend, realClient: String?) -> Exchange.ErrorPages {
        var prefix = ByteBufferAllocator().buffer(capacity: self.head.headLength + 256)
        self.inbound.withUnsafeReadableBytes { bytes in
            ErrorPageRequestWriter.writePrefix(
                self.head, from: bytes, policy: policy, client: realClient ?? self.forwarding.peerAddress,
                requestIDs: &self.loop.requestIDs, into: &prefix)
        }
        return Exchange.ErrorPages(policy: policy, backend: backend, headPrefix: prefix)
    }

    /// Asks the default backend for the error page of `status`; the request's own exchange
    /// (its upstream already let go) ends here. No second interception: the page is relayed
    /// whatever its status.
    mutating func startErrorPage(_ pages: Exchange.ErrorPages, status: Int, replacing original: Exchange, now: NIODeadline) {
        guard !pages.backend.endpoints.isEmpty else {
            self.respondWithError(
                status, close: !original.body.isComplete || original.closeAfterResponse, bodyPending: !original.body.isComplete,
                log: original.log, now: now)
            return
        }
        var exchange = Exchange(
            upstream: .none, log: original.log, backend: pages.backend,
            upstreamRequestHead: ErrorPageRequestWriter.withCode(pages.headPrefix, status), body: .none, maxBodySize: nil,
            connectTimeout: original.connectTimeout, readTimeout: original.readTimeout, sendTimeout: original.sendTimeout,
            affinityHash: nil, cookieAffinity: nil, cookieEndpoint: nil, retryPolicy: RetryPolicy(maxTries: original.retryPolicy.maxTries),
            ewma: false, attemptStart: now, rotationStart: pages.backend.nextStart(loop: self.loop.index), keepAlive: original.keepAlive,
            // A body the client is still sending will not be read: close after the page.
            closeAfterResponse: original.closeAfterResponse || !original.body.isComplete, lastClientActivity: now,
            bodyRate: .disabled, isIdempotent: true, isHTTP11: original.isHTTP11)
        exchange.addedFields = original.addedFields
        exchange.subrequestMethod = self.head.method == .head ? .head : .get
        self.connect(&exchange, fresh: false, now: now)
        self.state = .exchange(exchange)
        self.armTimer(now: now)
    }
}
