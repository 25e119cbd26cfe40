import NIOCore
import PorticoPasswords
import PorticoRouting

/// Phase: external authentication (`auth-url`, nginx's `auth_request`). The sub-request is an
/// exchange of its own, with the request waiting in `pendingExchange`: its answer is read, not
/// relayed; on a 2xx the waiting request goes upstream with the `auth-response-headers`; 401
/// (or the `auth-signin` redirect) and 403 go to the client; anything else, the auth service
/// unreachable included, is 500 (ngx_http_auth_request_module).
extension ClientConnection {
    /// What the sub-request needs, built while the client's head bytes are at hand.
    struct AuthorizationRequest {
        var head: ByteBuffer
        var backend: ProxyBackend
        var policy: ExternalAuthPolicy
        var signinLocation: [UInt8]?
        /// `auth-cache-key` rendered for this request.
        var cacheKey: CredentialFingerprint?
    }

    /// The sub-request for this request, or nil when there is nowhere to send it (a `$host`
    /// URL that no route serves): then the answer is 500, as nginx's for a failed sub-request.
    mutating func authorizationRequest(_ policy: ExternalAuthPolicy, table: RouteTable, realClient: String?) -> AuthorizationRequest? {
        let generation = self.loop.generation
        return self.inbound.withUnsafeReadableBytes { bytes -> AuthorizationRequest? in
            let hostValue = (self.head.authority ?? self.head.hostValue).map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }
            let backend: ProxyBackend
            let authHost: [UInt8]?  // nil: the request's own Host
            switch policy.target {
            case .backend(let id, let host):
                backend = generation.backends[id]
                authHost = host
            case .sameHost:
                // The URL's path on the request's own host, routed through this table.
                let queryStart = policy.path.firstIndex(of: UInt8(ascii: "?")) ?? policy.path.count
                var observer = NoLookupObserver()
                let decision = policy.path.withUnsafeBytes { path in
                    RequestRouter.route(
                        table, hostValue: hostValue, path: UnsafeRawBufferPointer(rebasing: path[..<queryStart]),
                        request: PathOnlyRequest(isTLS: true, query: UnsafeRawBufferPointer(rebasing: path[queryStart...])),
                        scratch: self.loop.routing, observer: &observer)
                }
                guard case .proxy(let route, _) = decision else { return nil }
                backend = generation.backends[route.backend]
                authHost = nil
            }
            var out = ByteBufferAllocator().buffer(capacity: self.head.headLength + 512)
            let client = realClient ?? self.forwarding.peerAddress
            if let authHost {
                authHost.withUnsafeBytes { host in
                    AuthRequestWriter.write(
                        self.head, from: bytes, policy: policy, host: host, isTLS: self.isTLS, client: client,
                        requestID: self.relay.requestID, into: &out)
                }
            } else {
                AuthRequestWriter.write(
                    self.head, from: bytes, policy: policy, host: hostValue ?? UnsafeRawBufferPointer(start: nil, count: 0),
                    isTLS: self.isTLS, client: client, requestID: self.relay.requestID, into: &out)
            }
            let cacheKey = policy.cache.map { self.cacheKey($0, bytes, client: client) }
            return AuthorizationRequest(
                head: out, backend: backend, policy: policy, signinLocation: self.signinLocation(policy, bytes), cacheKey: cacheKey)
        }
    }

    /// Sends the sub-request; `main` waits. Without a place to send it (or ready endpoints), 500.
    mutating func startAuthorization(_ request: AuthorizationRequest?, main: Exchange, now: NIODeadline) {
        if let request, let key = request.cacheKey, let cached = self.loop.authVerdicts.lookup(key, now: now) {
            // A verdict `auth-cache-duration` still keeps: no sub-request.
            var authorization = Exchange.Authorization(policy: request.policy, signinLocation: request.signinLocation)
            authorization.status = cached.status
            authorization.copiedFields = cached.copiedFields
            authorization.challenge = cached.challenge
            self.pendingExchange = main
            self.authorizationEnded(authorization, now: now)
            return
        }
        guard let request, !request.backend.endpoints.isEmpty else {
            self.respondWithError(500, close: !main.body.isComplete || main.closeAfterResponse, bodyPending: !main.body.isComplete,
                                  log: main.log, now: now)
            return
        }
        // The waiting request decides how the connection ends, not the sub-request.
        let exchange = Exchange.subrequest(
            of: main, backend: request.backend, head: request.head, method: request.policy.method == Self.head ? .head : .get,
            rotationStart: request.backend.nextStart(loop: self.loop.index), closeAfterResponse: false, isHTTP11: true, now: now)
        exchange.authorization = Exchange.Authorization(policy: request.policy, signinLocation: request.signinLocation)
        exchange.authorization?.cacheKey = request.cacheKey
        self.pendingExchange = main
        self.connect(exchange, fresh: false, now: now)
        self.state = .exchange(exchange)
        self.armTimer(now: now)
    }

    /// The sub-request's answer head: what it says is kept, nothing is relayed.
    func readAuthorizationAnswer(_ headBytes: ByteBuffer, _ response: ResponseHead, into authorization: inout Exchange.Authorization) {
        authorization.status = response.status
        headBytes.withUnsafeReadableBytes { bytes in
            for field in response.fields {
                let line = UnsafeRawBufferPointer(rebasing: bytes[field.lineStart..<field.valueEnd])
                if let index = authorization.policy.responseHeadersLowercased.firstIndex(where: { UpstreamRequestWriter.isNamed(bytes, field, $0) }) {
                    guard field.valueEnd > field.valueStart else { continue }  // nginx sends no empty proxy_set_header
                    authorization.copiedFields.writeBytes(authorization.policy.responseHeaders[index])
                    authorization.copiedFields.writeStaticString(": ")
                    authorization.copiedFields.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[field.valueStart..<field.valueEnd]))
                    authorization.copiedFields.writeStaticString("\r\n")
                } else if UpstreamRequestWriter.isNamed(bytes, field, Self.setCookie) {
                    if authorization.setCookies == nil { authorization.setCookies = ByteBuffer() }
                    authorization.setCookies!.writeBytes(line)
                    authorization.setCookies!.writeStaticString("\r\n")
                } else if authorization.cacheKey != nil, UpstreamRequestWriter.isNamed(bytes, field, Self.cacheControl) {
                    let value = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[field.valueStart..<field.valueEnd]), as: UTF8.self).lowercased()
                    if value.contains("no-cache") || value.contains("no-store") || value.contains("private") { authorization.forbidsCaching = true }
                } else if UpstreamRequestWriter.isNamed(bytes, field, Self.wwwAuthenticate), authorization.challenge == nil {
                    var challenge = ByteBuffer()
                    challenge.writeBytes(line)
                    challenge.writeStaticString("\r\n")
                    authorization.challenge = challenge
                }
            }
        }
    }

    static let setCookie = Array("set-cookie".utf8)
    static let head = Array("HEAD".utf8)
    static let wwwAuthenticate = Array("www-authenticate".utf8)
    static let cacheControl = Array("cache-control".utf8)

    /// The fingerprint of `auth-cache-key` rendered for this request, in its zone. Each part
    /// is written with its length, so `$a$b` of ("ab", "") and ("a", "b") differ.
    func cacheKey(_ cache: AuthCachePolicy, _ bytes: UnsafeRawBufferPointer, client: String) -> CredentialFingerprint {
        var key = cache.zone
        func append<C: Collection>(_ part: C) where C.Element == UInt8 {
            key.append(contentsOf: String(part.count).utf8)
            key.append(UInt8(ascii: ":"))
            key.append(contentsOf: part)
        }
        func range(_ range: Range<Int>?) { append(range.map { bytes[$0] } ?? bytes[0..<0]) }
        for part in cache.key.parts {
            switch part {
            case .text(let text): append(text)
            case .header(let name): range(self.fieldValue(named: name, in: bytes))
            case .cookie(let name): range(self.cookieValue(named: name, in: bytes))
            case .authorization: range(self.fieldValue(named: Self.authorizationName, in: bytes))
            case .remoteAddress: append(client.utf8)
            case .host: range(self.head.authority ?? self.head.hostValue)
            case .requestURI: range(self.head.targetStart..<self.head.targetEnd)
            case .uri: range(self.head.targetStart..<self.head.pathEnd)
            case .args: range(self.head.pathEnd < self.head.targetEnd ? (self.head.pathEnd + 1)..<self.head.targetEnd : nil)
            case .scheme: append((self.isTLS ? "https" : "http").utf8)
            }
        }
        return key.withUnsafeBytes { CredentialFingerprint($0) }
    }

    static let authorizationName = Array("authorization".utf8)

    /// The sub-request's answer is complete: the verdict.
    mutating func authorizationEnded(_ authorization: Exchange.Authorization, now: NIODeadline) {
        if let key = authorization.cacheKey, let cache = authorization.policy.cache {
            self.loop.authVerdicts.store(authorization, key: key, policy: cache, now: now)
        }
        guard let main = self.pendingExchange else { return }
        self.pendingExchange = nil
        let close = !main.body.isComplete || main.closeAfterResponse
        var log = main.log
        if authorization.policy.alwaysSetCookie, let cookies = authorization.setCookies {
            log.answerFields = Self.joined(log.answerFields, cookies)
        }
        switch authorization.status {
        case 200..<300:
            if authorization.copiedFields.readableBytes > 0 {
                // The head ends with CRLF CRLF: the copied fields go before the last CRLF.
                var head = main.upstreamRequestHead.getSlice(at: main.upstreamRequestHead.readerIndex, length: main.upstreamRequestHead.readableBytes - 2)!
                head.writeImmutableBuffer(authorization.copiedFields)
                head.writeStaticString("\r\n")
                main.upstreamRequestHead = head
            }
            if let cookies = authorization.setCookies, !authorization.policy.alwaysSetCookie { main.addedFields = cookies }
            main.log = log
            main.lastClientActivity = now
            self.startExchange(main, now: now)
            self.setReading(true, now: now)
        case 401 where authorization.policy.signin != nil:
            // error_page 401 = the sign-in location: 302 there, with the auth answer's cookies.
            if !authorization.policy.alwaysSetCookie, let cookies = authorization.setCookies { log.answerFields = Self.joined(log.answerFields, cookies) }
            let hsts = self.ownAnswersCarryHSTS
            self.respond(
                self.loop.generation.answers.redirect(status: 302, location: authorization.signinLocation ?? [], close: close, hsts: hsts), status: 302,
                close: close, bodyPending: !main.body.isComplete, log: log, now: now)
        case 401, 403:
            let challenge = authorization.status == 401 ? authorization.challenge.map { Array($0.readableBytesView) } : nil
            self.respondWithError(
                authorization.status, close: close, bodyPending: !main.body.isComplete, log: log, extraField: challenge, now: now)
        default:
            self.respondWithError(500, close: close, bodyPending: !main.body.isComplete, log: log, now: now)
        }
        if self.state.isIdle { self.processInbound(now: now) }  // a request pipelined behind a refused one
    }

    /// The sub-request failed (no endpoint answered in time): 500, as nginx's `auth_request`.
    mutating func authorizationFailed(now: NIODeadline) {
        guard let main = self.pendingExchange else { return }
        self.pendingExchange = nil
        self.respondWithError(
            500, close: !main.body.isComplete || main.closeAfterResponse, bodyPending: !main.body.isComplete, log: main.log, now: now)
    }

    static func joined(_ first: ByteBuffer?, _ second: ByteBuffer) -> ByteBuffer {
        guard var first else { return second }
        first.writeImmutableBuffer(second)
        return first
    }

    /// `auth-signin` expanded for this request.
    func signinLocation(_ policy: ExternalAuthPolicy, _ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let signin = policy.signin else { return nil }
        let hostValue = (self.head.authority ?? self.head.hostValue).map { Array(bytes[$0]) } ?? []
        let requestURI = bytes[self.head.targetStart..<self.head.targetEnd]
        var out: [UInt8] = []
        for part in signin.parts {
            switch part {
            case .text(let text): out += text
            case .host:
                let range = hostValue.withUnsafeBytes { HostBytes.hostRange(of: $0) } ?? 0..<hostValue.count
                out += hostValue[range].map(HostBytes.lower)
            case .httpHost: out += hostValue
            case .scheme: out += (self.isTLS ? "https" : "http").utf8
            case .requestURI: out += requestURI
            case .escapedRequestURI: Self.escapeURIComponent(requestURI, into: &out)
            }
        }
        return out
    }

    /// nginx's `set_escape_uri` (ngx_escape_uri, NGX_ESCAPE_ARGS-like): every byte but
    /// unreserved characters percent-encoded, so `/a?b=c` becomes `%2Fa%3Fb%3Dc`.
    static func escapeURIComponent(_ bytes: some Collection<UInt8>, into out: inout [UInt8]) {
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in bytes {
            if byte.isASCIIUnreservedURIByte {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
    }
}

extension UInt8 {
    /// RFC 3986 §2.3 unreserved: letters, digits, `-._~`.
    var isASCIIUnreservedURIByte: Bool {
        (self >= 48 && self <= 57) || (self >= 65 && self <= 90) || (self >= 97 && self <= 122) || self == 45 || self == 46 || self == 95
            || self == 126
    }
}
