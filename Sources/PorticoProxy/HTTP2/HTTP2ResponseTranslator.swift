import NIOCore
import NIOHPACK
import NIOHTTP2
import PorticoRouting

/// The HTTP/1.1 answer the phases write for a stream (the upstream's, relayed, or Portico's
/// own), read back as HTTP/2 HEADERS and DATA (RFC 9113 §8.1): the status line becomes
/// `:status`, names go lower-case, the connection-specific fields (`connection`,
/// `keep-alive`, `transfer-encoding`, `upgrade`, …, §8.2.2) are left out, a chunked body is
/// unframed, and END_STREAM goes with the body's last bytes. 1xx answers (`100 Continue`)
/// become interim HEADERS.
struct HTTP2ResponseTranslator {
    enum State: Equatable {
        /// Waiting for (the rest of) a head; `pending` holds its bytes so far.
        case head
        case length(remaining: Int)
        case chunked
        /// Without a length: the body ends when the phases close the stream.
        case untilClose
        case done
        /// The phases wrote something that is not an HTTP/1.1 answer: the stream is reset.
        case failed
    }

    private(set) var state = State.head
    private var pending = ByteBuffer()
    private var decoder = ChunkedDecoder()
    private var trailerSection = ByteBuffer()
    private var parsed = ResponseHead()
    let requestMethod: RequestHead.Method

    init(requestMethod: RequestHead.Method) {
        self.requestMethod = requestMethod
        // One allocation for a usual head's fields, not one per doubling as they are parsed.
        self.parsed.fields.reserveCapacity(16)
    }

    /// Whether END_STREAM went out (the answer is whole).
    var isComplete: Bool { self.state == .done }

    /// Translates `bytes`, handing each frame payload to `emit` in order.
    mutating func write(_ bytes: ByteBuffer, emit: (HTTP2Frame.FramePayload) -> Void) {
        var bytes = bytes
        while bytes.readableBytes > 0 {
            switch self.state {
            case .head:
                if self.pending.readableBytes == 0 {
                    self.pending = bytes
                } else {
                    self.pending.writeBuffer(&bytes)
                }
                bytes = ByteBuffer()
                guard self.readHead(emit: emit) else { return }
                // What followed the head is the start of the body (or the next head).
                bytes = self.pending
                self.pending = ByteBuffer()
            case .length(let remaining):
                let count = min(remaining, bytes.readableBytes)
                let slice = bytes.readSlice(length: count)!
                let left = remaining - count
                self.state = left == 0 ? .done : .length(remaining: left)
                emit(.data(.init(data: .byteBuffer(slice), endStream: left == 0)))
                if left == 0 { return }  // anything after a whole answer is not this stream's
            case .chunked:
                self.unchunk(&bytes, emit: emit)
            case .untilClose:
                emit(.data(.init(data: .byteBuffer(bytes))))
                return
            case .done, .failed:
                return
            }
        }
    }

    /// The phases closed the stream: an answer without a length ends here; any other unfinished
    /// answer was cut short (nil: the caller resets the stream).
    mutating func closed() -> HTTP2Frame.FramePayload? {
        guard self.state == .untilClose else { return nil }
        self.state = .done
        return .data(.init(data: .byteBuffer(ByteBuffer()), endStream: true))
    }

    /// Parses the head in `pending`; true once one is emitted (its bytes consumed).
    private mutating func readHead(emit: (HTTP2Frame.FramePayload) -> Void) -> Bool {
        let result = self.pending.withUnsafeReadableBytes { bytes -> (HeadParseResult, HPACKHeaders?) in
            let result = ResponseHeadParser.parse(bytes, requestMethod: self.requestMethod, into: &self.parsed)
            guard case .complete = result else { return (result, nil) }
            return (result, Self.headers(self.parsed, bytes))
        }
        switch result {
        case (.incomplete, _):
            return false
        case (.complete, var headers?):
            self.pending.moveReaderIndex(forwardBy: self.parsed.headLength)
            if (100..<200).contains(self.parsed.status) {
                emit(.headers(.init(headers: headers)))  // interim; the final head follows
                return true
            }
            switch self.parsed.framing {
            case .none:
                self.state = .done
            case .length(let length):
                self.state = .length(remaining: length)
            case .chunked:
                self.state = .chunked
                self.decoder = ChunkedDecoder()
            case .untilClose:
                self.state = .untilClose
            }
            if self.state == .done, self.requestMethod != .head { headers.remove(name: "content-length") }  // no body: nothing to count
            emit(.headers(.init(headers: headers, endStream: self.state == .done)))
            return true
        default:
            self.state = .failed
            return false
        }
    }

    private mutating func unchunk(_ bytes: inout ByteBuffer, emit: (HTTP2Frame.FramePayload) -> Void) {
        var ranges: [Range<Int>] = []
        let outcome = bytes.withUnsafeReadableBytes { raw in
            self.decoder.consume(raw) { ranges.append($0) }
        }
        let base = bytes.readerIndex
        let end: Int
        switch outcome {
        case .needMore: end = bytes.readableBytes
        case .done(let done): end = done
        case .failure:
            self.state = .failed
            bytes.clear()
            return
        }
        // The trailer section's bytes (after `0\r\n`), kept until the section ends.
        if self.decoder.isInTrailers, end > self.decoder.forwardable {
            var section = bytes.getSlice(at: base + self.decoder.forwardable, length: end - self.decoder.forwardable)!
            self.trailerSection.writeBuffer(&section)
        }
        let ends = { if case .done = outcome { true } else { false } }()
        let trailers = ends ? self.trailers() : nil
        for (index, range) in ranges.enumerated() where !range.isEmpty {
            let slice = bytes.getSlice(at: base + range.lowerBound, length: range.count)!
            emit(.data(.init(data: .byteBuffer(slice), endStream: ends && trailers == nil && index == ranges.count - 1)))
        }
        if ends {
            if let trailers {
                emit(.headers(.init(headers: trailers, endStream: true)))  // gRPC's grpc-status, grpc-message
            } else if ranges.last?.isEmpty ?? true {
                emit(.data(.init(data: .byteBuffer(ByteBuffer()), endStream: true)))
            }
            self.state = .done
        }
        bytes.clear()
    }

    /// The chunked trailer section's fields (validated by the decoder) as a trailing header
    /// block; nil when it had none.
    private mutating func trailers() -> HPACKHeaders? {
        defer { self.trailerSection = ByteBuffer() }
        guard self.trailerSection.readableBytes > 2 else { return nil }
        return self.trailerSection.withUnsafeReadableBytes { bytes -> HPACKHeaders? in
            var headers = HPACKHeaders()
            var cursor = 0
            while cursor + 1 < bytes.count, bytes[cursor] != HTTPBytes.cr {
                guard let (field, next) = FieldLine.scan(bytes, at: cursor) else { return nil }
                cursor = next
                guard !field.kind.isConnectionSpecific, field.kind != .contentLength else { continue }
                headers.add(field: field, from: bytes)
            }
            return headers.isEmpty ? nil : headers
        }
    }

    /// The head's fields as an HPACK header list: `:status` first, names lower-case, no
    /// connection-specific field.
    static func headers(_ head: ResponseHead, _ bytes: UnsafeRawBufferPointer) -> HPACKHeaders {
        var headers = HPACKHeaders()
        headers.reserveCapacity(head.fields.count + 1)
        headers.add(name: ":status", value: String(head.status))
        for field in head.fields where !field.kind.isConnectionSpecific { headers.add(field: field, from: bytes) }
        return headers
    }
}
