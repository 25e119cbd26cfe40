#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import PorticoRouting

/// The request phases, in order. Each reads the parsed head (and the bytes it points into) and
/// the route's policy, and either lets the request go on or answers it.
extension ClientConnection {
    /// A head was parsed: route → access checks → upstream choice → upstream request → connect.
    mutating func beginRequest(now: NIODeadline) {
        self.requestsOnConnection += 1
        self.loop.requestsTotal &+= 1
        let generation = self.loop.generation
        let hasBody = self.head.framing != .none
        let keepAlive =
            self.head.wantsKeepAlive && !self.quiescing && !self.loop.isQuiescing
            && self.requestsOnConnection < self.loop.configuration.maxRequestsPerConnection
        var log = AnswerLog(requestStart: now)
        self.relay = RelayCounters(lastUpstreamActivity: now, requestID: self.loop.requestIDs.nextID(), requestLength: self.head.headLength)
        if self.isHTTP2 { self.readGRPC() }

        // Phase: route.
        let decision = self.routePhase(generation.snapshot.routes)
        let route: Route
        var rewritten = false
        var httpsRedirect: Bool?
        switch decision {
        case .proxy(let found, let isRewritten):
            route = found
            rewritten = isRewritten
        case .httpsRedirect(let preserveTrailingSlash, let found?):
            route = found
            httpsRedirect = preserveTrailingSlash
        case .httpsRedirect(let preserveTrailingSlash, nil):
            self.redirectToHTTPS(
                preserveTrailingSlash: preserveTrailingSlash, close: hasBody || !keepAlive, bodyPending: hasBody, log: log, now: now)
            return
        case .status(let status):
            self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
            self.respondWithError(status, close: status == 400 || hasBody || !keepAlive, bodyPending: hasBody, log: log, now: now)
            return
        case .appRootRedirect(let appRoot):
            self.redirectToAppRoot(appRoot, close: hasBody || !keepAlive, bodyPending: hasBody, log: log, now: now)
            return
        case .hostRedirect(let target):
            self.redirectToHost(target, close: hasBody || !keepAlive, bodyPending: hasBody, log: log, now: now)
            return
        }
        log.routeName = route.source.ingress
        log.metricLabels = route.metricLabels
        log.method = self.head.method
        log.skipsAccessLog = !route.policy.accessLog
        if route.policy.tracing.enabled {
            self.tracePhase(route.policy.tracing, generation: generation)
            log.spanName = route.policy.tracing.operationName
        }
        let corsFields = self.corsFields(route.policy.cors)
        let dropsUpstreamCORS = corsFields != nil
        // The route's header changes; a Gateway API backendRef's own replace them once its
        // share is chosen (the backend split phase).
        var headers = route.policy.headers
        log.answerFields = Self.answerFields(cors: corsFields, headers: headers)

        // Phase: client certificate (`auth-tls-*`, the host's).
        if let certificates = route.policy.clientCertificate, let verdict = self.clientCertificatePhase(certificates) {
            self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
            switch verdict {
            case .status(let status):
                self.respondWithError(status, close: hasBody || !keepAlive, bodyPending: hasBody, log: log, now: now)
            case .redirect(let location):
                self.respondWithRedirect(status: 302, location: location, close: hasBody || !keepAlive, bodyPending: hasBody, log: log, now: now)
            }
            return
        }

        // Phase: rewrite (nginx's find-config check of the declared body size, then the
        // location's `return`s, then ingress-nginx's HTTPS redirect).
        if let limit = route.policy.maxBodySize, case .length(let length) = self.head.framing, length > limit {
            self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
            self.respondWithError(413, close: true, bodyPending: hasBody, log: log, now: now)
            return
        }
        let isPreflight = self.head.method == .options && log.answerFields != nil
        switch route.policy.rewriteAnswer(isPreflight: isPreflight) {
        case .denied?:
            self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
            self.respondWithError(503, close: hasBody || !keepAlive, bodyPending: hasBody, log: log, now: now)
            return
        case .requestRedirect(let filter)?:
            let location = self.requestRedirectLocation(filter, rewritten: rewritten)
            self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
            self.respondWithRedirect(
                status: filter.statusCode, location: location, close: hasBody || !keepAlive, bodyPending: hasBody, log: log, now: now)
            return
        case .preflight?:
            self.answerPreflight(close: hasBody || !keepAlive, bodyPending: hasBody, log: log, now: now)
            return
        case .redirect(let redirect)?:
            self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
            self.respondWithRedirect(
                status: redirect.code, location: redirect.location, close: hasBody || !keepAlive, bodyPending: hasBody, log: log,
                now: now)
            return
        case nil:
            break
        }
        if let preserveTrailingSlash = httpsRedirect {
            self.redirectToHTTPS(
                preserveTrailingSlash: preserveTrailingSlash, close: hasBody || !keepAlive, bodyPending: hasBody, log: log, now: now)
            return
        }

        // ingress-nginx's balancer.rewrite(), right after the HTTPS redirect in ngx_rewrite.lua:
        // 503 for a backend without ready endpoints, before any access check.
        // Phase: backend split (a Gateway API rule's weighted backendRefs; 500, or 503 for a
        // GRPCRoute, for the share of one that does not resolve or whose Service does not
        // exist: `BackendNotFound`).
        var backendID = route.backend
        if let split = route.policy.backendSplit {
            guard split.total > 0, let share = split.share(roll: Int(self.loop.requestIDs.next() % UInt64(split.total))),
                let id = share.backend, !generation.backends[id].source.serviceMissing
            else {
                self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
                self.respondWithError(split.unresolvedStatus, close: hasBody || !keepAlive, bodyPending: hasBody, log: log, now: now)
                return
            }
            backendID = id
            if let own = share.headers {
                headers = own
                log.answerFields = Self.answerFields(cors: corsFields, headers: own)
            }
        }
        var backend = generation.backends[backendID]
        if backend.endpoints.isEmpty, let fallback = route.policy.defaultBackend.map({ generation.backends[$0] }),
            !fallback.endpoints.isEmpty
        {
            backend = fallback  // `default-backend` serves while the Service has no ready endpoint
        }
        if backend.endpoints.isEmpty {
            self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
            self.respondWithError(503, close: hasBody || !keepAlive, bodyPending: hasBody, log: log, now: now)
            return
        }

        // Phase: pre-access.
        let realClient = self.realClientAddress()
        if self.loop.accessLog != nil { self.logRecord.realClient = realClient?.text }
        if let limit = route.policy.rateLimit, let status = self.preAccessPhase(limit, realClient: realClient, now: now) {
            self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
            self.respondWithError(status, close: hasBody || !keepAlive, bodyPending: hasBody, log: log, now: now)
            return
        }

        // Phase: access checks (nginx's access phase: the address lists, basic auth, external auth).
        let access = self.accessPhase(route, realClient: realClient, now: now)
        if case .answer(let status) = access {
            self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
            let challenge = status == 401 ? route.policy.basicAuth?.challenge : nil
            self.respondWithError(status, close: hasBody || !keepAlive, bodyPending: hasBody, log: log, extraField: challenge, now: now)
            return
        }

        // Phase: upstream choice: the canary or the main backend (the endpoint itself is picked
        // per attempt, at connect).
        if let canary = route.policy.canary {
            let alternative = generation.backends[canary.backend]
            if self.choosesCanary(canary, main: backend, alternative: alternative, affinity: route.policy.cookieAffinity, now: now) {
                backend = alternative
                log.canary = canary.upstreamName
            }
        }
        let tries = route.policy.nextUpstream.tries.map { $0 == 0 ? max(backend.endpoints.count, 1) : $0 } ?? self.loop.configuration.maxTries
        let affinityHash = self.affinityHash(for: route, backend: backend, realClient: realClient)
        let (cookieEndpoint, affinityKey) = route.policy.cookieAffinity.map { self.affinityChoice($0, backend: backend, now: now) } ?? (nil, nil)

        // Phase: upstream request (and the auth-url sub-request, built while the head is here).
        let upstreamHead = self.upstreamRequestPhase(route: route, headers: headers, rewritten: rewritten, realClient: realClient?.text)
        let authorization = access == .granted ? nil : route.policy.externalAuth.map {
            self.authorizationRequest($0, table: generation.snapshot.routes, realClient: realClient?.text)
        }
        if self.mirror.isStreaming { self.actions.append(.mirrorCancel) }  // an earlier request's copies whose body never ended
        self.mirror = route.policy.mirrors.isEmpty ? .none : self.mirrorPhase(route.policy.mirrors, upstreamHead: upstreamHead)
        let errorPages = route.policy.errorPages.map { self.errorPages($0, backend: generation.backends[$0.backend], realClient: realClient?.text) }
        var omitsSameSiteNone = false
        if let affinity = route.policy.cookieAffinity, affinity.conditionalSameSiteNone, affinity.sameSite == "None" {
            omitsSameSiteNone = self.inbound.withUnsafeReadableBytes { bytes in
                self.fieldValue(named: Self.userAgent, in: bytes).map { !CookieAffinity.acceptsSameSiteNone(userAgent: bytes[$0]) } ?? false
            }
        }
        self.inbound.moveReaderIndex(forwardBy: self.head.headLength)
        let body: RequestBody
        switch self.head.framing {
        case .none, .untilClose: body = .none
        case .length(let length): body = .length(remaining: length)
        case .chunked: body = .chunked(ChunkedDecoder())
        }
        let exchange = Exchange(
            upstream: .none, log: log, backend: backend, upstreamRequestHead: upstreamHead, body: body,
            maxBodySize: route.policy.maxBodySize,
            connectTimeout: Self.within(self.grpcDeadline, route.policy.connectTimeoutSeconds.map { .seconds(Int64($0)) } ?? self.loop.configuration.connectTimeout),
            readTimeout: Self.within(
                self.grpcDeadline,
                route.policy.readTimeoutMilliseconds.map { .milliseconds(Int64($0)) } ?? route.policy.readTimeoutSeconds.map { .seconds(Int64($0)) }
                    ?? self.loop.configuration.readTimeout),
            sendTimeout: route.policy.sendTimeoutSeconds.map { .seconds(Int64($0)) } ?? self.loop.configuration.sendTimeout,
            affinityHash: affinityHash, cookieAffinity: route.policy.cookieAffinity, cookieEndpoint: cookieEndpoint,
            retryPolicy: RetryPolicy(maxTries: tries, next: route.policy.nextUpstream), ewma: route.policy.ewma,
            attemptStart: now, rotationStart: backend.nextStart(loop: self.loop.index), keepAlive: keepAlive,
            closeAfterResponse: !keepAlive, lastClientActivity: now,
            bodyRate: body.isComplete
                ? .disabled
                : BodyRateGuard(minimumBytesPerSecond: self.loop.configuration.minBodyRate, window: self.loop.configuration.bodyRateWindow, now: now),
            isIdempotent: self.head.method.isIdempotent, isHTTP11: self.head.isHTTP11)
        exchange.errorPages = errorPages
        exchange.affinityKey = affinityKey
        exchange.omitsSameSiteNone = omitsSameSiteNone
        if case .length(let length) = self.head.framing, length <= route.policy.bufferedBodyLimit { exchange.bufferedBody = length }
        exchange.dropsUpstreamCORS = dropsUpstreamCORS
        exchange.locationRewrite = route.policy.locationRewrite
        if let headers {
            exchange.headers = headers
            if !headers.successAnswerLines.isEmpty { exchange.addedFields = ByteBuffer(bytes: headers.successAnswerLines) }
        }
        if let authorization {
            self.startAuthorization(authorization, main: exchange, now: now)
            return
        }
        self.startExchange(exchange, now: now)
    }

