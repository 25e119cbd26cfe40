import NIOCore

/// What the connection state machine asks of the channel side. The thin `ChannelHandler`s carry
/// them out, in order, after the event that produced them has returned (so carrying one out may
/// feed a new event in without re-entering the machine mid-change).
enum ConnectionAction {
    /// Write to the client (flushed by a later `.flush`).
    case write(ByteBuffer)
    case flush
    /// Client reads on or off (back-pressure).
    case setReading(Bool)
    /// Flush, then close like nginx's `lingering_close`: shut the write side, keep reading and
    /// discarding what the client still sends, close when it closes or after a while. Only when
    /// the client may still be sending (a body not read, bytes not consumed): closing then
    /// would make the kernel answer with RST and destroy the answer before it is read.
    case lingeringClose
    /// Flush, then close (nothing more is expected from the client).
    case closeAfterFlush
    /// Close at once.
    case close
    /// The client sent the HTTP/2 connection preface on the plain port (prior knowledge, RFC
    /// 9113 §3.3): the connection becomes an HTTP/2 one, these bytes its first.
    case switchToHTTP2(ByteBuffer)
    /// Wake the machine with `timerFired` at this moment (replacing any wake-up pending).
    case schedule(NIODeadline)

    /// Get a connection to `endpoint` for attempt `token`: an idle pooled one if `pooled` (one
    /// idle for less than `maxIdle` when given), else a new one within `timeout`. The result
    /// comes back as `upstreamConnected` or `upstreamConnectFailed`.
    case connect(ProxyEndpoint, token: Int, pooled: Bool, maxIdle: TimeAmount?, timeout: TimeAmount)
    /// Start an exchange on the attached upstream connection.
    case upstreamBegin(method: RequestHead.Method, dechunk: Bool, upgrade: Bool)
    case upstreamWrite(ByteBuffer)
    case upstreamFlush
    case upstreamSetReading(Bool)
    /// Detach the upstream connection and park it in the pool (its exchange ended cleanly).
    case upstreamRelease
    /// Detach the upstream connection and close it.
    case upstreamClose

    /// Open one of a request's mirror copies (`RequestMirror`) to `endpoint`, starting with
    /// `head`. With `streamsBody`, the body follows as `mirrorWrite`s to every such copy, then
    /// `mirrorEnd`, or `mirrorCancel` when the request is cut short; without, the head is the
    /// whole copy. The copies' answers are not waited for.
    case mirrorBegin(ProxyEndpoint, head: ByteBuffer, timeout: TimeAmount, streamsBody: Bool)
    case mirrorWrite(ByteBuffer)
    case mirrorEnd
    case mirrorCancel
}

/// The machine's outbox, first in, first out. It is handed over whole (`take`), swapping in the
/// caller's emptied batch, so the two arrays' storage is reused and steady-state requests
/// allocate nothing here.
struct ActionQueue {
    private var items: [ConnectionAction] = []

    mutating func append(_ action: ConnectionAction) {
        self.items.append(action)
    }

    mutating func reserveCapacity(_ count: Int) {
        self.items.reserveCapacity(count)
    }

    /// Every queued action into `batch` (which must be empty): one access to the machine per
    /// batch instead of one per action.
    mutating func take(into batch: inout [ConnectionAction]) {
        swap(&self.items, &batch)
    }
}
