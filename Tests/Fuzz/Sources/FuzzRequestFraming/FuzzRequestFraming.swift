@testable import PorticoProxy

/// Request framing (RFC 9112): the head parser, the chunked decoder behind it, and the
/// response head parser. Beyond "never crashes", each input checks what smuggling defences
/// rely on: a completed head lies inside the input, its field values hold no CR, LF or NUL,
/// and the same bytes minus the last never complete (a head ends at exactly one place).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestFraming(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var head = RequestHead()
    switch RequestHeadParser.parse(bytes, into: &head) {
    case .complete:
        precondition(head.headLength > 0 && head.headLength <= size, "head outside the input")
        precondition(head.targetStart < head.targetEnd && head.targetEnd <= head.headLength, "target outside the head")
        precondition(head.pathEnd >= head.targetStart && head.pathEnd <= head.targetEnd, "path outside the target")
        for field in head.fields {
            precondition(
                field.lineStart <= field.nameEnd && field.nameEnd <= field.valueStart && field.valueStart <= field.valueEnd
                    && field.valueEnd <= head.headLength, "field outside the head")
            for index in field.valueStart..<field.valueEnd {
                precondition(bytes[index] != 13 && bytes[index] != 10 && bytes[index] != 0, "CR, LF or NUL in a value")
            }
        }
        var shorter = RequestHead()
        if case .complete = RequestHeadParser.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<(head.headLength - 1)]), into: &shorter) {
            preconditionFailure("a head completed one byte early")
        }
        if case .length(let length) = head.framing { precondition(length >= 0) }
        if head.framing == .chunked {
            let body = UnsafeRawBufferPointer(rebasing: bytes[head.headLength...])
            var decoder = ChunkedDecoder()
            var data = 0
            let outcome = decoder.consume(body) { range in
                precondition(range.lowerBound >= 0 && range.upperBound <= body.count, "chunk data outside the input")
                data += range.count
            }
            if case .done(let end) = outcome { precondition(end <= body.count && data < end, "chunked end outside the input") }
        }
    case .skip(let count):
        precondition(count > 0 && count <= size)
    case .incomplete, .failure:
        break
    }
    var response = ResponseHead()
    for method in [RequestHead.Method.get, .head] {
        response.reset()
        if case .complete = ResponseHeadParser.parse(bytes, requestMethod: method, into: &response) {
            precondition(response.headLength > 0 && response.headLength <= size, "response head outside the input")
            precondition((100...999).contains(response.status), "status out of range")
            if case .length(let length) = response.framing { precondition(length >= 0) }
        }
    }
    return 0
}