    /// Sends the request upstream: `100 Continue` first if the client waits for it, then connect.
    ///
    /// Phase: request buffering (nginx's content phase reads the body before `proxy_pass` with
    /// `proxy_request_buffering on`): a body that fits the route's buffer is received whole
    /// first, so a slow client never holds an upstream connection; `bodyArrived` connects then.
    mutating func startExchange(_ exchange: Exchange, now: NIODeadline) {
        self.state = .exchange(exchange)
        if case .pending(let copies) = self.mirror { self.startMirrors(copies, exchange, now: now) }
        if self.head.expectContinue, !exchange.body.isComplete {
            self.actions.append(.write(ErrorResponses.continueResponse))
            self.actions.append(.flush)
        }
        if exchange.bufferedBody > 0, self.inbound.readableBytes < exchange.bufferedBody {
            self.setReading(true, now: now)
        } else {
            exchange.bufferedBody = 0
            self.connect(exchange, fresh: false, now: now)
        }
        self.armTimer(now: now)
    }

    /// More of a buffered body arrived: once all of it is here, the upstream is connected.
    mutating func bodyArrived(_ exchange: Exchange, now: NIODeadline) {
        guard self.inbound.readableBytes >= exchange.bufferedBody else { return }
        exchange.bufferedBody = 0
        self.connect(exchange, fresh: false, now: now)
        self.armTimer(now: now)
    }

