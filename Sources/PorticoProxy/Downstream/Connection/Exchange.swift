import NIOCore
import PorticoPasswords
import PorticoRouting

/// What an access-log line says of an answer, whoever made it.
struct AnswerLog {
    var requestStart: NIODeadline
    /// Fields every answer to this request carries, the upstream's or the proxy's own: the
    /// route's CORS fields when its policy allows the request's Origin. Nil for most requests.
    var answerFields: ByteBuffer?
    /// The Ingress of the route, once one was found.
    var routeName: String?
    /// The route's labels in the request metrics, and the request's method.
    var metricLabels: RouteMetricLabels?
    var method = RequestHead.Method.other
    /// The canary's upstream name when the canary was chosen (the `canary` label).
    var canary: String?
    /// `enable-access-log: "false"` on the route: the log phase skips this request.
    var skipsAccessLog = false
    /// `opentelemetry-operation-name` on a traced route (kept here, not in the trace, so the
    /// per-request counters stay plain values).
    var spanName: String?
    var endpoint: ProxyEndpoint?
    var status = 0
    var bytesSent = 0
    /// The attempts before the last, when a retry moved on (nginx lists each in
    /// `$upstream_addr`, `$upstream_status` and the upstream times, `, ` between them). Nil for
    /// the usual single attempt.
    var earlierAttempts: [UpstreamAttempt]?
}

/// One upstream attempt that did not give the answer: what the access log says of it.
struct UpstreamAttempt {
    let address: String
    /// The upstream's status, or the 502/504 the failure counts as.
    let status: Int
    let connectNanoseconds: Int64?
    let headerNanoseconds: Int64?
    let responseNanoseconds: Int64?
    let responseLength: Int
}

/// The running counters of the answer being relayed (the current exchange's or tunnel's),
/// kept beside the state rather than in it: they change with every chunk relayed, and keeping
/// them here spares copying the exchange out of the state and back per chunk.
/// They also keep what the log phase reports of the upstream: the last attempt's timing
/// (nginx's `$upstream_connect_time`, `$upstream_header_time`, `$upstream_response_time` count
/// from the attempt's start) and the lengths.
struct RelayCounters {
    static let never = NIODeadline.uptimeNanoseconds(0)
    /// Bytes written to the client for this answer.
    var bytesSent = 0
    /// When the upstream last sent bytes, or took the last of the request
    /// (`proxy-read-timeout` counts from here).
    var lastUpstreamActivity = RelayCounters.never
    /// This request's ID (`X-Request-ID` upstream unless the client sent one, `$req_id`).
    var requestID = RequestID()
    /// nginx's `$request_length`: the head's bytes, then the body's as they are read.
    var requestLength = 0
    /// Body bytes the upstream sent (`$upstream_response_length`), and its status.
    var upstreamBodyBytes = 0
    var upstreamStatus = 0
    /// The answer head's bytes (`$body_bytes_sent` is `$bytes_sent` less these).
    var answerHeadBytes = 0
    /// When the last upstream attempt began, connected and sent its head (`never`: not yet).
    var upstreamStart = RelayCounters.never
    var upstreamConnected = RelayCounters.never
    var upstreamHeader = RelayCounters.never
    /// The request's trace, on a traced route (its `traceparent` upstream, its span at the end).
    var trace: TraceContext?

    mutating func attemptStarted(_ now: NIODeadline) {
        self.upstreamStart = now
        self.upstreamConnected = Self.never
        self.upstreamHeader = Self.never
        self.upstreamStatus = 0
        self.upstreamBodyBytes = 0
    }

    /// The last attempt's span from its start to `end`, nil if it never reached `end`.
    func sinceAttemptStart(_ end: NIODeadline) -> Int64? {
        end == Self.never || self.upstreamStart == Self.never ? nil : (end - self.upstreamStart).nanoseconds
    }

    /// `$upstream_connect_time`, `$upstream_header_time`; `$upstream_response_time` for an
    /// answer ending at `end` (nil: no upstream tried).
    var connectNanoseconds: Int64? { self.sinceAttemptStart(self.upstreamConnected) }
    var headerNanoseconds: Int64? { self.sinceAttemptStart(self.upstreamHeader) }
    func responseNanoseconds(endingAt end: NIODeadline) -> Int64? { self.sinceAttemptStart(end) }
}

/// The body of the request being forwarded, as far as it has been read.
enum RequestBody {
    case none
    case length(remaining: Int)
    case chunked(ChunkedDecoder)
    case complete

    var isComplete: Bool {
        switch self {
        case .none, .complete: true
        case .length, .chunked: false
        }
    }
}

