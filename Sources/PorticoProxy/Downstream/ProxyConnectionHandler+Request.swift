import NIOCore
import PorticoRouting

extension ProxyConnectionHandler {
    /// Routes a parsed head and starts its exchange: resolve → pick endpoint → connect → send.
    func beginRequest() {
        self.requestStart = .now()
        self.requestsOnConnection += 1
        self.exchangeID += 1
        self.status = 0
        self.bytesSent = 0
        self.responseStarted = false
        self.bodyStreamed = false
        self.attempt = 0
        self.endpoint = nil
        self.routeName = nil
        self.closeAfterResponse = false
        let generation = self.loop.generation
        let hasBody = self.head.framing != .none
        self.keepAlive =
            self.head.wantsKeepAlive && !self.loop.isQuiescing
            && self.requestsOnConnection < self.loop.configuration.maxRequestsPerConnection

        var decision = RoutingDecision.status(404)
        self.inbound.withUnsafeReadableBytes { bytes in
            // An Upgrade not on the allowed list (h2c, …) is dropped: the request goes on as a
            // plain one and can never become a tunnel.
            if self.head.connectionUpgrade,
                !(self.head.upgradeValue.map { self.loop.configuration.allowsUpgrade(bytes, $0) } ?? false)
            {
                self.head.connectionUpgrade = false
            }
            if self.loop.accessLog != nil { self.logRecord.record(self.head, bytes) }
            var observer = NoLookupObserver()
            decision = RequestRouter.route(
                generation.snapshot.routes,
                hostValue: (self.head.authority ?? self.head.hostValue).map { UnsafeRawBufferPointer(rebasing: bytes[$0]) },
                path: UnsafeRawBufferPointer(rebasing: bytes[self.head.targetStart..<self.head.pathEnd]),
                query: UnsafeRawBufferPointer(rebasing: bytes[self.head.pathEnd..<self.head.targetEnd]),
                isTLS: self.isTLS, scratch: self.loop.routing, observer: &observer)
        }
        let route: Route
        let rewritten: Bool
        switch decision {
        case .proxy(let found, let isRewritten):
            route = found
            rewritten = isRewritten
        case .status(let status):
            self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
            self.respondWithError(status, close: status == 400 || hasBody || !self.keepAlive)
            return
        case .appRootRedirect(let appRoot):
            self.redirectToAppRoot(appRoot, close: hasBody || !self.keepAlive)
            return
        case .httpsRedirect(let preserveTrailingSlash):
            self.redirectToHTTPS(preserveTrailingSlash: preserveTrailingSlash, close: hasBody || !self.keepAlive)
            return
        }
        self.routeName = route.source.ingress
        self.maxBodySize = route.policy.maxBodySize
        self.bodyBytesSeen = 0
        let configuration = self.loop.configuration
        self.connectTimeout = route.policy.connectTimeoutSeconds.map { .seconds(Int64($0)) } ?? configuration.connectTimeout
        self.readTimeout = route.policy.readTimeoutSeconds.map { .seconds(Int64($0)) } ?? configuration.readTimeout
        self.sendTimeout = route.policy.sendTimeoutSeconds.map { .seconds(Int64($0)) } ?? configuration.sendTimeout
        self.sendBlockedSince = nil
        if let limit = route.policy.maxBodySize, case .length(let length) = self.head.framing, length > limit {
            // nginx `client_max_body_size`: 413 before anything is sent; the body is not read.
            self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
            self.respondWithError(413, close: true)
            return
        }
        let backend = generation.backends[route.backend]
        guard !backend.endpoints.isEmpty, route.policy.deniedReason == nil else {
            self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
            self.respondWithError(503, close: hasBody || !self.keepAlive)
            return
        }
        self.realClient = self.realClientAddress()
        // ingress-nginx's phases: the 503 above (rewrite phase) comes before the allow-list (access).
        guard route.policy.allows(self.realClient?.bytes ?? self.forwarding.peerBytes) else {
            self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
            self.respondWithError(403, close: hasBody || !self.keepAlive)
            return
        }
        self.backend = backend
        self.affinityHash = self.affinityHash(for: route, backend: backend)
        self.cookieAffinity = route.policy.cookieAffinity
        let tries = route.policy.nextUpstream.tries.map { $0 == 0 ? max(backend.endpoints.count, 1) : $0 } ?? configuration.maxTries
        self.retryPolicy = RetryPolicy(maxTries: tries, next: route.policy.nextUpstream)
        self.ewma = route.policy.ewma
        self.cookieEndpoint = route.policy.cookieAffinity.flatMap { self.endpointFromCookie($0, backend: backend) }

        var out = self.context.channel.allocator.buffer(capacity: self.head.headLength + 384)
        self.inbound.withUnsafeReadableBytes { bytes in
            if rewritten {
                self.loop.routing.rewrittenTarget.withUnsafeBytes { target in
                    UpstreamRequestWriter.write(
                        self.head, from: bytes, rewrittenTarget: target, forwardedPrefix: route.policy.forwardedPrefix,
                        upstreamHost: route.policy.upstreamHost, realClient: self.realClient?.text, forwarding: self.forwarding,
                        requestIDs: &self.loop.requestIDs, into: &out)
                }
            } else {
                UpstreamRequestWriter.write(
                    self.head, from: bytes, upstreamHost: route.policy.upstreamHost, realClient: self.realClient?.text,
                    forwarding: self.forwarding, requestIDs: &self.loop.requestIDs, into: &out)
            }
        }
        self.upstreamRequestHead = out
        self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
        switch self.head.framing {
        case .none, .untilClose: self.requestBody = .none
        case .length(let length):
            self.requestBody = .length(remaining: length)
        case .chunked:
            self.requestBody = .chunked(ChunkedDecoder())
        }
        if !self.requestBody.isComplete {
            let now = NIODeadline.now()
            self.lastClientActivity = now
            self.bodyRate = BodyRateGuard(
                minimumBytesPerSecond: configuration.minBodyRate, window: configuration.bodyRateWindow, now: now)
        }
        if self.head.expectContinue, !self.requestBody.isComplete {
            self.context.writeAndFlush(Self.wrapOutboundOut(ErrorResponses.continueResponse), promise: nil)
        }
        self.rotationStart = backend.nextStart()
        self.state = .connecting
        self.connectToUpstream(fresh: false)
    }