    /// A gRPC call (`content-type: application/grpc`, `+proto` and the like) and its
    /// `grpc-timeout`, which bounds the upstream timeouts: Portico never waits for an answer
    /// past the client's deadline.
    mutating func readGRPC() {
        self.inbound.withUnsafeReadableBytes { bytes in
            guard let type = self.fieldValue(named: Self.contentType, in: bytes),
                UnsafeRawBufferPointer(rebasing: bytes[type]).starts(with: "application/grpc".utf8)
            else {
                self.isGRPC = false
                self.grpcDeadline = nil
                return
            }
            self.isGRPC = true
            self.grpcDeadline = self.fieldValue(named: Self.grpcTimeout, in: bytes).flatMap { GRPCAnswer.timeout(UnsafeRawBufferPointer(rebasing: bytes[$0])) }
        }
    }

    /// The `Location` of an HTTPRoute's `RequestRedirect`: from the request's host and target
    /// (the target the router rewrote when the filter has a path modifier).
    func requestRedirectLocation(_ filter: RequestRedirect, rewritten: Bool) -> [UInt8] {
        self.inbound.withUnsafeReadableBytes { bytes in
            var host = UnsafeRawBufferPointer(start: nil, count: 0)
            if let value = (self.head.authority ?? self.head.hostValue).map({ UnsafeRawBufferPointer(rebasing: bytes[$0]) }),
                let range = HostBytes.hostRange(of: value)
            {
                host = UnsafeRawBufferPointer(rebasing: value[range])
            }
            let isTLS = self.isHTTPS(bytes)
            if rewritten {
                return self.loop.routing.rewrittenTarget.withUnsafeBytes { filter.location(host: host, target: $0, isTLS: isTLS) }
            }
            return filter.location(host: host, target: UnsafeRawBufferPointer(rebasing: bytes[self.head.targetStart..<self.head.targetEnd]), isTLS: isTLS)
        }
    }