/// One routed request and its upstream attempts: the data of `ClientConnection.State.exchange`.
/// Built whole by the route and access phases; nothing in it outlives the exchange.
///
/// A reference owned by the state alone (and, while an `auth-url` sub-request runs, by
/// `ClientConnection.pendingExchange`): an event changes it in place. As a value, every event
/// copied its ~45 fields out of the state enum and back, a retain and a release for each of the
/// dozen references among them (the profile's `State` outlined copies, `memmove` and a third
/// of its retain/release); one allocation per request is cheaper.
final class Exchange {
    /// Where the upstream side stands.
    enum Upstream {
        /// A connection for attempt `token` is being taken from the pool or opened.
        case connecting(token: Int)
        /// A connection carries the request; `reused`: it came from the pool (a failure before
        /// any response byte may then be a stale keep-alive connection, safe to retry).
        case attached(reused: Bool)
        /// The attempt's connection failed and is gone; a retry or an answer follows.
        case none

        var isAttached: Bool {
            if case .attached = self { true } else { false }
        }

        var isConnecting: Bool {
            if case .connecting = self { true } else { false }
        }
    }

    var upstream: Upstream
    var log: AnswerLog
    let backend: ProxyBackend
    /// The request head as sent upstream (rewritten target, forwarding fields); the auth
    /// answer's `auth-response-headers` are added to it before it goes.
    var upstreamRequestHead: ByteBuffer
    /// The answer head Portico rewrote for the client, handed back with the request head to
    /// the loop's spare buffers when the exchange ends.
    var answerHead: ByteBuffer?
    var body: RequestBody
    /// The route's `proxy-body-size` (nil: unlimited), and the chunked body bytes seen so far.
    let maxBodySize: Int?
    var bodyBytesSeen = 0
    /// `proxy-request-buffering`: the body bytes to hold before the upstream is connected (the
    /// whole declared body when it fits the route's `client-body-buffer-size`); 0 once they
    /// are here, or when the body streams.
    var bufferedBody = 0
    /// The route's upstream timeouts, else the server's.
    let connectTimeout: TimeAmount
    let readTimeout: TimeAmount
    let sendTimeout: TimeAmount
    /// Since when the upstream has not been taking request body bytes (nil: it is).
    var sendBlockedSince: NIODeadline?
    var upstreamWritable = true
    /// `upstream-hash-by` or ClientIP affinity: the hash that picks the endpoint.
    let affinityHash: UInt64?
    /// Cookie affinity: the route's settings and the endpoint the request's cookie named.
    let cookieAffinity: CookieAffinity?
    let cookieEndpoint: ProxyEndpoint?
    /// `affinity-mode: balanced` without a cookie in the request: the new random key that
    /// chose `cookieEndpoint`, set as the cookie with the answer.
    var affinityKey: [UInt8]?
    /// `session-cookie-conditional-samesite-none` and a browser that rejects `SameSite=None`.
    var omitsSameSiteNone = false
    /// The route's `proxy-next-upstream*`.
    let retryPolicy: RetryPolicy
    /// `load-balance: ewma`, and when the current attempt started.
    let ewma: Bool
    var attemptStart: NIODeadline
    let rotationStart: Int
    /// Attempts counted against `proxy-next-upstream-tries` so far, minus one.
    var attempt = 0
    /// Body bytes went upstream (they are gone from the buffer: the request cannot be re-sent).
    var bodyStreamed = false
    /// Part of the answer went to the client (no retry and no own answer any more).
    var responseStarted = false
    let keepAlive: Bool
    var closeAfterResponse: Bool
    /// When the client last sent body bytes (`client_body_timeout`).
    var lastClientActivity: NIODeadline
    /// `--client-body-min-rate` over the body being read.
    var bodyRate: BodyRateGuard
    let isIdempotent: Bool
    let isHTTP11: Bool
    /// The route's `proxy-redirect-from`/`-to`.
    var locationRewrite: LocationRewrite?
    /// The route's snippet header policy (upstream fields it replaces or clears).
    var headers: HeaderPolicy?
    /// The route's CORS fields are on this answer: the upstream's are not relayed.
    var dropsUpstreamCORS = false
    /// A sub-request (auth, error page) sends its own method instead of the client's.
    var subrequestMethod: RequestHead.Method?
    /// Set on an `auth-url` sub-request: what its answer said so far.
    var authorization: Authorization?
    /// Fields added to the upstream's answer head: the auth answer's `Set-Cookie` (nginx
    /// `add_header`, so on 2xx/3xx answers only).
    var addedFields: ByteBuffer?

    /// `custom-http-errors`: where an answer with one of the codes is replaced from.
    var errorPages: ErrorPages?

