import NIOCore
import NIOHTTP2

/// The first handler of each HTTP/2 stream's channel: the stream's frames in, as the HTTP/1.1
/// request `ProxyConnectionHandler` reads (through `HTTP2RequestTranslator`); the HTTP/1.1 answer
/// it writes, out as frames (through `HTTP2ResponseTranslator`). So a stream goes through the
/// same connection machine and phases as an HTTP/1.1 request, one request per stream.
///
/// A malformed request is a stream error (RST_STREAM PROTOCOL_ERROR, RFC 9113 §8.1.1) and
/// reaches no upstream. A close from the machine before its answer is whole resets the stream
/// (the client must not take a cut answer for a whole one); after it, the stream ends by itself
/// once both sides sent END_STREAM, or is reset once END_STREAM is out if the client is still
/// sending (§8.1: a complete answer before the whole request).
final class HTTP2StreamCodec: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = HTTP2Frame.FramePayload

    private var request = HTTP2RequestTranslator()
    private var response: HTTP2ResponseTranslator?
    /// When the frame with END_STREAM was written (a close waits for it).
    private var endWritten: EventLoopFuture<Void>?
    private var failed = false

    init() {}

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.failed else { return }
        let payload = Self.unwrapInboundIn(data)
        var out: ByteBuffer
        do {
            switch payload {
            case .headers(let headers):
                // Sized once: a buffer grown afterwards is allocated twice.
                out = context.channel.allocator.buffer(capacity: self.response == nil ? 256 + headers.headers.count * 48 : 64)
                if self.response == nil {
                    try self.request.head(headers.headers, endStream: headers.endStream, into: &out)
                    self.response = HTTP2ResponseTranslator(requestMethod: self.request.isHEAD ? .head : .get)
                } else {
                    guard headers.endStream else { throw HTTP2RequestTranslator.Malformed(reason: "a header block in the middle of the body") }
                    try self.request.trailers(into: &out)
                }
            case .data(let data):
                guard case .byteBuffer(let buffer) = data.data, self.response != nil else {
                    throw HTTP2RequestTranslator.Malformed(reason: "DATA before the request head")
                }
                out = try self.request.data(buffer, endStream: data.endStream)
            default:
                return  // RST_STREAM, PRIORITY, WINDOW_UPDATE: the stream channel acts on them itself
            }
        } catch {
            self.failed = true
            context.writeAndFlush(Self.wrapOutboundOut(.rstStream(.protocolError)), promise: nil)
            context.close(promise: nil)
            return
        }
        if out.readableBytes > 0 { context.fireChannelRead(Self.wrapInboundOut(out)) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = Self.unwrapOutboundIn(data)
        guard self.response != nil, !self.failed else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        // In place: a copy taken out and put back retains and releases the translator's buffers
        // and fields per write. `send` touches only `endWritten`, never `response`.
        self.response!.write(bytes) { self.send($0, context: context) }
        if self.response?.state == .failed {
            self.failed = true
            context.writeAndFlush(Self.wrapOutboundOut(.rstStream(.internalError)), promise: nil)
            context.close(promise: nil)
        }
        promise?.succeed()
    }

    /// Writes one frame; the one ending the stream with a promise, so a close can wait for it.
    private func send(_ payload: HTTP2Frame.FramePayload, context: ChannelHandlerContext) {
        guard payload.endsStream else {
            context.write(Self.wrapOutboundOut(payload), promise: nil)
            return
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        self.endWritten = written.futureResult
        context.write(Self.wrapOutboundOut(payload), promise: written)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // An answer without a length ends with the close.
        if var response = self.response, let last = response.closed() {
            self.response = response
            self.send(last, context: context)
        }
        guard let endWritten = self.endWritten, self.response?.isComplete == true else {
            context.close(mode: .all, promise: promise)  // cut short: RST_STREAM
            return
        }
        context.flush()
        endWritten.assumeIsolated().whenComplete { _ in
            context.close(mode: .all, promise: promise)
        }
    }
}

extension HTTP2Frame.FramePayload {
    /// The frame carries END_STREAM.
    var endsStream: Bool {
        switch self {
        case .headers(let headers): headers.endStream
        case .data(let data): data.endStream
        default: false
        }
    }
}