    static let contentType = Array("content-type".utf8)
    static let grpcTimeout = Array("grpc-timeout".utf8)

    /// `timeout`, or the deadline when that comes first.
    static func within(_ deadline: TimeAmount?, _ timeout: TimeAmount) -> TimeAmount {
        guard let deadline else { return timeout }
        return min(deadline, timeout)
    }

    /// Phase: route. Drops an `Upgrade` not on the allowed list (h2c, …): the request goes on
    /// as a plain one and can never become a tunnel.
    mutating func routePhase(_ routes: RouteTable) -> RoutingDecision {
        self.inbound.withUnsafeReadableBytes { bytes in
            if self.head.connectionUpgrade,
                !(self.head.upgradeValue.map { self.loop.configuration.allowsUpgrade(bytes, $0) } ?? false)
            {
                self.head.connectionUpgrade = false
            }
            if self.loop.accessLog != nil {
                self.logRecord.record(self.head, bytes, format: self.loop.configuration.accessLogFormat)
                self.logRecord.isHTTP2 = self.isHTTP2
            }
            var observer = NoLookupObserver()
            let isTLS = self.isHTTPS(bytes)
            return self.head.fields.withUnsafeBufferPointer { fields in
                RequestRouter.route(
                    routes,
                    hostValue: (self.head.authority ?? self.head.hostValue).map { UnsafeRawBufferPointer(rebasing: bytes[$0]) },
                    path: UnsafeRawBufferPointer(rebasing: bytes[self.head.targetStart..<self.head.pathEnd]),
                    request: HeadRouteRequest(self.head, fields: fields, bytes: bytes, isTLS: isTLS), scratch: self.loop.routing,
                    observer: &observer)
            }
        }
    }

    /// What the access phase decided.
    enum AccessVerdict: Equatable {
        /// Answer this status instead of proxying.
        case answer(Int)
        /// Go on; the external auth sub-request (if any) decides last.
        case proceed
        /// `satisfy any` and one check passed: go on without the others (external auth included).
        case granted
    }