    struct ErrorPages {
        let policy: ErrorPagePolicy
        let backend: ProxyBackend
        /// The client's head bytes (a slice of the read buffer, not a copy).
        let clientHead: ByteBuffer
        let client: String
    }

    /// The state of an `auth-url` sub-request.
    struct Authorization {
        let policy: ExternalAuthPolicy
        /// `auth-signin`, expanded for this request.
        let signinLocation: [UInt8]?
        var status = 0
        /// `auth-response-headers` found in the answer, as `Name: value` lines.
        var copiedFields = ByteBuffer()
        var setCookies: ByteBuffer?
        var challenge: ByteBuffer?
        /// `auth-cache-key` rendered for this request (its fingerprint), when the route caches.
        var cacheKey: CredentialFingerprint?
        /// The answer said `Cache-Control: no-cache`, `no-store` or `private`.
        var forbidsCaching = false
    }

    init(
        upstream: Upstream, log: AnswerLog, backend: ProxyBackend, upstreamRequestHead: ByteBuffer, body: RequestBody,
        maxBodySize: Int?, connectTimeout: TimeAmount, readTimeout: TimeAmount, sendTimeout: TimeAmount, affinityHash: UInt64?,
        cookieAffinity: CookieAffinity?, cookieEndpoint: ProxyEndpoint?, retryPolicy: RetryPolicy, ewma: Bool,
        attemptStart: NIODeadline, rotationStart: Int, keepAlive: Bool, closeAfterResponse: Bool, lastClientActivity: NIODeadline,
        bodyRate: BodyRateGuard, isIdempotent: Bool, isHTTP11: Bool
    ) {
        self.upstream = upstream
        self.log = log
        self.backend = backend
        self.upstreamRequestHead = upstreamRequestHead
        self.body = body
        self.maxBodySize = maxBodySize
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.sendTimeout = sendTimeout
        self.affinityHash = affinityHash
        self.cookieAffinity = cookieAffinity
        self.cookieEndpoint = cookieEndpoint
        self.retryPolicy = retryPolicy
        self.ewma = ewma
        self.attemptStart = attemptStart
        self.rotationStart = rotationStart
        self.keepAlive = keepAlive
        self.closeAfterResponse = closeAfterResponse
        self.lastClientActivity = lastClientActivity
        self.bodyRate = bodyRate
        self.isIdempotent = isIdempotent
        self.isHTTP11 = isHTTP11
    }

    /// A sub-request on behalf of `original` (`auth-url`, an error page): no body, idempotent,
    /// the original's timeouts, tries and answer log, its own method and backend.
    static func subrequest(
        of original: Exchange, backend: ProxyBackend, head: ByteBuffer, method: RequestHead.Method, rotationStart: Int,
        closeAfterResponse: Bool, isHTTP11: Bool, now: NIODeadline
    ) -> Exchange {
        let exchange = Exchange(
            upstream: .none, log: original.log, backend: backend, upstreamRequestHead: head, body: .none, maxBodySize: nil,
            connectTimeout: original.connectTimeout, readTimeout: original.readTimeout, sendTimeout: original.sendTimeout,
            affinityHash: nil, cookieAffinity: nil, cookieEndpoint: nil, retryPolicy: RetryPolicy(maxTries: original.retryPolicy.maxTries),
            ewma: false, attemptStart: now, rotationStart: rotationStart, keepAlive: original.keepAlive,
            closeAfterResponse: closeAfterResponse, lastClientActivity: now, bodyRate: .disabled, isIdempotent: true, isHTTP11: isHTTP11)
        exchange.subrequestMethod = method
        return exchange
    }

    /// `load-balance: ewma`: the attempt is over; it leaves its endpoint's queue and its time
    /// (a failure's too) feeds the endpoint's latency estimate.
    func recordAttemptEnd(now: NIODeadline) {
        guard self.ewma, let endpoint = self.log.endpoint else { return }
        endpoint.load.finished(latency: now - self.attemptStart, now: now)
    }
}

/// After a 101 answer: the data of `ClientConnection.State.tunnel`. A reference, as the
/// exchange is: inline, its answer log made every connection's state ~150 bytes, idle or not.
final class Tunnel {
    let log: AnswerLog
    var lastClientActivity: NIODeadline
    /// A tunnel idle both ways this long is closed (ingress-nginx closes idle WebSockets after
    /// `proxy-read-timeout`).
    let idleTimeout: TimeAmount

    init(log: AnswerLog, lastClientActivity: NIODeadline, idleTimeout: TimeAmount) {
        self.log = log
        self.lastClientActivity = lastClientActivity
        self.idleTimeout = idleTimeout
    }
}
