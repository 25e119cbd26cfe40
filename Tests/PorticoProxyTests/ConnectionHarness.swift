import NIOCore
import NIOEmbedded
import PorticoRouting
import PorticoTLS
import Testing

@testable import PorticoProxy

/// Drives one `ClientConnection` without sockets: events in, its actions out as short lines
/// (`connect 10.0.0.1:80 pooled`, `write HTTP/1.1 200 OK`, `up: GET / HTTP/1.1`, …), with a
/// clock the test moves.
final class ConnectionHarness {
    static let certificates = try! CertificateStore.build(bindings: [], defaultCertificate: nil, options: TLSOptions()).store

    let loop: LoopContext
    var machine: ClientConnection
    var now = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
    /// The latest connect action's attempt token and endpoint.
    var token = 0
    var endpoint = ""
    /// Everything written to the client so far.
    var written = ""
    /// Everything written to upstreams so far.
    var upstreamBytes = ""
    /// Everything written to mirror copies so far.
    var mirrorBytes = ""

    /// `proxy-request-buffering: off`: a body goes upstream as it arrives (the tests of
    /// streaming, back-pressure and mid-body timeouts).
    static let streaming: RoutePolicy = {
        var policy = RoutePolicy()
        policy.bufferedBodyLimit = 0
        return policy
    }()

    init(
        policy: RoutePolicy = RoutePolicy(), endpoints: Int = 2, configuration: ProxyConfiguration = ProxyConfiguration(),
        settings: ServerSettings = .defaults
    ) {
        let route = Route(
            match: .prefix("/"), backend: 0, source: RouteSource(ingress: "default/app", kind: .rule(ruleIndex: 0, pathIndex: 0)),
            policy: policy)
        let host = try! HostPattern.parse("app.test").get()
        let table = RouteTable(hosts: [(host, VirtualHost(name: "app.test", routes: [route], fallback: nil))], anyHost: nil, defaultRoute: nil)
        let backend = Backend(
            ref: BackendRef(namespace: "default", service: "app", port: .number(80)),
            endpoints: (0..<endpoints).map { Endpoint(address: "10.0.0.\($0 + 1)", port: 80) })
        let generation = Generation(
            number: 1, snapshot: RoutingSnapshot(routes: table, backends: [backend], settings: settings), certificates: Self.certificates,
            previous: nil, configuration: configuration)
        self.loop = LoopContext(eventLoop: EmbeddedEventLoop(), generation: generation, accessLog: nil)
        self.machine = ClientConnection(loop: self.loop, isTLS: false)
        self.machine.start(
            forwarding: ForwardingContext(peerAddress: "192.0.2.7", peerBytes: [192, 0, 2, 7], listenerPort: 80), inbound: ByteBuffer(),
            now: self.now)
        _ = self.drain()
    }

    /// The actions queued so far, as lines; timer requests are left out unless asked for.
    func drain(timers: Bool = false) -> [String] {
        var lines: [String] = []
        var batch: [ConnectionAction] = []
        self.machine.takeActions(into: &batch)
        for action in batch {
            let line = self.describe(action)
            if timers || !line.hasPrefix("timer") { lines.append(line) }
        }
        return lines
    }

    func describe(_ action: ConnectionAction) -> String {
        func text(_ buffer: ByteBuffer) -> String {
            let string = String(buffer: buffer)
            return string.split(separator: "\r\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? string
        }
        switch action {
        case .write(let buffer):
            self.written += String(buffer: buffer)
            return "write " + text(buffer)
        case .flush: return "flush"
        case .setReading(let on): return on ? "read on" : "read off"
        case .lingeringClose: return "linger"
        case .closeAfterFlush: return "close after flush"
        case .close: return "close"
        case .schedule(let deadline): return "timer +\((deadline - self.now).nanoseconds / 1_000_000_000)s"
        case .connect(let endpoint, let token, let pooled, _, _):
            self.token = token
            self.endpoint = endpoint.display
            return "connect \(endpoint.display) \(pooled ? "pooled" : "fresh")"
        case .upstreamBegin(_, _, let upgrade): return upgrade ? "begin upgrade" : "begin"
        case .upstreamWrite(let buffer):
            self.upstreamBytes += String(buffer: buffer)
            return "up: " + text(buffer)
        case .upstreamFlush: return "up flush"
        case .upstreamSetReading(let on): return on ? "up read on" : "up read off"
        case .upstreamRelease: return "release"
        case .upstreamClose: return "up close"
        case .switchToHTTP2(let buffer): return "http2 \(buffer.readableBytes) bytes"
        case .mirrorBegin(let endpoint, let head, _, let streamsBody):
            self.mirrorBytes += String(buffer: head)
            return "mirror \(endpoint.display): " + text(head) + (streamsBody ? "" : " (whole)")
        case .mirrorWrite(let buffer):
            self.mirrorBytes += String(buffer: buffer)
            return "mirror: " + text(buffer)
        case .mirrorEnd: return "mirror end"
        case .mirrorCancel: return "mirror cancel"
        }
    }

    // MARK: - Events

    func receive(_ text: String) -> [String] {
        self.machine.received(ByteBuffer(string: text), now: self.now)
        return self.drain()
    }

    func connected(reused: Bool = false, writable: Bool = true) -> [String] {
        let attached = self.machine.upstreamConnected(token: self.token, reused: reused, writable: writable, now: self.now)
        #expect(attached)
        return self.drain()
    }

    func connectFailed(timedOut: Bool = false) -> [String] {
        self.machine.upstreamConnectFailed(token: self.token, timedOut: timedOut, now: self.now)
        return self.drain()
    }

    /// An upstream answer: its head, then the rest as body bytes. Returns whether the head was
    /// relayed, and the actions.
    @discardableResult
    func respond(_ text: String, method: RequestHead.Method = .get) -> (relayed: Bool, actions: [String]) {
        var buffer = ByteBuffer(string: text)
        var head = ResponseHead()
        let result = buffer.withUnsafeReadableBytes { ResponseHeadParser.parse($0, requestMethod: method, into: &head) }
        guard case .complete = result else {
            Issue.record("test answer does not parse: \(result)")
            return (false, [])
        }
        let headBytes = buffer.readSlice(length: head.headLength)!
        let relayed = self.machine.upstreamResponseHead(headBytes, head, now: self.now)
        if relayed, buffer.readableBytes > 0 { self.machine.upstreamResponseBody(buffer) }
        return (relayed, self.drain())
    }

    func readComplete() -> [String] {
        self.machine.upstreamReadComplete(now: self.now)
        return self.drain()
    }

    func end(reusable: Bool = true) -> [String] {
        self.machine.upstreamResponseEnd(reusable: reusable, now: self.now)
        return self.drain()
    }

    func upstreamFailed(_ failure: UpstreamFailure) -> [String] {
        self.machine.upstreamFailed(failure, now: self.now)
        return self.drain()
    }

    func advance(_ amount: TimeAmount) -> [String] {
        self.now = self.now + amount
        self.machine.timerFired(now: self.now)
        return self.drain()
    }

    var isIdle: Bool { self.machine.state.isIdle }

    var isClosing: Bool {
        if case .closing = self.machine.state { true } else { false }
    }

    var isTunnel: Bool {
        if case .tunnel = self.machine.state { true } else { false }
    }

    static let get = "GET / HTTP/1.1\r\nHost: app.test\r\n\r\n"
    static let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
}