    /// Phase: access checks. `satisfy all` (nginx's default): 403 for a client outside the
    /// allow-list or inside the deny-list, then 401 without valid basic credentials, then the
    /// external auth. `satisfy any`: the first check that passes lets the request through; if
    /// none does, basic auth's 401 (or the external auth's verdict, or 403) answers.
    ///
    /// Phases take the `Route` and read `route.policy` in place: a `RoutePolicy` passed by
    /// value is copied out of the route first, every array and string in it retained.
    mutating func accessPhase(_ route: Route, realClient: (text: String, bytes: [UInt8])?, now: NIODeadline) -> AccessVerdict {
        let addressAllowed = route.policy.allows(realClient?.bytes ?? self.forwarding.peerBytes)
        guard route.policy.satisfyAny else {
            if !addressAllowed { return .answer(403) }
            if let auth = route.policy.basicAuth, !self.hasValidCredentials(auth, now: now) { return .answer(401) }
            return .proceed
        }
        let hasAddressList = route.policy.allowedSources != nil || !route.policy.deniedSources.isEmpty
        if hasAddressList, addressAllowed { return .granted }
        if let auth = route.policy.basicAuth {
            if self.hasValidCredentials(auth, now: now) { return .granted }
            return route.policy.externalAuth == nil ? .answer(401) : .proceed
        }
        if route.policy.externalAuth != nil { return .proceed }
        return addressAllowed ? .proceed : .answer(403)
    }

    /// Phase: pre-access (nginx's limit_req, then limit_conn), keyed by the client address:
    /// the status to answer, or nil to go on (holding a `limit-connections` place).
    mutating func preAccessPhase(_ limit: RateLimitPolicy, realClient: (text: String, bytes: [UInt8])?, now: NIODeadline) -> Int? {
        if !limit.allowlist.isEmpty, limit.exempts(realClient?.bytes ?? self.forwarding.peerBytes) { return nil }
        let clientHash = realClient.map { ProxyBackend.fnv1a(Array($0.text.utf8)) } ?? self.forwarding.peerHash
        if !limit.rates.isEmpty, !self.loop.rateLimiter.admit(limit, clientHash: clientHash, now: now) {
            return self.loop.configuration.limitRequestStatus
        }
        if let connections = limit.connections {
            guard let slot = self.loop.rateLimiter.acquireConnection(limit, limit: connections, clientHash: clientHash) else {
                return self.loop.configuration.limitConnectionStatus
            }
            self.heldConnectionSlot = slot
        }
        return nil
    }

    /// Whether the request's `Authorization: Basic` names a user of `auth` with the right
    /// password, asking the loop's cache of recent verifications first (a bcrypt hash costs
    /// milliseconds of the event loop; nginx pays it on every request).
    mutating func hasValidCredentials(_ auth: BasicAuthPolicy, now: NIODeadline) -> Bool {
        guard let range = self.head.authorization else { return false }
        return self.inbound.withUnsafeReadableBytes { bytes in
            self.loop.credentials.verify(UnsafeRawBufferPointer(rebasing: bytes[range]), users: auth.users, now: now)
        }
    }

