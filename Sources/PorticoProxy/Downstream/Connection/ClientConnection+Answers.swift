import NIOCore
import PorticoRouting

/// The proxy's own answers (404, 502, redirects, …) and the log phase.
extension ClientConnection {
    /// The proxy's own answers carry the generation's HSTS field on HTTPS.
    var ownAnswersCarryHSTS: Bool { self.isTLS && self.loop.configuration.hstsField != nil }

    /// Answers with the proxy's own error page and logs it. `extraField`: one more field line
    /// (a 401's `WWW-Authenticate`).
    mutating func respondWithError(
        _ status: Int, close: Bool, bodyPending: Bool = false, log: AnswerLog, extraField: [UInt8]? = nil, now: NIODeadline
    ) {
        if self.isGRPC {
            self.respond(GRPCAnswer.response(httpStatus: status, deadline: self.grpcDeadline != nil), status: status, close: close, bodyPending: bodyPending, log: log, now: now)
            return
        }
        let hsts = self.ownAnswersCarryHSTS
        self.respond(
            self.loop.generation.answers.response(status: status, close: close, hsts: hsts), status: status, close: close,
            bodyPending: bodyPending, log: log, extraField: extraField, now: now)
    }

    /// `permanent-redirect` / `temporal-redirect`: nginx's `return <code> <url>`.
    mutating func respondWithRedirect(
        status: Int, location: [UInt8], close: Bool, bodyPending: Bool, log: AnswerLog, now: NIODeadline
    ) {
        let hsts = self.ownAnswersCarryHSTS
        self.respond(
            self.loop.generation.answers.redirect(status: status, location: location, close: close, hsts: hsts), status: status, close: close,
            bodyPending: bodyPending, log: log, now: now)
    }

    /// `enable-cors`: an allowed preflight is answered 204 with the CORS fields and
    /// `Content-Type: text/plain charset=UTF-8`, `Content-Length: 0` (nginx.tmpl's `CORS`).
    mutating func answerPreflight(close: Bool, bodyPending: Bool, log: AnswerLog, now: NIODeadline) {
        self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
        self.respond(
            close ? ErrorResponses.preflightClosing : ErrorResponses.preflight, status: 204, close: close, bodyPending: bodyPending,
            log: log, now: now)
    }

    /// `from-to-www-redirect`: 308 (ingress-nginx's `http-redirect-code`) to the request URI
    /// on the host it names.
    mutating func redirectToHost(_ target: String, close: Bool, bodyPending: Bool, log: AnswerLog, now: NIODeadline) {
        let location = self.inbound.withUnsafeReadableBytes { bytes in
            RequestRouter.hostRedirectLocation(
                target: target, isTLS: self.isTLS, port: self.forwarding.listenerPort,
                requestURI: UnsafeRawBufferPointer(rebasing: bytes[self.head.targetStart..<self.head.targetEnd]))
        }
        self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
        self.respondWithRedirect(status: 308, location: location, close: close, bodyPending: bodyPending, log: log, now: now)
    }

    /// `app-root`: 302 to `$scheme://$http_host<app-root>`, as ingress-nginx's server-level
    /// `if ($uri = /)` does; the query string is dropped.
    mutating func redirectToAppRoot(_ appRoot: String, close: Bool, bodyPending: Bool, log: AnswerLog, now: NIODeadline) {
        var location = Array("http://".utf8)
        self.inbound.withUnsafeReadableBytes { bytes in
            if let host = self.head.authority ?? self.head.hostValue { location += bytes[host] }
        }
        location += appRoot.utf8
        self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
        let hsts = self.ownAnswersCarryHSTS
        self.respond(
            self.loop.generation.answers.redirect(status: 302, location: location, close: close, hsts: hsts), status: 302, close: close,
            bodyPending: bodyPending, log: log, now: now)
    }

    /// `ssl-redirect`: 308 to the same path and query on the HTTPS port.
    mutating func redirectToHTTPS(preserveTrailingSlash: Bool, close: Bool, bodyPending: Bool, log: AnswerLog, now: NIODeadline) {
        let location = self.inbound.withUnsafeReadableBytes { bytes in
            RequestRouter.httpsLocation(
                hostValue: (self.head.authority ?? self.head.hostValue).map { UnsafeRawBufferPointer(rebasing: bytes[$0]) },
                target: UnsafeRawBufferPointer(rebasing: bytes[self.head.targetStart..<self.head.targetEnd]),
                httpsPort: self.loop.configuration.httpsPort, preserveTrailingSlash: preserveTrailingSlash)
        }
        self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
        self.respond(
            self.loop.generation.answers.redirect(status: 308, location: location, close: close), status: 308, close: close,
            bodyPending: bodyPending, log: log, now: now)
    }

