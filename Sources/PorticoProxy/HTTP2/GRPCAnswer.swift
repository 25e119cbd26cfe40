import NIOCore

/// gRPC over HTTP/2: Portico's own answers to a gRPC call (no route, no endpoint, a refused
/// check, a failed or silent upstream) are gRPC statuses, not HTML: HTTP 200 with
/// `content-type: application/grpc` and `grpc-status`/`grpc-message` in a header block that
/// ends the stream (gRPC's "Trailers-Only" answer), so a client reports UNAVAILABLE with a
/// reason instead of a protocol error. Codes from gRPC's HTTP-to-gRPC mapping
/// (doc/http-grpc-status-mapping.md), with 413 as RESOURCE_EXHAUSTED and a timeout within the
/// call's `grpc-timeout` as DEADLINE_EXCEEDED.
enum GRPCAnswer {
    /// The gRPC status code for an HTTP status Portico would answer.
    static func code(forHTTPStatus status: Int, deadline: Bool) -> Int {
        switch status {
        case 504 where deadline: 4  // DEADLINE_EXCEEDED
        case 400: 13  // INTERNAL
        case 401: 16  // UNAUTHENTICATED
        case 403: 7  // PERMISSION_DENIED
        case 404: 12  // UNIMPLEMENTED
        case 413: 8  // RESOURCE_EXHAUSTED
        case 429, 502, 503, 504: 14  // UNAVAILABLE
        default: 2  // UNKNOWN
        }
    }

    /// The answer as the HTTP/1.1 bytes the stream codec turns into one HEADERS frame.
    static func response(httpStatus: Int, deadline: Bool) -> ByteBuffer {
        let code = Self.code(forHTTPStatus: httpStatus, deadline: deadline)
        let message = deadline && httpStatus == 504 ? "deadline exceeded (grpc-timeout) at the proxy" : "portico: HTTP \(httpStatus) \(ErrorResponses.reason(httpStatus))"
        var out = ByteBuffer()
        out.writeString(
            "HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\ngrpc-status: \(code)\r\ngrpc-message: \(Self.percentEncoded(message))\r\ncontent-length: 0\r\n\r\n")
        return out
    }

    /// `grpc-message` is percent-encoded (gRPC's PROTOCOL-HTTP2.md): printable ASCII but `%` as is.
    static func percentEncoded(_ text: String) -> String {
        PercentEncoding.encode(text) { $0 >= 0x20 && $0 <= 0x7E && $0 != UInt8(ascii: "%") }
    }

    /// `grpc-timeout` (PROTOCOL-HTTP2.md): at most 8 digits and a unit, H M S m u n.
    static func timeout(_ value: UnsafeRawBufferPointer) -> TimeAmount? {
        guard value.count >= 2, value.count <= 9, let number = HTTPBytes.parseDecimal(value, 0, value.count - 1) else { return nil }
        let amount = Int64(number)
        switch value[value.count - 1] {
        case UInt8(ascii: "H"): return .hours(amount)
        case UInt8(ascii: "M"): return .minutes(amount)
        case UInt8(ascii: "S"): return .seconds(amount)
        case UInt8(ascii: "m"): return .milliseconds(amount)
        case UInt8(ascii: "u"): return .microseconds(amount)
        case UInt8(ascii: "n"): return .nanoseconds(amount)
        default: return nil
        }
    }
}