    /// The CORS fields for this request, when the route has a policy that allows its Origin:
    /// `Access-Control-Allow-Origin` echoes the Origin (or says `*`), then the policy's fields.
    func corsFields(_ cors: CORSPolicy?) -> ByteBuffer? {
        guard let cors else { return nil }
        return self.inbound.withUnsafeReadableBytes { bytes -> ByteBuffer? in
            let origin = self.head.origin.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }
            guard cors.allows(origin: origin) else { return nil }
            var fields = ByteBufferAllocator().buffer(capacity: 64 + cors.fields.count + (origin?.count ?? 1))
            fields.writeStaticString("Access-Control-Allow-Origin: ")
            if cors.allowsAnyOrigin {
                fields.writeStaticString("*")
            } else if let origin {
                fields.writeBytes(origin)
            }
            fields.writeStaticString("\r\n")
            fields.writeBytes(cors.fields)
            return fields
        }
    }

    /// Phase: upstream request. The head sent upstream, written from the client's head bytes.
    mutating func upstreamRequestPhase(route: Route, headers: HeaderPolicy?, rewritten: Bool, realClient: String?) -> ByteBuffer {
        var out = self.loop.spareHeads.take(capacity: self.head.headLength + 384)
        self.inbound.withUnsafeReadableBytes { bytes in
            if rewritten {
                self.loop.routing.rewrittenTarget.withUnsafeBytes { target in
                    UpstreamRequestWriter.write(
                        self.head, from: bytes, rewrittenTarget: target, forwardedPrefix: route.policy.forwardedPrefix,
                        upstreamHost: route.policy.upstreamHost, realClient: realClient, forwarded: self.forwardedFields(in: bytes),
                        dropAuthorization: route.policy.basicAuth != nil,
                        replacedFields: Self.replacedRequestFields(route, headers: headers), extraFields: self.extraRequestFields(route, headers: headers),
                        forwarding: self.forwarding,
                        requestID: self.relay.requestID, trace: self.relay.trace, into: &out)
                }
            } else {
                UpstreamRequestWriter.write(
                    self.head, from: bytes, upstreamHost: route.policy.upstreamHost, realClient: realClient,
                    forwarded: self.forwardedFields(in: bytes), dropAuthorization: route.policy.basicAuth != nil,
                    replacedFields: Self.replacedRequestFields(route, headers: headers), extraFields: self.extraRequestFields(route, headers: headers),
                    forwarding: self.forwarding,
                    requestID: self.relay.requestID, trace: self.relay.trace, into: &out)
            }
        }
        return out
    }

    /// The fields every answer to the request carries: the route's CORS fields, and its
    /// headers' every-answer lines.
    static func answerFields(cors: ByteBuffer?, headers: HeaderPolicy?) -> ByteBuffer? {
        guard let headers, !headers.everyAnswerLines.isEmpty else { return cors }
        return Self.joined(cors, ByteBuffer(bytes: headers.everyAnswerLines))
    }

    /// Fields the proxy adds to the upstream request: the snippet's `proxy_set_header` lines,
    /// the `ssl-client-*` fields of an `auth-tls` host.
    func extraRequestFields(_ route: Route, headers: HeaderPolicy?) -> [UInt8] {
        let snippet = headers?.requestLines ?? []
        guard let certificates = route.policy.clientCertificate else { return snippet }
        return snippet + self.clientCertificateFields(certificates)
    }

    /// Client fields the route sets itself: `auth-response-headers`, `proxy_set_header`, an
    /// `auth-tls` host's `ssl-client-*`.
    static func replacedRequestFields(_ route: Route, headers: HeaderPolicy?) -> [[UInt8]] {
        let replaced = Self.replacedByAuthOrSnippet(route, headers: headers)
        guard route.policy.clientCertificate != nil else { return replaced }
        return replaced + Self.clientCertificateFieldNames
    }

    static func replacedByAuthOrSnippet(_ route: Route, headers: HeaderPolicy?) -> [[UInt8]] {
        switch (route.policy.externalAuth?.responseHeadersLowercased, headers?.replacedRequestNames) {
        case (nil, nil): return []
        case (let auth?, nil): return auth
        case (nil, let headers?): return headers
        case (let auth?, let headers?): return auth + headers
        }
    }

    /// The consistent-hashing key of this request: the route's `upstream-hash-by`, else the
    /// client IP when the Service has `sessionAffinity: ClientIP`, else none (round-robin).
    func affinityHash(for route: Route, backend: ProxyBackend, realClient: (text: String, bytes: [UInt8])?) -> UInt64? {
        let clientHash = realClient.map { ProxyBackend.fnv1a(Array($0.text.utf8)) } ?? self.forwarding.peerHash
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
                guard let range = self.fieldValue(named: Array(name.utf8), in: bytes) else {
                    return 0  // absent header: all such requests share one endpoint, as nginx hashes ""
                }
                return ProxyBackend.fnv1a(UnsafeRawBufferPointer(rebasing: bytes[range]))
            }
        }
    }

    /// The endpoint the request's affinity cookie names, if any.
    func endpointFromCookie(_ affinity: CookieAffinity, backend: ProxyBackend, now: NIODeadline) -> ProxyEndpoint? {
        self.inbound.withUnsafeReadableBytes { bytes -> ProxyEndpoint? in
            guard let range = self.cookieValue(named: affinity.nameBytes, in: bytes) else { return nil }
            let value = UnsafeRawBufferPointer(rebasing: bytes[range])
            switch affinity.mode {
            case .persistent: return backend.endpoint(forCookie: value, now: now)
            // sticky.lua keeps `key|backend` and hashes the key.
            case .balanced: return backend.endpoint(forKey: ProxyBackend.fnv1a(UnsafeRawBufferPointer(rebasing: value.prefix { $0 != UInt8(ascii: "|") })), now: now)
            }
        }
    }

    /// The endpoint the session cookie chooses, and for `affinity-mode: balanced` without a
    /// cookie the new random key that chose it (sticky_balanced.lua's `pick_new_upstream`).
    func affinityChoice(_ affinity: CookieAffinity, backend: ProxyBackend, now: NIODeadline) -> (ProxyEndpoint?, [UInt8]?) {
        if let endpoint = self.endpointFromCookie(affinity, backend: backend, now: now) { return (endpoint, nil) }
        guard affinity.mode == .balanced else { return (nil, nil) }
        let key = RequestIDGenerator.hex(self.loop.requestIDs.next())
        return (backend.endpoint(forKey: ProxyBackend.fnv1a(key), now: now), key)
    }

    static let userAgent = Array("user-agent".utf8)


    /// Where the value of the cookie `name` is in the head bytes: a `name=value` pair of the
    /// Cookie field (RFC 6265 §5.4), the name matched exactly.
    func cookieValue(named name: [UInt8], in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        guard let range = self.head.cookie else { return nil }
        var start = range.lowerBound
        while start < range.upperBound {
            var end = start
            while end < range.upperBound, bytes[end] != UInt8(ascii: ";") { end += 1 }
            var pairStart = start
            while pairStart < end, bytes[pairStart] == HTTPBytes.sp { pairStart += 1 }
            if end - pairStart > name.count, bytes[pairStart + name.count] == UInt8(ascii: "="),
                bytes[pairStart..<pairStart + name.count].elementsEqual(name)
            {
                return (pairStart + name.count + 1)..<end
            }
            start = end + 1
        }
        return nil
    }

    /// Where the value of the first field named `name` (lower-case) is in the head bytes.
    func fieldValue(named name: [UInt8], in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        self.head.fields.withUnsafeBufferPointer { RequestHead.valueRange(of: name, in: $0, bytes: bytes) }
    }

    /// `Set-Cookie` for an answer whose endpoint is not the one the request's cookie named (a
    /// new session, or one moved after a failure with `session-cookie-change-on-failure`).
    func affinityCookieField(_ exchange: Exchange, now: NIODeadline) -> String? {
        guard let affinity = exchange.cookieAffinity, let endpoint = exchange.log.endpoint else { return nil }
        let value: [UInt8]
        switch affinity.mode {
        case .persistent:
            guard endpoint !== exchange.cookieEndpoint else { return nil }
            value = endpoint.cookieValue
        case .balanced:
            if endpoint === exchange.cookieEndpoint {
                guard let key = exchange.affinityKey else { return nil }  // the request's cookie still holds
                value = key
            } else {
                // The session moved: a key that hashes to where it is now (up to 20 draws, as
                // sticky_balanced.lua; none found: no cookie, the next request is placed anew).
                var found: [UInt8]?
                for _ in 0..<20 {
                    let key = RequestIDGenerator.hex(self.loop.requestIDs.next())
                    if exchange.backend.endpoint(forKey: ProxyBackend.fnv1a(key), now: now) === endpoint {
                        found = key
                        break
                    }
                }
                guard let found else { return nil }
                value = found
            }
        }
        // The attributes lua-resty-cookie writes for sticky.lua.
        var field = "Set-Cookie: \(affinity.name)=\(String(decoding: value, as: UTF8.self))"
        if let expires = affinity.expires { field += "; Expires=" + HTTPDate.cookieTime(time(nil) + expires) }
        if let maxAge = affinity.maxAge { field += "; Max-Age=\(maxAge)" }
        if let domain = affinity.domain { field += "; Domain=\(domain)" }
        field += "; Path=\(affinity.path)"
        if affinity.secure ?? self.isTLS { field += "; Secure" }
        field += "; HttpOnly"
        if let sameSite = affinity.sameSite, !exchange.omitsSameSiteNone { field += "; SameSite=\(sameSite)" }
        return field + "\r\n"
    }
}
