import NIOCore

/// Below swift-nio-http2's frame handler: a flush is carried out once the event loop has
/// handled the I/O of its current tick, not at once. Each stream's answer is written when its
/// own upstream connection delivers it, so without this every answer on a connection would be
/// its own `writev` (the profile of `Benchmarks/run.sh` with `SCENARIO=h2c` showed the socket
/// writes as the largest single cost); nginx likewise writes a connection's frames once per
/// event-loop iteration. A close first carries out a flush still pending (a GOAWAY before the
/// close is never lost).
final class HTTP2FlushCoalescer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var flushPending = false

    func flush(context: ChannelHandlerContext) {
        guard !self.flushPending else { return }
        self.flushPending = true
        context.eventLoop.assumeIsolated().execute {
            guard self.flushPending else { return }
            self.flushPending = false
            context.flush()
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if self.flushPending {
            self.flushPending = false
            context.flush()
        }
        context.close(mode: mode, promise: promise)
    }
}

@available(*, unavailable)
extension HTTP2FlushCoalescer: Sendable {}
