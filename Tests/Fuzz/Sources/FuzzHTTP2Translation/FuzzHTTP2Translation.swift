import NIOCore
import NIOHPACK

@testable import PorticoProxy

/// The h2→h1 request translation (`HTTP2RequestTranslator`), the step where downgrade smuggling
/// would happen. The input is a header list and DATA frames in a plain text form: a flags byte
/// (bit 0: END_STREAM on the header block; bit 1: a trailer block ends the body), then lines
/// `name:value` (a pseudo-header's name keeps its leading colon) up to an empty line, then one
/// DATA frame per further line. Whatever the translator accepts must read back, through the
/// strict HTTP/1.1 parser, as exactly one request: the head ends where the translator said,
/// its fields hold no CR, LF or NUL, its framing carries exactly the DATA bytes given, and no
/// byte is left over to be read as a second request. The answer translator gets the same bytes
/// as an HTTP/1.1 answer and must never emit more body than it was given.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP2Translation(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let flags = bytes[0]
    let lines = bytes[1...].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    var headers = HPACKHeaders()
    var frames: [ByteBuffer] = []
    var inBody = false
    for line in lines {
        if !inBody {
            if line.isEmpty {
                inBody = true
                continue
            }
            let searchFrom = line.first == UInt8(ascii: ":") ? line.index(after: line.startIndex) : line.startIndex
            guard let colon = line[searchFrom...].firstIndex(of: UInt8(ascii: ":")) else { continue }
            // HPACKHeaders takes ASCII names only (its decoder never hands over others).
            guard line[..<colon].allSatisfy({ $0 < 0x80 }) else { return 0 }
            headers.add(name: String(decoding: line[..<colon], as: UTF8.self), value: String(decoding: line[(colon + 1)...], as: UTF8.self))
        } else {
            frames.append(ByteBuffer(bytes: line))
        }
    }
    let endStream = flags & 1 != 0 || frames.isEmpty
    var translator = HTTP2RequestTranslator()
    var wire = ByteBuffer()
    do {
        try translator.head(headers, endStream: endStream, into: &wire)
    } catch {
        return 0
    }
    let headLength = wire.readableBytes
    var dataBytes = 0
    var accepted = true
    if !endStream {
        for (index, frame) in frames.enumerated() {
            let last = index == frames.count - 1
            do {
                var out = try translator.data(frame, endStream: last && flags & 2 == 0)
                wire.writeBuffer(&out)
                dataBytes += frame.readableBytes
                if last, flags & 2 != 0 { try translator.trailers(into: &wire) }
            } catch {
                accepted = false
                break
            }
        }
    }
    var head = RequestHead()
    let result = wire.withUnsafeReadableBytes { RequestHeadParser.parse($0, into: &head) }
    guard case .complete = result else {
        // Only what the HTTP/1.1 parser itself refuses may fail here (a Host it finds invalid,
        // a head over its limits); it then answers 400/431 and closes, and nothing is forwarded.
        if case .failure = result { return 0 }
        preconditionFailure("the translated head did not complete: \(result)")
    }
    precondition(head.headLength == headLength, "the head ends elsewhere than the translator wrote it")
    wire.withUnsafeReadableBytes { raw in
        for field in head.fields {
            for index in field.lineStart..<field.valueEnd where raw[index] == 0 {
                preconditionFailure("NUL in a field")
            }
        }
    }
    guard accepted, translator.body == .complete else { return 0 }  // a stream error: nothing more is forwarded
    let body = wire.getSlice(at: wire.readerIndex + headLength, length: wire.readableBytes - headLength)!
    switch head.framing {
    case .none:
        precondition(body.readableBytes == 0 && dataBytes == 0, "body bytes without framing")
    case .length(let length):
        precondition(length == dataBytes && body.readableBytes == length, "content-length differs from the DATA")
    case .chunked:
        var decoder = ChunkedDecoder()
        var decoded = 0
        let outcome = body.withUnsafeReadableBytes { decoder.consume($0) { decoded += $0.count } }
        precondition(outcome == .done(end: body.readableBytes), "the chunked body does not end exactly at its end")
        precondition(decoded == dataBytes, "chunked data differs from the DATA")
    case .untilClose:
        preconditionFailure("a request framed until close")
    }

    var answer = HTTP2ResponseTranslator(requestMethod: .get)
    var emitted = 0
    answer.write(ByteBuffer(bytes: bytes)) { payload in
        if case .data(let frame) = payload, case .byteBuffer(let buffer) = frame.data { emitted += buffer.readableBytes }
    }
    precondition(emitted <= size, "more body out than in")
    return 0
}