    /// The consistent-hashing key of this request: the route's `upstream-hash-by`, else the
    /// client IP when the Service has `sessionAffinity: ClientIP`, else none (round-robin).
    func affinityHash(for route: Route, backend: ProxyBackend) -> UInt64? {
        let clientHash = self.realClient.map { ProxyBackend.fnv1a(Array($0.text.utf8)) } ?? self.forwarding.peerHash
        guard let key = route.policy.hashKey else { return backend.clientIPAffinity ? clientHash : nil }
        return self.inbound.withUnsafeReadableBytes { bytes -> UInt64 in
            switch key {
            case .clientAddress:
                return clientHash
            case .requestURI:
                return ProxyBackend.fnv1a(UnsafeRawBufferPointer(rebasing: bytes[self.head.targetStart..<self.head.targetEnd]))
            case .path:
                return ProxyBackend.fnv1a(UnsafeRawBufferPointer(rebasing: bytes[self.head.targetStart..<self.head.pathEnd]))
            case .header(let name):
                for field in self.head.fields
                where name.utf8.elementsEqual(bytes[field.lineStart..<field.nameEnd].lazy.map(HostBytes.lower)) {
                    return ProxyBackend.fnv1a(UnsafeRawBufferPointer(rebasing: bytes[field.valueStart..<field.valueEnd]))
                }
                return 0  // absent header: all such requests share one endpoint, as nginx hashes ""
            }
        }
    }

    /// `app-root`: 302 to `$scheme://$http_host<app-root>`, as ingress-nginx's server-level
    /// `if ($uri = /)` does; the query string is dropped.
    func redirectToAppRoot(_ appRoot: String, close: Bool) {
        var location = Array("http://".utf8)
        self.inbound.withUnsafeReadableBytes { bytes in
            if let host = self.head.authority ?? self.head.hostValue { location += bytes[host] }
        }
        location += appRoot.utf8
        self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
        self.respond(
            ErrorResponses.redirect(status: 302, location: location, close: close, hsts: self.sendsHSTS), status: 302,
            close: close)
    }

    /// `ssl-redirect`: 308 to the same path and query on the HTTPS port.
    func redirectToHTTPS(preserveTrailingSlash: Bool, close: Bool) {
        let location = self.inbound.withUnsafeReadableBytes { bytes in
            RequestRouter.httpsLocation(
                hostValue: (self.head.authority ?? self.head.hostValue).map { UnsafeRawBufferPointer(rebasing: bytes[$0]) },
                target: UnsafeRawBufferPointer(rebasing: bytes[self.head.targetStart..<self.head.targetEnd]),
                httpsPort: self.loop.configuration.httpsPort, preserveTrailingSlash: preserveTrailingSlash)
        }
        self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
        self.respond(ErrorResponses.redirect(status: 308, location: location, close: close), status: 308, close: close)
    }

