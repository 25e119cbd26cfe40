import Logging
import NIOCore
import PorticoRouting

/// State that belongs to one event loop: its view of the current generation, its upstream
/// pool, and scratch space. Only ever touched on its loop, so nothing here takes a lock.
final class LoopContext {
    let eventLoop: any EventLoop
    /// This loop's index in the group (its round-robin slot in every backend).
    let index: Int
    var generation: Generation {
        didSet {
            self.pool.generationChanged()
            guard self.generation.configuration != self.configuration else { return }
            self.configuration = self.generation.configuration
            self.clientReadBuffers = self.configuration.clientReadBuffers
            self.shortestTimeout = self.configuration.shortestTimeout
            self.pool.configure(self.configuration)
        }
    }
    let pool: UpstreamPool
    /// The settings in force: the current generation's, kept here so the many reads per request
    /// go to this object's own storage (no generation reference taken and dropped each time).
    private(set) var configuration: ProxyConfiguration
    /// Each accepted connection's read-buffer sizing (from `configuration`, worked out once).
    private(set) var clientReadBuffers: AdaptiveRecvByteBufferAllocator
    /// The configuration's shortest timeout, read at every timer check: a computed property of
    /// the configuration would copy the whole struct each time.
    private(set) var shortestTimeout: TimeAmount
    let accessLog: AccessLogWriter?
    var requestIDs: RequestIDGenerator
    /// Routing scratch (normalised path, captures, rewritten target), reused by every request.
    /// Head buffers of finished exchanges, reused for the next heads.
    var spareHeads = SpareHeadBuffers()
    /// The emptied array connection handlers carry their machines' actions out of, lent to one
    /// handler at a time (`takeActionBatch`), so connections do not each keep one.
    private var spareActionBatch: [ConnectionAction] = []

    func takeActionBatch() -> [ConnectionAction] {
        var batch: [ConnectionAction] = []
        swap(&batch, &self.spareActionBatch)
        return batch
    }

    func returnActionBatch(_ batch: [ConnectionAction]) {
        if batch.capacity > self.spareActionBatch.capacity { self.spareActionBatch = batch }
    }
    let routing = RoutingScratch()
    /// Recent basic-authentication verdicts, so a bcrypt hash is not computed per request.
    var credentials = CredentialCache()
    /// Recent `auth-url` verdicts of routes with `auth-cache-key`.
    var authVerdicts = AuthVerdictCache()
    /// This loop's request metrics (`/metrics` adds every loop's up).
    var metrics = RequestMetrics()
    /// This loop's `portico_*` counters.
    var counters = ProxyCounters()
    /// Sampled spans waiting for the exporter (`ProxyRuntime.takeSpans`), and how many were
    /// dropped because the queue (`otel-max-queuesize`) was full.
    var spans: [SpanRecord] = []
    var spansDropped: UInt64 = 0
    /// Requests begun on this loop (`nginx_process_requests_total`).
    var requestsTotal: UInt64 = 0
    /// The `Date` field of the proxy's own answers, rendered once a second.
    var date = HTTPDate()
    /// Open client connections, so shutdown can ask each to finish its exchange and close, and
    /// wake-ups find their connection.
    var connections: [ObjectIdentifier: ProxyConnectionHandler] = [:]
    /// Open HTTP/2 connections (their streams are in `connections`, one handler each).
    var http2Connections: [ObjectIdentifier: HTTP2ConnectionTracker] = [:]
    /// The forwarding fields of each listener (by port and scheme), built once.
    private var listenerFields: [Int: [UInt8]] = [:]
    /// Numbers the connections accepted on this loop (a wake-up names its connection by both).
    var connectionSerials: UInt64 = 0
    /// Every connection's wake-ups, behind one NIO task at the next one due.
    var timers: TimerWheel
    private var tick: Scheduled<Void>?
    private var tickAt: NIODeadline?
    private var dueTimers: [TimerWheel.Entry] = []
    /// Connections refused since the last "limit reached" log line, and when it was written.
    var refusedConnections = 0
    var lastRefusalLog = NIODeadline.uptimeNanoseconds(0)
    var isQuiescing = false
    /// Upstream answers that came before their request body was complete, since the last log line.
    var earlyAnswers = 0
    var lastEarlyAnswerLog = NIODeadline.uptimeNanoseconds(0)
    let logger = Logger(label: "portico.proxy")

    /// `limit-rps`/`limit-rpm` state, one table shared by every loop (atomics, no lock).
    let rateLimiter: RequestRateLimiter