    /// Writes an answer the proxy made itself, logs it, then closes (lingering) or waits for
    /// the next request. The shared answer goes out with this second's `Date` after its status
    /// line: three writes of shared storage (slices and the loop's cached field), one writev on
    /// flush, no copy.
    /// `bodyPending`: the request's body was not (all) read, so the client may still be
    /// sending it.
    /// The request's answer fields (CORS) and `extraField` follow the `Date`.
    mutating func respond(
        _ response: ByteBuffer, status: Int, close: Bool, bodyPending: Bool = false, log: AnswerLog, extraField: [UInt8]? = nil,
        now: NIODeadline
    ) {
        var rest = response
        let lineEnd = rest.withUnsafeReadableBytes { ($0.firstIndex(of: HTTPBytes.lf) ?? -1) + 1 }
        let statusLine = rest.readSlice(length: lineEnd)!
        let date = self.loop.date.current()
        var log = log
        log.status = status
        log.bytesSent = response.readableBytes + date.readableBytes
        if self.loop.accessLog != nil {
            // The head is all but the body that follows its blank line (in the shared answer).
            let body = rest.withUnsafeReadableBytes { bytes -> Int in
                var index = 0
                while index + 3 < bytes.count {
                    if bytes[index] == HTTPBytes.cr, bytes[index + 1] == HTTPBytes.lf, bytes[index + 2] == HTTPBytes.cr, bytes[index + 3] == HTTPBytes.lf {
                        return bytes.count - index - 4
                    }
                    index += 1
                }
                return 0
            }
            self.relay.answerHeadBytes = log.bytesSent + (log.answerFields?.readableBytes ?? 0) + (extraField?.count ?? 0) - body
        }
        self.actions.append(.write(statusLine))
        self.actions.append(.write(date))
        if let fields = log.answerFields {
            log.bytesSent += fields.readableBytes
            self.actions.append(.write(fields))
        }
        if let extraField {
            log.bytesSent += extraField.count
            self.actions.append(.write(ByteBuffer(bytes: extraField)))
        }
        self.actions.append(.write(rest))
        self.logAnswer(log, now: now)
        if close {
            self.closeAfterAnswer(bodyPending: bodyPending)
        } else {
            self.actions.append(.flush)
            self.finishExchange(now: now)
        }
    }

    /// Closes once the answer is out: lingering when the client may still be sending (nginx's
    /// `lingering_close on`: a body not read, or bytes not consumed), else at once.
    mutating func closeAfterAnswer(bodyPending: Bool) {
        self.enterClosing()
        self.actions.append(bodyPending || self.inbound.readableBytes > 0 ? .lingeringClose : .closeAfterFlush)
    }

    /// `log` with the bytes relayed so far.
    func relayed(_ log: AnswerLog) -> AnswerLog {
        var log = log
        log.bytesSent = self.relay.bytesSent
        return log
    }

    /// Phase: log.
    func logAnswer(_ log: AnswerLog, now: NIODeadline) {
        let duration = now - log.requestStart
        if let labels = log.metricLabels, self.loop.configuration.requestMetrics {
            self.loop.metrics.record(
                labels,
                RequestObservation(
                    status: log.status, method: log.method, canary: log.canary, requestNanoseconds: duration.nanoseconds,
                    connectNanoseconds: self.relay.connectNanoseconds, headerNanoseconds: self.relay.headerNanoseconds,
                    responseNanoseconds: self.relay.responseNanoseconds(endingAt: now), requestLength: self.relay.requestLength,
                    bytesSent: log.bytesSent))
        }
        if self.relay.trace != nil { self.recordSpan(log, duration: duration) }
        guard let accessLog = self.loop.accessLog, !log.skipsAccessLog else { return }
        accessLog.log(
            AccessLogLine(
                record: self.logRecord, answer: log, relay: self.relay, end: now, peer: self.forwarding.peerAddress, isTLS: self.isTLS,
                tlsVersion: self.tlsVersion, serverPort: self.forwarding.listenerPort, connectionRequests: self.requestsOnConnection),
            format: self.loop.configuration.accessLogFormat)
    }
}