    /// Forwards the body bytes received so far, within the request's framing.
    func pumpRequestBody() {
        guard let upstream = self.upstream else { return }
        var wrote = false
        switch self.requestBody {
        case .none, .complete:
            return
        case .length(let remaining):
            let take = min(remaining, self.inbound.readableBytes)
            if take > 0 {
                upstream.write(self.inbound.readSlice(length: take)!)
                wrote = true
            }
            self.requestBody = take == remaining ? .complete : .length(remaining: remaining - take)
        case .chunked(var decoder):
            guard self.inbound.readableBytes > 0 else { return }
            var data = 0
            let outcome = self.inbound.withUnsafeReadableBytes { decoder.consume($0) { data += $0.count } }
            self.bodyBytesSeen += data
            if let limit = self.maxBodySize, self.bodyBytesSeen > limit {
                // Over the limit mid-stream: the upstream has part of the body, so both ends close.
                self.upstream = nil
                upstream.close()
                if self.responseStarted { self.context.close(promise: nil) } else { self.respondWithError(413, close: true) }
                return
            }
            // Trailer fields are validated and dropped, as nginx drops request trailers: only the
            // bytes before them go upstream, and the message is closed with its own CRLF.
            switch outcome {
            case .needMore:
                let readable = self.inbound.readableBytes
                if decoder.forwardable > 0 { upstream.write(self.inbound.readSlice(length: decoder.forwardable)!) }
                self.inbound.moveReaderIndex(forwardBy: readable - decoder.forwardable)
                self.requestBody = .chunked(decoder)
                wrote = decoder.forwardable > 0
            case .done(let end):
                let forward = min(decoder.forwardable, end)
                if forward > 0 { upstream.write(self.inbound.readSlice(length: forward)!) }
                self.inbound.moveReaderIndex(forwardBy: end - forward)
                upstream.write(Self.lastChunkEnd)
                self.requestBody = .complete
                wrote = true
            case .failure:
                // A malformed chunked body: the upstream already has part of it, so both ends
                // are closed; the client gets 400 if nothing was answered yet.
                self.upstream = nil
                upstream.close()
                if self.responseStarted {
                    self.context.close(promise: nil)
                } else {
                    self.respondWithError(400, close: true)
                }
                return
            }
        }
        if wrote {
            self.bodyStreamed = true
            // The request is fully sent: proxy-read-timeout counts from here.
            if self.requestBody.isComplete { self.lastUpstreamActivity = .now() }
            upstream.flush()
            if !upstream.isWritable {
                self.setReading(false)
                self.sendBlocked()
            }
        }
    }

    /// The CRLF that ends a chunked body after its last chunk, once its trailers are dropped.
    static let lastChunkEnd: ByteBuffer = ByteBuffer(staticString: "\r\n")

    /// Answers with the proxy's own response (404, 502, …) and logs it.
    func respondWithError(_ status: Int, close: Bool) {
        self.respond(ErrorResponses.response(status: status, close: close, hsts: self.sendsHSTS), status: status, close: close)
    }

    /// Writes a response the proxy made itself, logs it, then closes or waits for the next request.
    func respond(_ response: ByteBuffer, status: Int, close: Bool) {
        // The shared response with this second's `Date` after its status line: three writes of
        // shared storage (slices and the loop's cached field), one writev on flush, no copy.
        var rest = response
        let lineEnd = rest.withUnsafeReadableBytes { ($0.firstIndex(of: HTTPBytes.lf) ?? -1) + 1 }
        let statusLine = rest.readSlice(length: lineEnd)!
        let date = self.loop.date.current()
        self.status = status
        self.bytesSent = response.readableBytes + date.readableBytes
        self.context.write(Self.wrapOutboundOut(statusLine), promise: nil)
        self.context.write(Self.wrapOutboundOut(date), promise: nil)
        self.context.write(Self.wrapOutboundOut(rest), promise: nil)
        self.logRequest()
        if close {
            self.closeAfterFlush()
        } else {
            self.context.flush()
            self.finishExchange()
        }
    }

    /// Back to waiting for the next request on a kept-alive connection.
    func finishExchange() {
        self.state = .idle
        self.upstream = nil
        self.backend = nil
        self.requestBody = .none
        self.idleSince = .now()
        self.armTimer()
        self.setReading(true)
    }

    func logRequest() {
        guard let accessLog = self.loop.accessLog else { return }
        let duration = NIODeadline.now() - self.requestStart
        self.logRecord.withParts { method, target, host in
            accessLog.log(
                AccessLogWriter.Entry(
                    peer: self.forwarding.peerAddress, method: method, target: target, host: host,
                    isHTTP11: self.logRecord.isHTTP11, status: self.status, bytesSent: self.bytesSent,
                    upstream: self.endpoint?.display, route: self.routeName, durationNanoseconds: duration.nanoseconds))
        }
    }
}