    init(
        eventLoop: any EventLoop, index: Int = 0, generation: Generation, accessLog: AccessLogWriter?,
        rateLimiter: RequestRateLimiter = RequestRateLimiter()
    ) {
        self.eventLoop = eventLoop
        self.rateLimiter = rateLimiter
        self.index = index
        self.generation = generation
        self.configuration = generation.configuration
        self.clientReadBuffers = generation.configuration.clientReadBuffers
        self.shortestTimeout = generation.configuration.shortestTimeout
        self.pool = UpstreamPool(configuration: generation.configuration)
        self.accessLog = accessLog
        self.requestIDs = RequestIDGenerator()
        self.timers = TimerWheel(now: .now())
    }
}

extension LoopContext {
    /// The `X-Forwarded-Port/-Proto/-Scheme` fields of a listener, built on its first connection.
    func forwardingFields(port: Int, tls: Bool) -> [UInt8] {
        let key = port << 1 | (tls ? 1 : 0)
        if let fields = self.listenerFields[key] { return fields }
        let fields = ForwardingContext.listenerFields(port: port, scheme: tls ? "https" : "http")
        self.listenerFields[key] = fields
        return fields
    }

    /// Wakes `connection` at `deadline` (or up to one wheel tick later). Must be called on the loop.
    func wake(_ connection: ProxyConnectionHandler, at deadline: NIODeadline) {
        self.timers.add(TimerWheel.Entry(connection: ObjectIdentifier(connection), serial: connection.serial, deadline: deadline))
        let due = self.timers.wakeTime(for: deadline)
        if let tickAt = self.tickAt, tickAt <= due { return }
        self.schedule(at: due)
    }

    private func schedule(at deadline: NIODeadline) {
        self.tick?.cancel()  // the loop's only task of its kind: cancelling it is cheap
        self.tickAt = deadline
        self.tick = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { self.runTimers() }
    }

    private func runTimers() {
        self.tick = nil
        self.tickAt = nil
        let now = NIODeadline.now()
        var due: [TimerWheel.Entry] = []
        swap(&due, &self.dueTimers)
        self.timers.expire(now: now, into: &due)
        for entry in due {
            guard let connection = self.connections[entry.connection], connection.serial == entry.serial else { continue }
            connection.timerFired(deadline: entry.deadline, now: now)
        }
        due.removeAll(keepingCapacity: true)
        self.dueTimers = due
        if let next = self.timers.nextWake, self.tickAt.map({ next < $0 }) ?? true { self.schedule(at: next) }
    }
}

extension LoopContext {
    /// Whether a new client connection fits under `maxConnectionsPerLoop`. A refusal is
    /// logged at most once a second, with how many were refused, so a flood cannot flood the log.
    func admitConnection(logger: Logger) -> Bool {
        guard self.connections.count + self.http2Connections.count >= self.configuration.maxConnectionsPerLoop else { return true }
        self.refusedConnections += 1
        let now = NIODeadline.now()
        if now - self.lastRefusalLog >= .seconds(1) {
            logger.warning(
                "connection limit reached: \(self.connections.count) open on this event loop (--max-worker-connections); refused \(self.refusedConnections)")
            self.refusedConnections = 0
            self.lastRefusalLog = now
        }
        return false
    }
}

extension LoopContext {
    /// An upstream answered before its request body was complete: that client connection is
    /// answered with `Connection: close` and closed after a lingering drain. Logged at most once
    /// a second, with the count.
    func noteEarlyAnswer() {
        self.earlyAnswers += 1
        let now = NIODeadline.now()
        guard now - self.lastEarlyAnswerLog >= .seconds(1) else { return }
        self.logger.notice(
            "\(self.earlyAnswers) upstream answer(s) came before the request body was complete; each was sent with Connection: close and its client connection closed after a lingering drain")
        self.earlyAnswers = 0
        self.lastEarlyAnswerLog = now
    }
}

@available(*, unavailable)
extension LoopContext: Sendable {}

extension LoopContext {
    /// This loop's part of a scrape.
    func metricsCopy() -> LoopMetrics {
        var copy = LoopMetrics(routes: self.metrics.routes, accepted: self.connectionSerials, requests: self.requestsTotal, proxy: self.counters)
        for connection in self.connections.values {
            switch connection.statusState {
            case .reading: copy.reading += 1
            case .writing: copy.writing += 1
            case .waiting: copy.waiting += 1
            }
        }
        return copy
    }
}
