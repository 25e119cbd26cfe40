import NIOCore
import PorticoRouting

/// `custom-http-errors`: an answer with a listed status becomes an exchange with the
/// `default-backend` (nginx `proxy_intercept_errors on` + `error_page <code> = @custom_…`),
/// whose answer, status included, is relayed instead.
extension ClientConnection {
    /// What the sub-request needs if an error comes: the client's head bytes as a slice (shared
    /// storage, no copy — the head is written only when an error page is asked for).
    func errorPages(_ policy: ErrorPagePolicy, backend: ProxyBackend, realClient: String?) -> Exchange.ErrorPages {
        Exchange.ErrorPages(
            policy: policy, backend: backend, clientHead: self.inbound.getSlice(at: self.inbound.readerIndex, length: self.head.headLength)!,
            client: realClient ?? self.forwarding.peerAddress)
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
        // A body the client is still sending will not be read: close after the page.
        let exchange = Exchange.subrequest(
            of: original, backend: pages.backend, head: self.errorPageHead(pages, status: status),
            method: self.head.method == .head ? .head : .get, rotationStart: pages.backend.nextStart(loop: self.loop.index),
            closeAfterResponse: original.closeAfterResponse || !original.body.isComplete, isHTTP11: original.isHTTP11, now: now)
        exchange.addedFields = original.addedFields
        self.connect(exchange, fresh: false, now: now)
        self.state = .exchange(exchange)
        self.armTimer(now: now)
    }

    /// The sub-request's head, from the client's head (still described by `self.head`: no other
    /// request is parsed while this exchange lasts).
    mutating func errorPageHead(_ pages: Exchange.ErrorPages, status: Int) -> ByteBuffer {
        var out = ByteBufferAllocator().buffer(capacity: pages.clientHead.readableBytes + 256)
        pages.clientHead.withUnsafeReadableBytes { bytes in
            ErrorPageRequestWriter.write(
                self.head, from: bytes, policy: pages.policy, status: status, client: pages.client, requestID: self.relay.requestID,
                into: &out)
        }
        return out
    }
}
