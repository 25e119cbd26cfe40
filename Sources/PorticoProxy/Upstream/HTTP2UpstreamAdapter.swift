import NIOCore
import NIOHPACK
import NIOHTTP2
import PorticoRouting

/// HTTP/2 to a gRPC upstream (`backend-protocol: GRPC`, h2c; `GRPCS`, h2 over TLS) under an
/// `UpstreamHandler`, which keeps writing and reading HTTP/1.1: the request head it writes
/// becomes a HEADERS frame (with `te: trailers`, which gRPC servers require), its body DATA
/// frames; the answer's HEADERS become an HTTP/1.1 head with a chunked body, DATA frames its
/// chunks, and the trailers (`grpc-status`, `grpc-message`) the chunked trailer section, which
/// the client side turns back into a trailing HEADERS frame. So the exchange, its timeouts,
/// retries and pooling are the HTTP/1.1 ones.
///
/// One stream at a time per connection, each on a fresh stream ID, the connection pooled
/// between them: nginx's grpc module (`grpc_pass`) does the same. Inbound flow control is
/// this handler's (no stream multiplexer): each DATA frame's bytes are given back to both
/// windows once relayed, so back-pressure is TCP's while the owner pauses reading.
final class HTTP2UpstreamAdapter: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = HTTP2Frame

    private enum RequestState {
        /// Waiting for (the rest of) the request head.
        case head
        case length(remaining: Int)
        case chunked
        /// END_STREAM sent.
        case sent
    }

    /// `https` for GRPCS (the `:scheme` sent).
    let scheme: String
    private var requestState = RequestState.head
    private var pending = ByteBuffer()
    private var requestHead = RequestHead()
    private var decoder = ChunkedDecoder()
    private var nextStreamID = HTTP2StreamID(1)
    /// The stream of the current exchange, until its answer ended.
    private var stream: HTTP2StreamID?
    private var answeredHead = false
    /// The server sent GOAWAY: no new stream; close once the current one is done.
    private var goingAway = false
    /// Until the HTTP/2 handler has sent its preface (its channelActive, which comes after
    /// the connect's completion runs the exchange), writes wait here.
    private var started = false
    private var waiting: [ByteBuffer] = []
    private var flushWaiting = false

    init(tls: Bool) {
        self.scheme = tls ? "https" : "http"
    }

    // MARK: - Request: HTTP/1.1 bytes out as frames

    func channelActive(context: ChannelHandlerContext) {
        self.started = true
        for bytes in self.waiting { self.send(bytes, context: context) }
        self.waiting = []
        if self.flushWaiting { context.flush() }
        context.fireChannelActive()
    }

    func flush(context: ChannelHandlerContext) {
        guard self.started else {
            self.flushWaiting = true
            return
        }
        context.flush()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = Self.unwrapOutboundIn(data)
        if self.started { self.send(bytes, context: context) } else { self.waiting.append(bytes) }
        promise?.succeed()
    }

    private func send(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        var bytes = bytes
        while bytes.readableBytes > 0 {
            switch self.requestState {
            case .head:
                if self.pending.readableBytes == 0 { self.pending = bytes } else { self.pending.writeBuffer(&bytes) }
                bytes = ByteBuffer()
                guard self.writeHead(context: context) else { break }
                bytes = self.pending
                self.pending = ByteBuffer()
            case .length(let remaining):
                let slice = bytes.readSlice(length: min(remaining, bytes.readableBytes))!
                let left = remaining - slice.readableBytes
                self.requestState = left == 0 ? .sent : .length(remaining: left)
                self.writeData(slice, endStream: left == 0, context: context)
                if left == 0 { bytes.clear() }
            case .chunked:
                var ranges: [Range<Int>] = []
                let outcome = bytes.withUnsafeReadableBytes { self.decoder.consume($0) { ranges.append($0) } }
                for range in ranges where !range.isEmpty {
                    self.writeData(bytes.getSlice(at: bytes.readerIndex + range.lowerBound, length: range.count)!, endStream: false, context: context)
                }
                if case .done = outcome {
                    self.requestState = .sent
                    self.writeData(ByteBuffer(), endStream: true, context: context)  // request trailers dropped, as nginx
                } else if case .failure = outcome {
                    context.close(promise: nil)
                }
                bytes.clear()
            case .sent:
                bytes.clear()
            }
        }
    }

    /// The request head in `pending` as a HEADERS frame on a new stream; false while incomplete.
    private func writeHead(context: ChannelHandlerContext) -> Bool {
        let parsed = self.pending.withUnsafeReadableBytes { bytes -> HPACKHeaders? in
            guard case .complete = RequestHeadParser.parse(bytes, into: &self.requestHead) else { return nil }
            return Self.headers(self.requestHead, bytes, scheme: self.scheme)
        }
        guard let headers = parsed else {
            if self.pending.readableBytes > RequestHeadParser.Limits.standard.head { context.close(promise: nil) }
            return false
        }
        self.pending.moveReaderIndex(forwardBy: self.requestHead.headLength)
        let streamID = self.nextStreamID
        self.nextStreamID = self.nextStreamID.advanced(by: 2)
        self.stream = streamID
        self.answeredHead = false
        let endStream: Bool
        switch self.requestHead.framing {
        case .length(let length) where length > 0:
            self.requestState = .length(remaining: length)
            endStream = false
        case .chunked:
            self.requestState = .chunked
            self.decoder = ChunkedDecoder()
            endStream = false
        default:
            self.requestState = .sent
            endStream = true
        }
        context.write(Self.wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: .headers(.init(headers: headers, endStream: endStream)))), promise: nil)
        return true
    }

    private func writeData(_ data: ByteBuffer, endStream: Bool, context: ChannelHandlerContext) {
        guard let stream = self.stream else { return }
        context.write(Self.wrapOutboundOut(HTTP2Frame(streamID: stream, payload: .data(.init(data: .byteBuffer(data), endStream: endStream)))), promise: nil)
    }

    /// RFC 9113 §8.3.1 from the HTTP/1.1 head Portico wrote: pseudo-headers from the request
    /// line and Host, the other fields lower-case without the connection-specific ones.
    static func headers(_ head: RequestHead, _ bytes: UnsafeRawBufferPointer, scheme: String) -> HPACKHeaders {
        var headers = HPACKHeaders()
        headers.reserveCapacity(head.fields.count + 5)
        headers.add(name: ":method", value: String(decoding: bytes[0..<head.methodEnd], as: UTF8.self))
        headers.add(name: ":scheme", value: scheme)
        if let host = head.hostValue { headers.add(name: ":authority", value: String(decoding: bytes[host], as: UTF8.self)) }
        headers.add(name: ":path", value: String(decoding: bytes[head.targetStart..<head.targetEnd], as: UTF8.self))
        for field in head.fields where !field.kind.isConnectionSpecific && field.kind != .host { headers.add(field: field, from: bytes) }
        headers.add(name: "te", value: "trailers")
        return headers
    }

    // MARK: - Answer: frames in as HTTP/1.1 bytes

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.payload {
        case .goAway(let lastStreamID, _, _):
            self.goingAway = true
            if let stream = self.stream, stream <= lastStreamID { return }  // the current exchange may finish
            context.close(promise: nil)
            return
        case .rstStream:
            guard frame.streamID == self.stream else { return }
            context.close(promise: nil)  // the owner sees the connection go mid-answer: 502 or a cut answer
            return
        default:
            break
        }
        guard let stream = self.stream, frame.streamID == stream else { return }
        var out = context.channel.allocator.buffer(capacity: 0)
        var ended = false
        switch frame.payload {
        case .headers(let headers):
            if !self.answeredHead {
                guard let status = headers.headers.first(name: ":status"), let code = Int(status), (100...999).contains(code) else {
                    context.close(promise: nil)
                    return
                }
                if code < 200 { return }  // interim answers are not relayed
                self.answeredHead = true
                out.writeString("HTTP/1.1 \(status) \r\n")
                Self.writeFields(headers.headers, into: &out)
                out.writeStaticString(headers.endStream ? "content-length: 0\r\n\r\n" : "transfer-encoding: chunked\r\n\r\n")
            } else {
                out.writeStaticString("0\r\n")  // the trailers
                Self.writeFields(headers.headers, into: &out)
                out.writeStaticString("\r\n")
            }
            ended = headers.endStream
        case .data(let data):
            guard self.answeredHead, case .byteBuffer(var bytes) = data.data else {
                context.close(promise: nil)
                return
            }
            let count = bytes.readableBytes
            out.reserveCapacity(count + 24)
            ChunkFraming.write(&bytes, into: &out)
            if data.endStream { ChunkFraming.writeEnd(into: &out) }
            ended = data.endStream
            // Give the bytes back to the stream's and the connection's windows.
            let flowControlled = count + (data.paddingBytes ?? 0)
            if flowControlled > 0 {
                if !data.endStream {
                    context.write(Self.wrapOutboundOut(HTTP2Frame(streamID: stream, payload: .windowUpdate(windowSizeIncrement: flowControlled))), promise: nil)
                }
                context.write(Self.wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: flowControlled))), promise: nil)
                context.flush()
            }
        default:
            return
        }
        // An answer that ended before the whole request went (an early error) leaves the
        // connection unusable for the next exchange.
        let requestUnfinished: Bool
        if case .sent = self.requestState { requestUnfinished = false } else { requestUnfinished = true }
        if ended {
            self.stream = nil
            self.requestState = .head
        }
        if out.readableBytes > 0 { context.fireChannelRead(Self.wrapInboundOut(out)) }
        if ended, self.goingAway || requestUnfinished { context.close(promise: nil) }
    }

    /// The regular fields of a header block as HTTP/1.1 field lines. HPACK hands over any
    /// bytes, so names and values are checked as the HTTP/1.1 side would: an upstream cannot
    /// inject a line through a value.
    static func writeFields(_ headers: HPACKHeaders, into out: inout ByteBuffer) {
        for (name, value, _) in headers where name.utf8.first != UInt8(ascii: ":") {
            switch name {
            case "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade": continue  // the body is framed here
            default: break
            }
            guard HTTP2RequestTranslator.isFieldName(name), value.utf8.allSatisfy(HTTPBytes.isFieldValueByte) else { continue }
            out.writeString(name)
            out.writeStaticString(": ")
            out.writeString(value)
            out.writeStaticString("\r\n")
        }
    }
}

@available(*, unavailable)
extension HTTP2UpstreamAdapter: Sendable {}
